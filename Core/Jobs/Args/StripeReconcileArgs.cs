namespace Platform.Core.Jobs.Args;

/// <summary>
/// <c>stripe_reconcile</c>: lists Stripe's events since the last one seen and records any that never arrived as
/// webhooks. Enqueued by the reconciliation schedule, once per time slot.
/// </summary>
/// <param name="Slot">The schedule's time slot (Unix seconds / interval seconds); it also names the idempotency key.</param>
public sealed record StripeReconcileArgs(long Slot) : IJobArgs<StripeReconcileArgs>
{
    public const string Kind = "stripe_reconcile";

    public static JobTypeDefinition Definition { get; } = new()
    {
        Name = Kind,
        Queue = JobQueues.Webhooks,
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMinutes(10),
        Access = JobAccess.System,
        RetryBase = TimeSpan.FromSeconds(30),
    };
}
