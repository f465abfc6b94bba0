using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests;

/// <summary>
/// The audit projectors of several replicas under load: each batch is projected by one replica at a time (the tick's
/// advisory lock is held until the batch has committed), so every <c>job_log</c> row becomes exactly one event.
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
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long events;
        do
        {
            await Task.Delay(250);
            events = await db.CountAsync("SELECT count(*) FROM audit.mt_events WHERE stream_id = ANY(@ids)", ("ids", ids));
        }
        while (events < logRows && DateTime.UtcNow < deadline);

        await Task.Delay(1000); // a duplicate, if any, would arrive now
        events = await db.CountAsync("SELECT count(*) FROM audit.mt_events WHERE stream_id = ANY(@ids)", ("ids", ids));
        Assert.Equal(logRows, events);
    }
}
