using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Billing;

/// <summary>
/// Enqueues a <c>stripe_reconcile</c> job every <see cref="StripeOptions.ReconcileInterval"/> while Stripe is configured,
/// one replica per tick (<see cref="MaintenanceTask"/>). The idempotency key names the time slot, so exactly one job
/// exists per slot whoever enqueues it.
/// </summary>
public sealed class StripeReconcileScheduler(
    NpgsqlDataSource dataSource, IOptions<StripeOptions> options, TimeProvider clock, SchemaReadiness schema, ILogger<StripeReconcileScheduler> logger)
    : MaintenanceTask(dataSource, schema, logger)
{
    /// <summary>Advisory lock key of this schedule.</summary>
    public const long Key = 0x737472726563; // "strrec"

    /// <summary>Disabled (zero) without a Stripe secret key: there is nothing to reconcile with.</summary>
    protected override TimeSpan Interval => options.Value.HasSecretKey ? options.Value.ReconcileInterval : TimeSpan.Zero;

    protected override long? LockKey => Key;

    protected override async Task<int> RunBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var job = await EnqueueAsync(connection, transaction, options.Value.ReconcileInterval, clock.GetUtcNow(), cancellationToken);
        return job.Created ? 1 : 0;
    }

    /// <summary>Enqueues the reconciliation of the slot containing <paramref name="now"/> (a no-op when it exists).</summary>
    public static async Task<EnqueueResult> EnqueueAsync(NpgsqlDataSource dataSource, TimeSpan interval, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await EnqueueAsync(connection, null, interval, now, cancellationToken);
    }

    private static async Task<EnqueueResult> EnqueueAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, TimeSpan interval, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var slot = now.ToUnixTimeSeconds() / Math.Max(1, (long)interval.TotalSeconds);
        return await JobQueueClient.EnqueueAsync(connection, transaction, new StripeReconcileArgs(slot), new EnqueueOptions
        {
            IdempotencyKey = $"stripe_reconcile:{(long)interval.TotalSeconds}:{slot}",
        }, cancellationToken);
    }
}
