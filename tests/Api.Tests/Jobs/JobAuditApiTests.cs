using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Core.Data;
using Platform.Workers.Audit;

namespace Platform.Api.Tests.Jobs;

public class JobAuditApiTests(ApiHost api) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task The_audit_endpoint_shows_the_jobs_events_to_its_owner_only()
    {
        var owner = Guid.NewGuid();
        using var client = api.CreateClient(owner);
        using var created = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { audited = true } });
        var jobId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        var worker = new SqlWorker(api.DataSource);
        await worker.ClaimAsync(100);
        await worker.ProgressAsync(jobId, 30, "a third");
        await worker.CompleteAsync(jobId, "{}");
        var projector = new JobAuditProjector(
            api.DataSource, api.Services.GetRequiredService<IDocumentStore>(), api.Services.GetRequiredService<SchemaReadiness>(), NullLogger<JobAuditProjector>.Instance);
        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        using var response = await client.GetAsync($"/api/jobs/{jobId}/audit");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = body.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["enqueued", "claimed", "progressed", "succeeded"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(30, events[2].GetProperty("progress").GetInt32());
        Assert.Equal(worker.WorkerId, events[3].GetProperty("worker_id").GetString());
        Assert.Equal("completed", events[3].GetProperty("status").GetString());

        using var stranger = api.CreateClient(Guid.NewGuid());
        using var refused = await stranger.GetAsync($"/api/jobs/{jobId}/audit");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }
}
