using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;

namespace Platform.Workers.Billing;

/// <summary>
/// Deletes handled Stripe events older than <see cref="StripeOptions.WebhookRetention"/> (90 days) with
/// <c>cleanup_old_webhooks</c>, in small batches (each its own short transaction), one replica per tick via
/// <c>pg_try_advisory_xact_lock</c> (as the lease rescuer). The billing audit trail is kept.
/// </summary>
public sealed partial class StripeWebhookRetention(NpgsqlDataSource dataSource, IOptions<StripeOptions> options, SchemaReadiness schema, ILogger<StripeWebhookRetention> logger)
    : BackgroundService
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long LockKey = 0x77686b636c6e; // "whkcln"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.RetentionInterval <= TimeSpan.Zero)
        {
            return;
        }

        await schema.WaitUntilReadyAsync(stoppingToken);
        using var timer = new PeriodicTimer(settings.RetentionInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var deleted = await CleanupAsync(dataSource, settings.WebhookRetention, settings.RetentionBatchSize, stoppingToken);
                    if (deleted > 0)
                    {
                        LogDeleted(deleted, settings.WebhookRetention.TotalDays);
                    }
                }
                catch (Exception error) when (error is NpgsqlException or TimeoutException)
                {
                    LogFailed(error);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One tick: batches until one comes back short; returns how many were deleted (0 when another replica holds the lock).</summary>
    public static async Task<int> CleanupAsync(NpgsqlDataSource dataSource, TimeSpan olderThan, int batchSize, CancellationToken cancellationToken)
    {
        var total = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT CASE WHEN pg_try_advisory_xact_lock(@key) THEN cleanup_old_webhooks(@older_than, @batch) ELSE -1 END",
                connection,
                transaction);
            command.Parameters.AddWithValue("key", LockKey);
            command.Parameters.AddWithValue("older_than", olderThan);
            command.Parameters.AddWithValue("batch", batchSize);
            var deleted = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            await transaction.CommitAsync(cancellationToken);
            if (deleted < 0)
            {
                break; // another replica is on it
            }

            total += deleted;
            if (deleted < batchSize)
            {
                break;
            }
        }

        return total;
    }

    [LoggerMessage(LogLevel.Information, "Deleted {Count} Stripe webhook events older than {Days} days")]
    private partial void LogDeleted(int count, double days);

    [LoggerMessage(LogLevel.Warning, "Stripe webhook retention failed; next tick retries")]
    private partial void LogFailed(Exception error);
}
