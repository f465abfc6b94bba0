using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Queue;

/// <summary>
/// Puts jobs whose lease expired (their worker died) back to pending, or fails them when attempts are used up, with
/// <c>rescue_expired_jobs(batch)</c>, every <see cref="WorkerOptions.RescueInterval"/> (default 2 s), 1,000 jobs per
/// transaction, one replica per tick (<see cref="MaintenanceTask"/>).
/// </summary>
public sealed partial class LeaseRescuer(
    NpgsqlDataSource dataSource, IOptions<WorkerOptions> options, QueueMetrics metrics, SchemaReadiness schema, ILogger<LeaseRescuer> logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long Key = 0x726573637565; // "rescue"

    protected override TimeSpan Interval => options.Value.RescueInterval;

    protected override long? LockKey => Key;

    protected override int BatchSize => 1000;

    /// <summary>A lease cannot have expired at start that the previous process's rescuers would not also see: first tick after one interval.</summary>
    protected override bool TickAtStart => false;

    /// <summary>The base logs the count; rescues are a warning (a worker stopped heartbeating).</summary>
    protected override LogLevel RowsLogLevel => LogLevel.Debug;

    protected override Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        CountAsync(connection, transaction, "rescue_expired_jobs(@batch)", null, cancellationToken);

    protected override Task OnTickCompletedAsync(int rows, CancellationToken cancellationToken)
    {
        if (rows > 0)
        {
            metrics.Rescued.Add(rows);
            LogRescued(Logger, rows);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Warning, "Rescued {Count} jobs whose worker stopped heartbeating")]
    private static partial void LogRescued(ILogger logger, int count);
}
