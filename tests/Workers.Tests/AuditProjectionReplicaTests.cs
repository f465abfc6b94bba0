using Marten;
using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Audit;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests;

/// <summary>
/// The audit projectors of several replicas under load: each batch is projected by one replica at a time (the tick's
/// advisory lock is held until the batch has committed), so every <c>job_log</c> row becomes exactly one entry of its
/// job's trail (<see cref="JobAuditTrail"/>).
/// </summary>
public sealed class AuditProjectionReplicaTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task Three_replicas_project_every_log_row_exactly_once()
    {
        await using var first = await WorkerHost.StartAsync(db.ConnectionString, audit: true);
        await using var second = await WorkerHost.StartAsync(db.ConnectionString, audit: true);
        await using var third = await WorkerHost.StartAsync(db.ConnectionString, audit: true);
        var jobs = new List<Guid>();
        for (var i = 0; i < 400; i++)
        {
            jobs.Add((await db.EnqueueAsync(EchoArgs.Kind, new { i, progress_steps = i % 3 })).JobId);
        }

        foreach (var id in jobs)
        {
            await db.WaitForStatusAsync(id, JobStatus.Completed, TimeSpan.FromSeconds(60));
        }

        var ids = jobs.ToArray();
        var logRows = await db.CountAsync("SELECT count(*) FROM job_log WHERE job_id = ANY(@ids)", ("ids", ids));
        var store = first.Services.GetRequiredService<IDocumentStore>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long entries;
        do
        {
            await Task.Delay(250);
            entries = await CountEntriesAsync(store, jobs);
        }
        while (entries < logRows && DateTime.UtcNow < deadline);

        await Task.Delay(1000); // a duplicate, if any, would arrive now
        Assert.Equal(logRows, await CountEntriesAsync(store, jobs));
        await using var session = store.QuerySession();
        foreach (var id in jobs)
        {
            var trail = await JobAuditTrail.ReadAsync(session, id);
            var logIds = await db.CountAsync("SELECT count(*) FROM job_log WHERE job_id = @id", ("id", id));
            Assert.Equal(logIds, trail.Select(e => e.LogId).Distinct().Count());
            Assert.True(trail.Zip(trail.Skip(1)).All(p => p.First.LogId < p.Second.LogId));
        }
    }

    private static async Task<long> CountEntriesAsync(IDocumentStore store, IEnumerable<Guid> jobs)
    {
        await using var session = store.QuerySession();
        var count = 0L;
        foreach (var id in jobs)
        {
            count += (await JobAuditTrail.ReadAsync(session, id)).Count;
        }

        return count;
    }
}
