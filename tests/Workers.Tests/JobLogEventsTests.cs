using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.Core.Jobs.Args;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests;

/// <summary>
/// What each <c>job_log</c> row becomes in the job's Marten stream, field by field, as Marten reads it back and
/// <see cref="JobAuditTrail"/> expands it: the projector builds the bodies in SQL (<see cref="JobLogEvents.Input"/>),
/// so this pins them against the row.
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
        // The projector's sessions in a time zone that is not UTC: the events' times must still be UTC (+00:00).
        await using var kolkata = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { Timezone = "Asia/Kolkata" }.ConnectionString);
        var projector = new JobAuditProjector(
            kolkata, store, new SchemaReadiness(kolkata, NullLogger<SchemaReadiness>.Instance), NullLogger<JobAuditProjector>.Instance);
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
        var trail = JobAuditTrail.Expand(stream);
        Assert.Equal(rows.Count, trail.Count);
        Assert.Equal(Enumerable.Range(1, rows.Count).Select(v => (long)v), trail.Select(e => e.Version));
        foreach (var (row, entry) in rows.Zip(trail))
        {
            Assert.Equal(JobLogEvents.Names[row.Event], entry.Event);
            Assert.Equal(
                (row.Id, row.Status, row.Attempt, row.WorkerId, row.Message),
                (entry.LogId, entry.Status, entry.Attempt, entry.WorkerId, entry.Message));
            Assert.Equal(new DateTimeOffset(row.CreatedAt, TimeSpan.Zero), entry.At);
            Assert.Equal(TimeSpan.Zero, entry.At.Offset);
            Assert.Equal(row.Event == "progress" ? row.Progress ?? 0 : null, entry.Progress);
            if (row.Event != "enqueued")
            {
                Assert.Equal((null, null, null), (entry.JobType, entry.Queue, entry.UserId));
            }
        }

        Assert.Equal(("echo", "audit-fields", (Guid?)db.UserId), (trail[0].JobType, trail[0].Queue, trail[0].UserId));
        Assert.Contains(trail, e => e is { Event: "progressed", Progress: 42 });
        Assert.Contains(trail, e => e is { Event: "progressed", Progress: 0 });
        Assert.Contains(trail, e => e.Message == "say \"claimed\" \\ café 🚀");
        Assert.Equal(stream.Count, (await session.Events.FetchStreamStateAsync(job.JobId))!.Version);
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
            p.AddWithValue("names", new[] { "claimed" });
            p.AddWithValue("alias", "job_activity");
            p.AddWithValue("dotnet_type", "x");
        }, CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.NotNullViolation, error.SqlState);
        Assert.NotEqual(Guid.Empty, job.JobId);
    }
}
