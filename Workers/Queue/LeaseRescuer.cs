using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;

namespace Platform.Workers.Queue;

/// <summary>
/// Puts jobs whose lease expired (their worker died) back to pending, or fails them when attempts are used up.
/// One replica per tick (a transaction-scoped advisory lock), whatever the replica count.
/// </summary>
public sealed partial class LeaseRescuer(NpgsqlDataSource dataSource, IOptions<WorkerOptions> options, QueueMetrics metrics, SchemaReadiness schema, ILogger<LeaseRescuer> logger)
    : BackgroundService
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long LockKey = 0x726573637565; // "rescue"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await schema.WaitUntilReadyAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.RescueInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var rescued = await RescueOnceAsync(dataSource, stoppingToken);
                    if (rescued > 0)
                    {
                        metrics.Rescued.Add(rescued);
                        LogRescued(rescued);
                    }
                }
                catch (Exception error) when (error is NpgsqlException or TimeoutException)
                {
                    LogRescueFailed(error);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One tick: rescues expired leases if no other replica is doing it right now; returns how many.</summary>
    public static async Task<int> RescueOnceAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT CASE WHEN pg_try_advisory_xact_lock(@key) THEN rescue_expired_jobs(1000) ELSE 0 END", connection, transaction);
        command.Parameters.AddWithValue("key", LockKey);
        var rescued = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return rescued;
    }

    [LoggerMessage(LogLevel.Warning, "Rescued {Count} jobs whose worker stopped heartbeating")]
    private partial void LogRescued(int count);

    [LoggerMessage(LogLevel.Warning, "Lease rescue failed")]
    private partial void LogRescueFailed(Exception error);
}
