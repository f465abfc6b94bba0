using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Core.Audit;
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

    [Fact]
    public async Task A_trail_written_one_event_per_row_answers_the_same_and_newer_entries_continue_its_numbering()
    {
        var store = api.Services.GetRequiredService<IDocumentStore>();
        var projector = new JobAuditProjector(
            api.DataSource, store, api.Services.GetRequiredService<SchemaReadiness>(), NullLogger<JobAuditProjector>.Instance);
        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        var owner = Guid.NewGuid();
        using var client = api.CreateClient(owner);
        using var created = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { legacy = true } });
        var jobId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        var worker = new SqlWorker(api.DataSource);
        await worker.ClaimAsync(100);

        // The job's first two rows projected as before JobActivity: one event per row (JobEnqueued, JobClaimed).
        await using (var connection = await api.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction));
            var checkpoint = await session.LoadAsync<AuditCheckpoint>(JobAuditProjector.Checkpoint) ?? new AuditCheckpoint { Id = JobAuditProjector.Checkpoint };
            var events = new List<(Guid Stream, object Event)>();
            await using (var command = new Npgsql.NpgsqlCommand(
                             "SELECT id, event, status, attempt, worker_id, created_at FROM job_log WHERE id > @after ORDER BY id", connection, transaction))
            {
                command.Parameters.AddWithValue("after", checkpoint.LastLogId);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    JobAuditEvent row = reader.GetString(1) == "enqueued"
                        ? new JobEnqueued { JobType = "echo", Queue = "default", UserId = owner }
                        : new JobClaimed();
                    row.JobId = jobId;
                    row.LogId = reader.GetInt64(0);
                    row.Status = reader.GetString(2);
                    row.Attempt = reader.GetInt32(3);
                    row.WorkerId = reader.IsDBNull(4) ? null : reader.GetString(4);
                    row.At = reader.GetFieldValue<DateTimeOffset>(5);
                    events.Add((jobId, row));
                    checkpoint.LastLogId = row.LogId;
                }
            }

            Assert.Equal([typeof(JobEnqueued), typeof(JobClaimed)], events.Select(e => e.Event.GetType()));
            await new BulkEventAppender(store).AppendAsync(connection, transaction, events, CancellationToken.None);
            session.Store(checkpoint);
            await session.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        using var before = await client.GetAsync($"/api/jobs/{jobId}/audit");
        var early = JsonDocument.Parse(await before.Content.ReadAsStringAsync()).RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["enqueued", "claimed"], early.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal([1L, 2], early.Select(e => e.GetProperty("version").GetInt64()));

        await worker.ProgressAsync(jobId, 60, "most of it");
        await worker.CompleteAsync(jobId, "{}");
        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        using var response = await client.GetAsync($"/api/jobs/{jobId}/audit");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(["enqueued", "claimed", "progressed", "succeeded"], entries.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal([1L, 2, 3, 4], entries.Select(e => e.GetProperty("version").GetInt64()));
        Assert.Equal(early[1].GetRawText(), entries[1].GetRawText());
        Assert.Equal(60, entries[2].GetProperty("progress").GetInt32());
        Assert.Equal("most of it", entries[2].GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, entries[3].GetProperty("progress").ValueKind);
        Assert.All(entries.Skip(1), e => Assert.Equal(worker.WorkerId, e.GetProperty("worker_id").GetString()));
        Assert.Equal(1, entries[3].GetProperty("attempt").GetInt32());
        Assert.Equal("completed", entries[3].GetProperty("status").GetString());
        Assert.Equal(
            ["version", "event", "at", "status", "attempt", "worker_id", "message", "progress"],
            entries[2].EnumerateObject().Select(p => p.Name));
    }
}
