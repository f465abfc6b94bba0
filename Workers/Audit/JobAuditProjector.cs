using Marten;
using Marten.Exceptions;
using Npgsql;
using Platform.Core.Audit;

namespace Platform.Workers.Audit;

/// <summary>
/// Projects <c>job_log</c> (written in the same transaction as every job state change: the outbox) into Marten's
/// event store, one stream per job, in batches. The checkpoint is a Marten document saved in the same transaction as
/// the events, so each log row becomes exactly one event. One replica projects at a time (a session advisory lock held
/// by a dedicated connection); the others stand by. Log ids of transactions still in flight can commit late: the
/// projector stops at such a gap for a few seconds before skipping it (a rolled-back id never arrives).
/// </summary>
public sealed partial class JobAuditProjector(NpgsqlDataSource dataSource, IDocumentStore store, ILogger<JobAuditProjector> logger)
    : BackgroundService
{
    public const string CheckpointId = "job_log";
    public const long LockKey = 0x6a6f625f61756469; // "job_audi"
    private static readonly TimeSpan GapPatience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan IdleDelay = TimeSpan.FromMilliseconds(250);
    private const int BatchSize = 5000;
    private readonly Dictionary<long, DateTime> gapsSeen = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leader = await dataSource.OpenConnectionAsync(stoppingToken);
                if (!await TryLockAsync(leader, stoppingToken))
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                    continue;
                }

                LogLeading();
                while (!stoppingToken.IsCancellationRequested)
                {
                    var projected = await ProjectBatchAsync(stoppingToken);
                    if (projected < BatchSize)
                    {
                        await Task.Delay(IdleDelay, stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or MartenException or IOException)
            {
                LogProjectionFailed(error);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        command.Parameters.AddWithValue("key", LockKey);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Projects the next batch of log rows; returns how many rows it consumed.</summary>
    public async Task<int> ProjectBatchAsync(CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var checkpoint = await session.LoadAsync<AuditCheckpoint>(CheckpointId, cancellationToken)
            ?? new AuditCheckpoint { Id = CheckpointId };
        var rows = await ReadAfterAsync(checkpoint.LastLogId, cancellationToken);
        var ready = TakeContiguous(checkpoint.LastLogId, rows);
        if (ready.Count == 0)
        {
            return 0;
        }

        foreach (var stream in ready.GroupBy(r => r.JobId))
        {
            session.Events.Append(stream.Key, stream.Select(r => (object)r.ToAuditEvent()).ToArray());
        }

        checkpoint.LastLogId = ready[^1].Id;
        session.Store(checkpoint);
        await session.SaveChangesAsync(cancellationToken);
        return ready.Count;
    }

    private async Task<List<JobLogEntry>> ReadAfterAsync(long lastId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT l.id, l.job_id, l.event, l.status, l.attempt, l.worker_id, l.message, (l.details ->> 'progress')::int,
                   l.created_at, j.job_type, j.queue, j.user_id
            FROM job_log l LEFT JOIN job_queue j ON j.id = l.job_id
            WHERE l.id > @last
            ORDER BY l.id
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("last", lastId);
        command.Parameters.AddWithValue("limit", BatchSize);
        var rows = new List<JobLogEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new JobLogEntry(
                reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetGuid(11)));
        }

        return rows;
    }

    /// <summary>The rows up to the first gap that may still fill (a transaction not yet committed).</summary>
    private List<JobLogEntry> TakeContiguous(long lastId, List<JobLogEntry> rows)
    {
        var ready = new List<JobLogEntry>(rows.Count);
        var expected = lastId + 1;
        foreach (var row in rows)
        {
            if (row.Id != expected && lastId > 0)
            {
                var now = DateTime.UtcNow;
                var firstSeen = gapsSeen.TryGetValue(expected, out var seen) ? seen : gapsSeen[expected] = now;
                if (now - firstSeen < GapPatience)
                {
                    break;
                }

                gapsSeen.Remove(expected);
            }

            ready.Add(row);
            expected = row.Id + 1;
        }

        return ready;
    }

    [LoggerMessage(LogLevel.Information, "This replica now projects the job log into the audit trail")]
    private partial void LogLeading();

    [LoggerMessage(LogLevel.Warning, "Audit projection failed; retrying")]
    private partial void LogProjectionFailed(Exception error);
}
