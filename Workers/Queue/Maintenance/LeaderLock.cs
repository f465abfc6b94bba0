using Npgsql;

namespace Platform.Workers.Queue.Maintenance;

/// <summary>
/// The advisory lock that lets exactly one replica run a periodic tick: <c>pg_try_advisory_xact_lock(key)</c>, taken at
/// the start of a transaction and released by its commit or rollback. Transaction-scoped, so it leaves no session state
/// behind and works through a transaction-mode pooler (PgBouncer, Supavisor). Keys are 64-bit and unique among the
/// platform's schedules (each task's key spells its name in ASCII).
/// </summary>
public static class LeaderLock
{
    /// <summary>Takes <paramref name="key"/> for <paramref name="transaction"/>; false, at once, when another session holds it.</summary>
    public static async Task<bool> TryTakeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(@key)", connection, transaction);
        command.Parameters.AddWithValue("key", key);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction that holds <paramref name="key"/> and commits it; null (and nothing
    /// run) when another replica holds the lock. A null key runs it without a lock. An exception rolls the transaction
    /// back and propagates.
    /// </summary>
    public static async Task<T?> TryRunAsync<T>(
        NpgsqlDataSource dataSource,
        long? key,
        Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> work,
        CancellationToken cancellationToken)
        where T : struct
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (key is { } lockKey && !await TryTakeAsync(connection, transaction, lockKey, cancellationToken))
        {
            return null;
        }

        var result = await work(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }
}
