using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Core.Jobs.Args;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests;

/// <summary>
/// The trail's shape: one <see cref="JobActivity"/> event per job per projector batch, read back through
/// <see cref="JobAuditTrail"/> as one entry per <c>job_log</c> row; and a stream written one event per row (before
/// <see cref="JobActivity"/>) still reads, also when newer batches continue it.
/// </summary>
public class JobAuditTrailTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    /// <summary>The per-row statement the projector ran before <see cref="JobActivity"/> (kept here to write old streams).</summary>
    private const string PerRowInput =
        """
        SELECT l.job_id AS stream_id, gen_random_uuid() AS id, t.alias AS type, t.dotnet_type,
               jsonb_build_object(
                   'JobId', l.job_id,
                   'At', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                   'Status', l.status, 'Attempt', l.attempt, 'WorkerId', l.worker_id, 'Message', l.message, 'LogId', l.id)
               || CASE l.event
                      WHEN 'enqueued' THEN jsonb_build_object('JobType', coalesce(j.job_type, ''), 'Queue', coalesce(j.queue, ''), 'UserId', j.user_id)
                      WHEN 'progress' THEN jsonb_build_object('Progress', coalesce((l.details ->> 'progress')::int, 0))
                      ELSE '{}'::jsonb
                  END AS data,
               l.id AS n
        FROM job_log l
        LEFT JOIN unnest(@events::text[], @aliases::text[], @dotnet_types::text[]) AS t(event, alias, dotnet_type) ON t.event = l.event
        LEFT JOIN LATERAL (
            SELECT q.job_type, q.queue, q.user_id FROM job_queue q WHERE l.event = 'enqueued' AND q.id = l.job_id OFFSET 0
        ) j ON true
        WHERE l.id > @after AND l.id <= @upto
        """;

    private DocumentStore Store() => DocumentStore.For(options =>
    {
        options.Connection(db.ConnectionString);
        AuditStore.Configure(options);
    });

    private JobAuditProjector Projector(IDocumentStore store) => new(
        db.DataSource, store, new SchemaReadiness(db.DataSource, NullLogger<SchemaReadiness>.Instance), NullLogger<JobAuditProjector>.Instance);

    private Task<long> LogAsync(Guid job, string @event, string status, string? worker = "w-trail", string? details = null) =>
        db.CountAsync(
            "INSERT INTO job_log (job_id, event, status, attempt, worker_id, details) VALUES (@job, @event, @status, 1, @worker, @details::jsonb) RETURNING id",
            ("job", job), ("event", @event), ("status", status), ("worker", (object?)worker ?? DBNull.Value), ("details", (object?)details ?? DBNull.Value));

    private async Task<List<long>> LogIdsAsync(Guid job)
    {
        var ids = new List<long>();
        await using var command = db.DataSource.CreateCommand("SELECT id FROM job_log WHERE job_id = @job ORDER BY id");
        command.Parameters.AddWithValue("job", job);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    [Fact]
    public async Task A_jobs_rows_in_one_batch_are_one_event_that_reads_back_as_one_entry_per_row()
    {
        using var store = Store();
        var projector = Projector(store);
        var job = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "one-event" }, queue: "trail");
        await LogAsync(job.JobId, "claimed", "processing");
        await LogAsync(job.JobId, "progress", "processing", details: """{"progress": 40}""");
        await LogAsync(job.JobId, "completed", "completed");
        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM audit.mt_events WHERE stream_id = @job", ("job", job.JobId)));
        await using var session = store.QuerySession();
        var trail = await JobAuditTrail.ReadAsync(session, job.JobId);
        Assert.Equal([1L, 2, 3, 4], trail.Select(e => e.Version));
        Assert.Equal(["enqueued", "claimed", "progressed", "succeeded"], trail.Select(e => e.Event));
        Assert.Equal(await LogIdsAsync(job.JobId), trail.Select(e => e.LogId));
        Assert.Equal(("echo", "trail", (Guid?)db.UserId), (trail[0].JobType, trail[0].Queue, trail[0].UserId));
        Assert.Equal([null, null, 40, null], trail.Select(e => e.Progress));
        Assert.All(trail.Skip(1), e => Assert.Equal(("w-trail", (int?)1), (e.WorkerId, e.Attempt)));
        Assert.Equal(["pending", "processing", "processing", "completed"], trail.Select(e => e.Status));
    }

    [Fact]
    public async Task A_stream_written_one_event_per_row_reads_on_and_newer_batches_continue_it_in_order()
    {
        using var store = Store();
        var projector = Projector(store);
        var job = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "old-stream" }, queue: "trail-old");
        var claimed = await LogAsync(job.JobId, "claimed", "processing");

        // Project everything up to here as the projector did before JobActivity: one event per row, checkpoint with it.
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction));
            var checkpoint = await session.LoadAsync<AuditCheckpoint>(JobAuditProjector.Checkpoint) ?? new AuditCheckpoint { Id = JobAuditProjector.Checkpoint };
            var appender = new BulkEventAppender(store);
            var types = JobLogEvents.Types.Select(t => (Event: t.Key, Mapping: appender.TypeOf(t.Value))).ToList();
            await BulkEventAppender.AppendFromQueryAsync(connection, transaction, BulkEventAppender.Statement(PerRowInput), p =>
            {
                p.AddWithValue("after", checkpoint.LastLogId);
                p.AddWithValue("upto", claimed);
                p.AddWithValue("events", types.Select(t => t.Event).ToArray());
                p.AddWithValue("aliases", types.Select(t => t.Mapping.Alias).ToArray());
                p.AddWithValue("dotnet_types", types.Select(t => t.Mapping.DotNetType).ToArray());
            }, CancellationToken.None);
            checkpoint.LastLogId = claimed;
            session.Store(checkpoint);
            await session.SaveChangesAsync();
            await transaction.CommitAsync();
        }

        await using (var session = store.QuerySession())
        {
            var old = await session.Events.FetchStreamAsync(job.JobId);
            Assert.Equal([typeof(JobEnqueued), typeof(JobClaimed)], old.Select(e => e.Data.GetType()));
        }

        await LogAsync(job.JobId, "progress", "processing", details: """{"progress": 70}""");
        await LogAsync(job.JobId, "completed", "completed");
        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        await using var reader = store.QuerySession();
        var events = await reader.Events.FetchStreamAsync(job.JobId);
        Assert.Equal([typeof(JobEnqueued), typeof(JobClaimed), typeof(JobActivity)], events.Select(e => e.Data.GetType()));
        Assert.Equal([1L, 2, 3], events.Select(e => e.Version));
        var trail = JobAuditTrail.Expand(events);
        Assert.Equal([1L, 2, 3, 4], trail.Select(e => e.Version));
        Assert.Equal(["enqueued", "claimed", "progressed", "succeeded"], trail.Select(e => e.Event));
        Assert.Equal(await LogIdsAsync(job.JobId), trail.Select(e => e.LogId));
        Assert.Equal(("echo", "trail-old", (Guid?)db.UserId), (trail[0].JobType, trail[0].Queue, trail[0].UserId));
        Assert.Equal([null, null, 70, null], trail.Select(e => e.Progress));
        Assert.Equal([null, "w-trail", "w-trail", "w-trail"], trail.Select(e => e.WorkerId));
        Assert.True(trail.Zip(trail.Skip(1)).All(p => p.First.At <= p.Second.At));
    }
}
