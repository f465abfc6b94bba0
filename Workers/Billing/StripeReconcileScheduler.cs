using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Billing;

/// <summary>
/// Enqueues a <c>stripe_reconcile</c> job every <see cref="StripeOptions.ReconcileInterval"/> while Stripe is configured.
/// Every replica tries; the idempotency key names the time slot, so exactly one job exists per slot.
/// </summary>
public sealed partial class StripeReconcileScheduler(
    NpgsqlDataSource dataSource, IOptions<StripeOptions> options, TimeProvider clock, SchemaReadiness schema, ILogger<StripeReconcileScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.ReconcileInterval <= TimeSpan.Zero || !settings.HasSecretKey)
        {
            return;
        }

        await schema.WaitUntilReadyAsync(stoppingToken);
        using var timer = new PeriodicTimer(settings.ReconcileInterval, clock);
        try
        {
            do
            {
                try
                {
                    await EnqueueAsync(dataSource, settings.ReconcileInterval, clock.GetUtcNow(), stoppingToken);
                }
                catch (Exception error) when (error is NpgsqlException or TimeoutException)
                {
                    LogFailed(error);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Enqueues the reconciliation of the slot containing <paramref name="now"/> (a no-op when it exists).</summary>
    public static async Task<EnqueueResult> EnqueueAsync(NpgsqlDataSource dataSource, TimeSpan interval, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var slot = now.ToUnixTimeSeconds() / Math.Max(1, (long)interval.TotalSeconds);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await JobQueueClient.EnqueueAsync(connection, null, new EnqueueRequest(JobTypes.StripeReconcile, JsonSerializer.SerializeToElement(new { slot }))
        {
            IdempotencyKey = $"stripe_reconcile:{(long)interval.TotalSeconds}:{slot}",
        }, cancellationToken);
    }

    [LoggerMessage(LogLevel.Warning, "Scheduling Stripe reconciliation failed; next tick retries")]
    private partial void LogFailed(Exception error);
}
