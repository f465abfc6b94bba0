using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Core.Jobs.Args;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests;

/// <summary>
/// The projector and a job_log id whose transaction is still committing (claims and completions overlap all the time
/// under load): the batch waits for it briefly and goes on after it, in order, instead of stopping short.
/// </summary>
public class JobAuditGapTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task A_log_row_committed_late_by_a_few_milliseconds_is_projected_in_the_same_batch_in_order()
    {
        using var store = DocumentStore.For(options =>
        {
            options.Connection(db.ConnectionString);
            AuditStore.Configure(options);
        });
        var projector = new JobAuditProjector(
            db.DataSource, store, new SchemaReadiness(db.DataSource, NullLogger<SchemaReadiness>.Instance), NullLogger<JobAuditProjector>.Instance);
        var job = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "gap" });
        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        // The 'claimed' row takes its id first but commits last; the 'completed' row after it is already committed.
        await using var late = await db.DataSource.OpenConnectionAsync();
        await using var lateTransaction = await late.BeginTransactionAsync();
        await using (var claimed = new NpgsqlCommand(
            "INSERT INTO job_log (job_id, event, status, attempt, worker_id) VALUES (@id, 'claimed', 'processing', 1, 'w-gap')", late, lateTransaction))
        {
            claimed.Parameters.AddWithValue("id", job.JobId);
            await claimed.ExecuteNonQueryAsync();
        }

        await db.CountAsync(
            "INSERT INTO job_log (job_id, event, status, attempt, worker_id) VALUES (@id, 'completed', 'completed', 1, 'w-gap')",
            ("id", job.JobId));

        // Commit the late row only once the batch has read past it (the read of job_log started after this instant).
        var before = await db.ScalarAsync<DateTime>("SELECT clock_timestamp()");
        var projecting = projector.ProjectBatchAsync(CancellationToken.None);
        while (await db.CountAsync(
                   "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT l.id, l.job_id%' AND query_start > @before",
                   ("before", before)) == 0)
        {
            Assert.False(projecting.IsCompleted, "The batch ended without reading the log.");
        }

        await lateTransaction.CommitAsync();

        Assert.Equal(2, await projecting);
        await using var session = store.QuerySession();
        var events = await JobAuditTrail.ReadAsync(session, job.JobId);
        Assert.Equal(["enqueued", "claimed", "succeeded"], events.Select(e => e.Event));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.LogId < p.Second.LogId));
    }
}
