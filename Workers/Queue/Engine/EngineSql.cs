using Npgsql;
using NpgsqlTypes;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// Every statement the engine sends, each one call of a queue function (<c>Migrations/Scripts/002</c> and <c>008</c>).
/// The functions check the lease holder (<see cref="WorkerId"/>), so a write for a job this worker no longer holds
/// changes nothing; every statement stands alone (no session state), so the claim path works through a pooler.
/// </summary>
internal sealed class EngineSql(NpgsqlDataSource dataSource, string workerId, TimeSpan leaseDuration)
{
    /// <summary>Longest error or reschedule reason written (characters; cut at a text-element boundary).</summary>
    public const int MaxErrorLength = 4000;

    /// <summary>The lease holder's name written into <c>locked_by</c>.</summary>
    public string WorkerId { get; } = workerId;

    /// <summary>The lease a claim or heartbeat grants (whole seconds, at least the configured duration).</summary>
    public int LeaseSeconds { get; } = Math.Max(1, (int)Math.Ceiling(leaseDuration.TotalSeconds));

    /// <summary>Both channels the engine listens on, for its one LISTEN connection.</summary>
    public static string Listen => $"LISTEN {JobNotifications.QueueWakeupChannel}; LISTEN {JobNotifications.JobProgressChannel}";

    /// <summary><c>claim_jobs</c>: up to <paramref name="limit"/> due jobs of <paramref name="queue"/>, leased to this worker.</summary>
    public async Task<List<JobRecord>> ClaimAsync(string queue, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {JobRecord.Columns} FROM claim_jobs(@queue, @worker, @limit, @lease)");
        command.Parameters.AddWithValue("queue", queue);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("lease", LeaseSeconds);
        var jobs = new List<JobRecord>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(JobRecord.Read(reader));
        }

        return jobs;
    }

    /// <summary>
    /// <c>heartbeat_jobs</c>: extends the leases of <paramref name="ids"/>; returns those still held here, each with
    /// whether its owner asked to cancel it. An id missing from the answer was lost (rescued and claimed elsewhere).
    /// </summary>
    public async Task<List<(Guid Id, bool CancelRequested)>> HeartbeatAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, cancel_requested FROM heartbeat_jobs(@worker, @ids, @lease)");
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.AddWithValue("lease", LeaseSeconds);
        var held = new List<(Guid, bool)>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add((reader.GetGuid(0), reader.GetBoolean(1)));
        }

        return held;
    }

    /// <summary>
    /// <c>complete_jobs</c>: completes the jobs held here, <paramref name="resultsJson"/> paired by position; a cache
    /// TTL marks cacheable results. Returns how many were completed (a job completed before, by a write whose answer
    /// was lost, or no longer held counts 0).
    /// </summary>
    public async Task<int> CompleteAsync(Guid[] ids, string[] resultsJson, TimeSpan? cacheTtl)
    {
        await using var command = dataSource.CreateCommand("SELECT complete_jobs(@worker, @ids, @results, @ttl)");
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("ids", ids);
        command.Parameters.Add(new NpgsqlParameter("results", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = resultsJson });
        command.Parameters.Add(new NpgsqlParameter("ttl", NpgsqlDbType.Integer)
        {
            Value = cacheTtl is { } ttl ? (int)Math.Ceiling(ttl.TotalSeconds) : DBNull.Value,
        });
        return (int)(await command.ExecuteScalarAsync(CancellationToken.None))!;
    }

    /// <summary>
    /// <c>fail_job</c>: records a failed attempt; it runs again after <paramref name="retryDelay"/> while attempts
    /// remain and it is not <paramref name="permanent"/>. Returns the job's new status, null when not held here.
    /// </summary>
    public async Task<string?> FailAsync(Guid id, string error, TimeSpan retryDelay, bool permanent)
    {
        await using var command = dataSource.CreateCommand("SELECT fail_job(@id, @worker, @error, @delay, @permanent)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("error", PostgresText.Truncate(error, MaxErrorLength)!); // remote text, as thrown
        command.Parameters.AddWithValue("delay", retryDelay.TotalSeconds);
        command.Parameters.AddWithValue("permanent", permanent);
        return await command.ExecuteScalarAsync(CancellationToken.None) as string;
    }

    /// <summary><c>reschedule_job</c>: back to pending until <paramref name="runAt"/> without using an attempt.</summary>
    public async Task RescheduleAsync(Guid id, DateTimeOffset runAt, string reason)
    {
        await using var command = dataSource.CreateCommand("SELECT reschedule_job(@id, @worker, @run_at, @reason)");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("run_at", runAt);
        command.Parameters.AddWithValue("reason", PostgresText.Truncate(reason, MaxErrorLength)!);
        await command.ExecuteScalarAsync(CancellationToken.None);
    }

    /// <summary>
    /// <c>release_jobs</c>: back to pending without using an attempt (cancelled when the owner asked to cancel), and the
    /// queues' other workers woken. Returns how many were released.
    /// </summary>
    public async Task<int> ReleaseAsync(Guid[] ids)
    {
        await using var command = dataSource.CreateCommand("SELECT release_jobs(@worker, @ids)");
        command.Parameters.AddWithValue("worker", WorkerId);
        command.Parameters.AddWithValue("ids", ids);
        return (int)(await command.ExecuteScalarAsync(CancellationToken.None))!;
    }
}
