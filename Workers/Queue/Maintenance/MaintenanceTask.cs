using System.Diagnostics;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Queue.Maintenance;

/// <summary>
/// The one loop of every periodic task in the Workers (lease rescue, retention, schedules, trending, the audit
/// projectors, queue metrics), in the shape of River's leader-only maintenance services:
/// <list type="bullet">
/// <item><b>Interval</b>: a tick at start (or after one <see cref="Interval"/> when <see cref="TickAtStart"/> is false),
/// then one every <see cref="Interval"/> after the previous tick ended; zero or less disables the task. Nothing runs
/// until the database holds this build's schema (<see cref="SchemaReadiness"/>).</item>
/// <item><b>One replica per tick</b>: each batch runs in its own transaction that first takes
/// <c>pg_try_advisory_xact_lock(<see cref="LockKey"/>)</c> (<see cref="LeaderLock"/>); a replica that does not get it
/// skips the tick. A null key means every replica runs the task (per-process work such as a metric).</item>
/// <item><b>Batching</b>: batches repeat while one affects <see cref="BatchSize"/> rows or more, so a backlog is worked
/// off in short transactions instead of one long one holding locks and bloating WAL.</item>
/// <item><b>Backoff</b>: any exception fails the tick (logged, counted) and never stops the host; after n failures in a
/// row the next tick waits max(<see cref="Interval"/>, min(1 s × 2ⁿ⁻¹, 10 s)) ±10 %, so a database outage neither
/// spins nor floods the log, and the first good tick after it is logged.</item>
/// <item><b>Metrics</b>: <see cref="MaintenanceMetrics"/> (tick duration, rows, skipped ticks, failures) tagged with the
/// task's name.</item>
/// </list>
/// </summary>
public abstract partial class MaintenanceTask(NpgsqlDataSource dataSource, SchemaReadiness schema, ILogger logger) : BackgroundService
{
    /// <summary>First wait after a failed tick; it doubles with each further failure up to <see cref="MaxBackoff"/>.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait after failures (a task with a longer <see cref="Interval"/> waits its interval).</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private int failuresInARow;

    /// <summary>The task's logger (for derived tasks' own messages).</summary>
    protected ILogger Logger { get; } = logger;

    /// <summary>Time from the end of one tick to the start of the next; zero or less disables the task.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>This task's advisory lock key (unique among the platform's schedules); null: every replica runs it.</summary>
    protected abstract long? LockKey { get; }

    /// <summary>
    /// A batch that affects this many rows or more is followed by another in the same tick (default: one batch per
    /// tick). Passed to SQL as <c>@batch</c> by <see cref="CountAsync"/>.
    /// </summary>
    protected virtual int BatchSize => int.MaxValue;

    /// <summary>True (default): the first tick runs at start, so a process restarted more often than the interval still does the work.</summary>
    protected virtual bool TickAtStart => true;

    /// <summary>Level of the "tick: N rows" log line (ticks that affect no row are not logged).</summary>
    protected virtual LogLevel RowsLogLevel => LogLevel.Information;

    /// <summary>The task's name in logs and metrics.</summary>
    protected virtual string TaskName => GetType().Name;

    /// <summary>
    /// One batch, inside a transaction that holds <see cref="LockKey"/> and commits when the batch returns (a task may
    /// also use connections of its own: the lock is held until then). Returns the rows it affected.
    /// </summary>
    protected abstract Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    /// <summary>After a tick this replica ran, once every batch has committed (e.g. to announce the change).</summary>
    protected virtual Task OnTickCompletedAsync(int rows, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One tick: batches until one comes back short; the rows they affected (0 when another replica holds the lock).</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var total = 0;
        while (true)
        {
            var affected = await LeaderLock.TryRunAsync(dataSource, LockKey, RunBatchAsync, cancellationToken);
            if (affected is null)
            {
                if (total == 0)
                {
                    MaintenanceMetrics.Skipped.Add(1, Tag);
                    return 0;
                }

                break; // another replica took over between two batches
            }

            total += affected.Value;
            if (affected.Value < BatchSize || cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        MaintenanceMetrics.TickDuration.Record(elapsed.TotalMilliseconds, Tag);
        if (total > 0)
        {
            MaintenanceMetrics.Rows.Add(total, Tag);
            LogTick(Logger, RowsLogLevel, TaskName, total, (long)elapsed.TotalMilliseconds);
        }

        await OnTickCompletedAsync(total, cancellationToken);
        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await schema.WaitUntilReadyAsync(stoppingToken);
            if (!TickAtStart)
            {
                await Task.Delay(Interval, stoppingToken);
            }

            while (true)
            {
                await TickAsync(stoppingToken);
                await Task.Delay(NextDelay(), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// A scalar SQL expression returning the rows it affected (an <c>integer</c>, e.g. a cleanup function), with
    /// <c>@batch</c> bound to <see cref="BatchSize"/> and <paramref name="parameters"/> added.
    /// </summary>
    protected async Task<int> CountAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string expression,
        Action<NpgsqlParameterCollection>? parameters,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT ({expression})::integer", connection, transaction);
        command.Parameters.AddWithValue("batch", BatchSize);
        parameters?.Invoke(command.Parameters);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private KeyValuePair<string, object?> Tag => new("task", TaskName);

    private async Task TickAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunOnceAsync(stoppingToken);
            if (failuresInARow > 0)
            {
                LogRecovered(Logger, TaskName, failuresInARow);
                failuresInARow = 0;
            }
        }
        catch (Exception error) when (!stoppingToken.IsCancellationRequested)
        {
            // Any failure, not only the database's: an escaped exception would stop the whole Workers host
            // (BackgroundServiceExceptionBehavior.StopHost).
            failuresInARow++;
            MaintenanceMetrics.Failures.Add(1, Tag);
            LogFailed(Logger, error, TaskName, failuresInARow, NextDelay());
        }
    }

    private TimeSpan NextDelay()
    {
        if (failuresInARow == 0)
        {
            return Interval;
        }

        var backoff = FirstBackoff * Math.Pow(2, Math.Min(failuresInARow - 1, 16));
        backoff = (backoff < MaxBackoff ? backoff : MaxBackoff) * (0.9 + (0.2 * Random.Shared.NextDouble()));
        return backoff > Interval ? backoff : Interval;
    }

    [LoggerMessage("{Task} tick: {Rows} rows in {ElapsedMs} ms")]
    private static partial void LogTick(ILogger logger, LogLevel level, string task, int rows, long elapsedMs);

    [LoggerMessage(LogLevel.Warning, "{Task} tick failed ({Failures} in a row); next try in {Delay}")]
    private static partial void LogFailed(ILogger logger, Exception error, string task, int failures, TimeSpan delay);

    [LoggerMessage(LogLevel.Information, "{Task} runs again after {Failures} failed ticks")]
    private static partial void LogRecovered(ILogger logger, string task, int failures);
}
