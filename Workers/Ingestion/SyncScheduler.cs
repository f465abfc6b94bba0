using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Ingestion;

/// <summary>
/// The sync schedule, a <see cref="MaintenanceTask"/> ticking every <see cref="IngestionOptions.ScheduleInterval"/>: one
/// replica per tick enqueues a sync for each active account whose <c>next_sync_at</c> is due (at most
/// <see cref="IngestionOptions.ScheduleBatchSize"/>) and moves <c>next_sync_at</c> on by the account's interval, in the
/// same transaction. The job's idempotency key is the account and its due slot, so a slot is never synced twice, however
/// many replicas or retries see it. Each hour it also re-checks the media checked longest ago (<c>refresh_media</c>).
/// </summary>
public sealed class SyncScheduler(NpgsqlDataSource dataSource, IOptions<IngestionOptions> options, SchemaReadiness schema, ILogger<SyncScheduler> logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long Key = 0x696e67657374; // "ingest"

    private long mediaRecheckedHour = -1;

    protected override TimeSpan Interval => options.Value.ScheduleInterval;

    protected override long? LockKey => Key;

    /// <summary>Accounts over their plan's limit stay due: one batch per tick, or the same accounts would come back at once.</summary>
    protected override int BatchSize => int.MaxValue;

    protected override bool TickAtStart => false;

    protected override async Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // The media re-check scans content_media, so each replica tries it once an hour, not every tick.
        var hour = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 3600;
        var created = await ScheduleAsync(connection, transaction, options.Value, hour != mediaRecheckedHour, cancellationToken);
        mediaRecheckedHour = hour;
        return created;
    }

    /// <summary>
    /// One tick outside the host (tests, tools): enqueues the due syncs (and, when asked, this hour's media re-checks)
    /// unless another replica holds the tick; returns how many jobs were created.
    /// </summary>
    public static async Task<int> ScheduleOnceAsync(
        NpgsqlDataSource dataSource, IngestionOptions options, CancellationToken cancellationToken, bool includeMediaRecheck = false) =>
        await LeaderLock.TryRunAsync(
            dataSource, Key, (connection, transaction, ct) => ScheduleAsync(connection, transaction, options, includeMediaRecheck, ct), cancellationToken) ?? 0;

    /// <summary>
    /// The due syncs (and, when asked, this hour's media re-checks) in the caller's transaction; how many jobs were
    /// created. A fixed number of round trips however many accounts are due: the due accounts, their users' plan caps,
    /// the enqueues, the advance (and the media re-check's select and enqueues).
    /// </summary>
    private static async Task<int> ScheduleAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IngestionOptions options, bool includeMediaRecheck, CancellationToken cancellationToken)
    {
        var due = new List<DueAccount>();
        await using (var select = new NpgsqlCommand(
            """
            SELECT id, user_id, platform, next_sync_at FROM platform_account
            WHERE is_active AND next_sync_at <= now()
            ORDER BY next_sync_at
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """,
            connection,
            transaction))
        {
            select.Parameters.AddWithValue("limit", options.ScheduleBatchSize);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add(new DueAccount(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }

        var created = due.Count == 0 ? 0 : await EnqueueSyncsAsync(connection, transaction, options, due, cancellationToken);
        if (includeMediaRecheck)
        {
            created += await ScheduleMediaRechecksAsync(connection, transaction, options, cancellationToken);
        }

        return created;
    }

    /// <summary>An account whose <c>next_sync_at</c> (its slot) has come.</summary>
    private sealed record DueAccount(Guid Id, Guid UserId, string Platform, DateTimeOffset Slot);

    /// <summary>
    /// Enqueues the syncs of <paramref name="due"/> that their users' plans allow and moves those accounts'
    /// <c>next_sync_at</c> on, recording each one's job (created now, or the slot's existing one) in
    /// <c>sync_state.last_job_id</c>; how many jobs were created. Three round trips whatever the count.
    /// </summary>
    private static async Task<int> EnqueueSyncsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IngestionOptions options, List<DueAccount> due, CancellationToken cancellationToken)
    {
        // The plan caps how many of a user's syncs may be pending or running at once: read for every due user in one
        // statement and applied here in slot order, each sync this tick adds counting against its user's cap. Over it
        // the account stays due and is looked at again next tick. (A slot whose job already exists counts once more
        // here, so at worst another account of that user waits a tick.)
        var caps = new Dictionary<Guid, EntitlementCheck>(await TierEntitlements.CheckConcurrentJobsAsync(
            connection, transaction, due.Select(account => account.UserId).Distinct().ToList(), AccountSync.Kinds, cancellationToken));
        var allowed = new List<DueAccount>(due.Count);
        foreach (var account in due)
        {
            var cap = caps[account.UserId];
            if (cap.Allowed)
            {
                caps[account.UserId] = cap with { Used = cap.Used + 1 };
                allowed.Add(account);
            }
        }

        if (allowed.Count == 0)
        {
            return 0;
        }

        var jobs = await JobQueueClient.EnqueueEachAsync(
            connection,
            transaction,
            allowed.Select(account => (AccountSync.For(account.Platform, account.Id), new EnqueueOptions
            {
                UserId = account.UserId,
                IdempotencyKey = $"sync:{account.Id}:{account.Slot.ToUnixTimeSeconds()}",
            })).ToList(),
            cancellationToken);

        await using var advance = new NpgsqlCommand(
            """
            UPDATE platform_account a
            SET next_sync_at = now() + coalesce(a.sync_interval, @interval),
                sync_state = a.sync_state || jsonb_build_object('last_job_id', s.job_id::text)
            FROM unnest(@ids, @jobs) AS s(id, job_id)
            WHERE a.id = s.id
            """,
            connection,
            transaction);
        advance.Parameters.AddWithValue("ids", allowed.Select(account => account.Id).ToArray());
        advance.Parameters.AddWithValue("jobs", jobs.Select(job => job.JobId).ToArray());
        advance.Parameters.AddWithValue("interval", options.DefaultSyncInterval);
        await advance.ExecuteNonQueryAsync(cancellationToken);

        return jobs.Count(job => job.Created);
    }

    /// <summary>
    /// Once per hour (the hour is in the idempotency keys), <c>refresh_media</c> jobs for the items whose media were
    /// checked longest ago. Media never checked are left to the jobs the syncs enqueue until they are as old.
    /// </summary>
    private static async Task<int> ScheduleMediaRechecksAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IngestionOptions options, CancellationToken cancellationToken)
    {
        var contentIds = new List<Guid>();
        await using (var select = new NpgsqlCommand(
            """
            SELECT content_id FROM (
                SELECT m.content_id, min(m.last_check) AS oldest
                FROM (SELECT content_id, coalesce(checked_at, created_at) AS last_check FROM content_media
                      WHERE coalesce(checked_at, created_at) < now() - @age
                      ORDER BY coalesce(checked_at, created_at)
                      LIMIT @limit * 4) m
                GROUP BY m.content_id
            ) due
            ORDER BY oldest
            LIMIT @limit
            """,
            connection,
            transaction))
        {
            select.Parameters.AddWithValue("age", options.MediaRecheckAge);
            select.Parameters.AddWithValue("limit", options.MediaRecheckPerHour);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                contentIds.Add(reader.GetGuid(0));
            }
        }

        var hour = DateTime.UtcNow.ToString("yyyy-MM-ddTHH", System.Globalization.CultureInfo.InvariantCulture);
        var jobs = await JobQueueClient.EnqueueEachAsync(
            connection,
            transaction,
            contentIds.Chunk(IContentBatchArgs.MaxContentIds)
                .Select((chunk, i) => ((IJobArgs)new RefreshMediaArgs(chunk), new EnqueueOptions { IdempotencyKey = $"media-recheck:{hour}:{i}" }))
                .ToList(),
            cancellationToken);
        var created = jobs.Count(job => job.Created);
        return created;
    }
}
