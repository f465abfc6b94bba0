using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Core.Jobs.Args;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests;

/// <summary>
/// What each <c>job_log</c> row becomes in the job's Marten stream, field by field, as Marten reads it back: the
/// projector builds the bodies in SQL (<see cref="JobLogEvents.Input"/>), so this pins them against the row.
/// </summary>
public class JobLogEventsTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    private sealed record Row(long Id, string Event, string? Status, int? Attempt, string? WorkerId, string? Message, int? Progress, DateTime CreatedAt);

    [Fact]
    public async Task Every_job_log_event_becomes_its_event_type_with_every_field_of_its_row()
    {
        using var store = DocumentStore.For(options =>
        {
            options.Connection(db.ConnectionString);
            AuditStore.Configure(options);
        });
        var projector = new JobAuditProjector(
            db.DataSource, store, new SchemaReadiness(db.DataSource, NullLogger<SchemaReadiness>.Instance), NullLogger<JobAuditProjector>.Instance);
        var job = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "fields" }, queue: "audit-fields");

        // Every other event of the log, with the awkward values a body must carry: quotes, a backslash, non-ASCII text,
        // an emoji, nulls, a progress without details; created_at with a full microsecond part.
        foreach (var (kind, index) in JobLogEvents.Types.Keys.Where(k => k != "enqueued").Select((k, i) => (k, i)))
        {
            await db.CountAsync(
                """
                INSERT INTO job_log (job_id, event, status, attempt, worker_id, message, details, created_at)
                VALUES (@job, @event, @status, @attempt, @worker, @message, @details::jsonb,
                        timestamptz '2026-11-30 10:00:00.123457+00' + make_interval(secs => @index))
                """,
                ("job", job.JobId), ("event", kind), ("status", index % 2 == 0 ? "processing" : DBNull.Value),
                ("attempt", index % 3 == 0 ? DBNull.Value : index), ("worker", index % 2 == 1 ? $"w-{index}" : DBNull.Value),
                ("message", index % 2 == 0 ? $"say \"{kind}\" \\ café 🚀" : DBNull.Value),
                ("details", kind == "progress" ? """{"progress": 42}""" : DBNull.Value), ("index", (double)index));
        }

        await db.CountAsync(
            "INSERT INTO job_log (job_id, event, status, attempt) VALUES (@job, 'progress', 'processing', 1)", ("job", job.JobId));

        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        var rows = new List<Row>();
        await using (var command = db.DataSource.CreateCommand(
                         """
                         SELECT id, event, status, attempt, worker_id, message, (details ->> 'progress')::int, created_at
                         FROM job_log WHERE job_id = @job ORDER BY id
                         """))
        {
            command.Parameters.AddWithValue("job", job.JobId);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(new Row(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6),
                    reader.GetDateTime(7)));
            }
        }

        Assert.Equal(JobLogEvents.Types.Count + 1, rows.Count); // every event once, and a second progress row
        await using var session = store.QuerySession();
        var stream = await session.Events.FetchStreamAsync(job.JobId);
        Assert.Equal(rows.Count, stream.Count);
        Assert.Equal(Enumerable.Range(1, rows.Count).Select(v => (long)v), stream.Select(e => e.Version));
        foreach (var (row, @event) in rows.Zip(stream))
        {
            var data = Assert.IsAssignableFrom<JobAuditEvent>(@event.Data);
            Assert.Equal(JobLogEvents.Types[row.Event], data.GetType());
            Assert.Equal(
                (job.JobId, row.Id, row.Status, row.Attempt, row.WorkerId, row.Message),
                (data.JobId, data.LogId, data.Status, data.Attempt, data.WorkerId, data.Message));
            Assert.Equal(new DateTimeOffset(row.CreatedAt, TimeSpan.Zero), data.At);
            Assert.Equal(TimeSpan.Zero, data.At.Offset);
            if (data is JobProgressed progressed)
            {
                Assert.Equal(row.Progress ?? 0, progressed.Progress);
            }
        }

        var enqueued = Assert.IsType<JobEnqueued>(stream[0].Data);
        Assert.Equal(("echo", "audit-fields", (Guid?)db.UserId), (enqueued.JobType, enqueued.Queue, enqueued.UserId));
        Assert.Contains(stream, e => e.Data is JobProgressed { Progress: 42 });
        Assert.Contains(stream, e => e.Data is JobProgressed { Progress: 0 });
        Assert.Contains(stream, e => ((JobAuditEvent)e.Data).Message == "say \"claimed\" \\ café 🚀");
        Assert.Equal(rows.Count, (await session.Events.FetchStreamStateAsync(job.JobId))!.Version);
    }

    [Fact]
    public async Task Every_event_job_log_allows_has_an_audit_event_type()
    {
        // The log's CHECK constraint lists the events a row can have; a value without a type would stop the projection.
        var definition = await db.ScalarAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'job_log_event_check'");
        var allowed = System.Text.RegularExpressions.Regex.Matches(definition!, "'([a-z_]+)'").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(allowed.Order(), JobLogEvents.Types.Keys.Order());
        Assert.All(JobLogEvents.Types.Values, t => Assert.True(AuditStore.EventNames.ContainsKey(t)));
    }

    [Fact]
    public async Task A_row_without_an_audit_event_type_fails_the_append_instead_of_being_dropped()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var job = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "unknown" });
        var lastId = await db.CountAsync("SELECT max(id) FROM job_log");
        var statement = BulkEventAppender.Statement(JobLogEvents.Input);
        var error = await Assert.ThrowsAsync<PostgresException>(() => BulkEventAppender.AppendFromQueryAsync(connection, transaction, statement, p =>
        {
            p.AddWithValue("after", lastId - 1);
            p.AddWithValue("upto", lastId);
            p.AddWithValue("events", new[] { "claimed" }); // 'enqueued' left out: as if the log gained an event
            p.AddWithValue("aliases", new[] { "job_claimed" });
            p.AddWithValue("dotnet_types", new[] { "x" });
        }, CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.NotNullViolation, error.SqlState);
        Assert.NotEqual(Guid.Empty, job.JobId);
    }
}
