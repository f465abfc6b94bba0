namespace Platform.Core.Jobs.Args;

/// <summary>
/// <c>stripe_webhook</c>: applies one stored Stripe event (<c>stripe_webhook_events</c>) to the subscription. Enqueued
/// only by the SQL intake (<c>record_stripe_webhooks</c>, <c>replay_stripe_webhook</c>), which writes this payload with
/// <c>jsonb_build_object</c>; the Stripe ids ride along for logs and admin views.
/// </summary>
/// <param name="WebhookEventId"><c>stripe_webhook_events.id</c>.</param>
/// <param name="StripeEventId">Stripe's event id (<c>evt_...</c>).</param>
/// <param name="EventType">Stripe's event type (<c>customer.subscription.updated</c>, ...).</param>
/// <param name="Replay">true when an admin or reconciliation replayed a failed event.</param>
public sealed record StripeWebhookArgs(Guid WebhookEventId, string? StripeEventId = null, string? EventType = null, bool Replay = false)
    : IJobArgs<StripeWebhookArgs>
{
    public const string Kind = "stripe_webhook";

    public static JobTypeDefinition Definition { get; } = new()
    {
        Name = Kind,
        Queue = JobQueues.Webhooks,
        MaxAttempts = 4, // 1 try + 3 retries (record_stripe_webhooks and stripe_webhook_events.max_attempts agree)
        Timeout = TimeSpan.FromMinutes(1),
        Access = JobAccess.System,
        RetryBase = TimeSpan.FromSeconds(2), // about 1-2 s, 2-4 s, 4-8 s; later healing is replay or reconciliation
    };
}
