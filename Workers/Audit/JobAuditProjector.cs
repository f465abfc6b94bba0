using Marten;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Audit;

/// <summary>
/// Projects <c>job_log</c> (written in the same transaction as every job state change) into Marten's event store,
/// one stream per job (stream id = job id).
/// </summary>
public sealed class JobAuditProjector(NpgsqlDataSource dataSource, IDocumentStore store, SchemaReadiness schema, ILogger<JobAuditProjector> logger)
    : OutboxProjector(dataSource, store, schema, logger)
{
    public const string Checkpoint = "job_log";

    protected override string CheckpointId => Checkpoint;

    protected override long? LockKey => 0x6a6f625f61756469; // "job_audi"

    protected override async Task<List<OutboxEntry>> ReadAfterAsync(long lastId, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(
            """
            SELECT l.id, l.job_id, l.event, l.status, l.attempt, l.worker_id, l.message, (l.details ->> 'progress')::int,
                   l.created_at, j.job_type, j.queue, j.user_id
            FROM job_log l
            -- Only an 'enqueued' row needs its job (type, queue, owner): the one-time filter skips the probe for the
            -- others (two of every three rows of a no-op job; job_queue's primary key holds a version per state change).
            LEFT JOIN LATERAL (
                SELECT q.job_type, q.queue, q.user_id FROM job_queue q WHERE l.event = 'enqueued' AND q.id = l.job_id OFFSET 0
            ) j ON true
            WHERE l.id > @last
            ORDER BY l.id
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("last", lastId);
        command.Parameters.AddWithValue("limit", BatchSize);
        var rows = new List<OutboxEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entry = new JobLogEntry(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetGuid(11));
            rows.Add(new OutboxEntry(entry.Id, [entry.JobId], entry.ToAuditEvent()));
        }

        return rows;
    }
}
