using Marten;
using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Audit;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests;

/// <summary>The audit trail: every job_log row becomes exactly one entry of the job's Marten stream (<see cref="JobAuditTrail"/>).</summary>
public class JobAuditTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    private async Task<IReadOnlyList<JobAuditEntry>> WaitForStreamAsync(IDocumentStore store, Guid jobId, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var session = store.QuerySession();
            var events = await JobAuditTrail.ReadAsync(session, jobId);
            if (events.Count >= count || DateTime.UtcNow > deadline)
            {
                return events;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_jobs_whole_life_is_in_its_stream_once_in_order_with_worker_and_attempt()
    {
        // Two replicas with the projector: one projects a batch at a time; nothing is projected twice.
        await using var first = await WorkerHost.StartAsync(db.ConnectionString, audit: true);
        await using var second = await WorkerHost.StartAsync(db.ConnectionString, audit: true);
        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { fail_times = 1, progress_steps = 2, delay_ms = 100, tag = "audit" });
        await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Completed);
        var logRows = (int)await db.CountAsync("SELECT count(*) FROM job_log WHERE job_id = @id", ("id", enqueued.JobId));

        var events = await WaitForStreamAsync(first.Services.GetRequiredService<IDocumentStore>(), enqueued.JobId, logRows);
        await Task.Delay(600); // a duplicate, if any, would arrive now
        events = await WaitForStreamAsync(first.Services.GetRequiredService<IDocumentStore>(), enqueued.JobId, logRows);

        Assert.Equal(logRows, events.Count);
        Assert.Equal(events.Select(e => e.LogId).Distinct().Count(), events.Count);
        Assert.Equal(
            ["enqueued", "claimed", "progressed", "progressed", "retried", "claimed", "progressed", "progressed", "succeeded"],
            events.Select(e => e.Event));
        Assert.Equal(Enumerable.Range(1, logRows).Select(v => (long)v), events.Select(e => e.Version));
        Assert.Equal(db.UserId, events[0].UserId);
        Assert.Equal("echo", events[0].JobType);
        var retried = events[4];
        Assert.Equal(1, retried.Attempt);
        Assert.Contains("asked to fail", retried.Message);
        Assert.Equal(2, events[^1].Attempt);
        Assert.All(events.Skip(1), e => Assert.False(string.IsNullOrEmpty(e.WorkerId)));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.At <= p.Second.At));
    }
}
