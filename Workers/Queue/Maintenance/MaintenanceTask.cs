using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Queue.Maintenance;

/// <summary>
/// A periodic database chore that exactly one replica runs per tick, whatever the replica count: at start and then every
/// <see cref="Interval"/>, batches of <see cref="BatchSql"/> run, each in its own short transaction that first takes
/// <c>pg_try_advisory_xact_lock(LockKey)</c> (transaction-scoped, so safe behind a transaction-mode pooler); a replica
/// that does not get the lock skips the tick. Batches repeat until one affects fewer than <see cref="BatchSize"/> rows,
/// so a backlog is worked off without one long transaction holding locks or bloating WAL. A failed tick is logged and
/// retried at the next one. An interval of zero or less disables the task. Nothing runs until the database holds this
/// build's schema (<see cref="SchemaReadiness"/>), as for every other background loop.
/// </summary>
public abstract partial class MaintenanceTask(NpgsqlDataSource dataSource, SchemaReadiness schema, ILogger logger) : BackgroundService
{
    /// <summary>Time between ticks.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>This task's advisory lock key (unique among the platform's schedules).</summary>
    protected abstract long LockKey { get; }

    /// <summary>Most rows one batch may affect (passed to <see cref="BatchSql"/> as <c>@batch</c>).</summary>
    protected abstract int BatchSize { get; }

    /// <summary>One batch: an SQL expression returning the number of rows it affected (an <c>integer</c>).</summary>
    protected abstract string BatchSql { get; }

    /// <summary>Parameters of <see cref="BatchSql"/> besides <c>@batch</c>.</summary>
    protected virtual void AddParameters(NpgsqlParameterCollection parameters)
    {
    }

    /// <summary>One tick: batches until one comes back short; how many rows they affected (0 when another replica holds the lock).</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                $"SELECT CASE WHEN pg_try_advisory_xact_lock(@lock_key) THEN ({BatchSql}) ELSE -1 END", connection, transaction);
            command.Parameters.AddWithValue("lock_key", LockKey);
            command.Parameters.AddWithValue("batch", BatchSize);
            AddParameters(command.Parameters);
            var affected = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            await transaction.CommitAsync(cancellationToken);
            if (affected < 0)
            {
                break; // another replica has this tick
            }

            total += affected;
            if (affected < BatchSize)
            {
                break;
            }
        }

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interval <= TimeSpan.Zero)
        {
            return;
        }

        await schema.WaitUntilReadyAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval);
        try
        {
            // The first tick right after start: a process restarted more often than the interval still does the work.
            do
            {
                try
                {
                    var affected = await RunOnceAsync(stoppingToken);
                    if (affected > 0)
                    {
                        LogDone(GetType().Name, affected);
                    }
                }
                catch (Exception error) when (error is NpgsqlException or TimeoutException)
                {
                    LogFailed(error, GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(LogLevel.Information, "{Task}: {Count} rows deleted")]
    private partial void LogDone(string task, int count);

    [LoggerMessage(LogLevel.Warning, "{Task} failed; the next tick retries")]
    private partial void LogFailed(Exception error, string task);
}
