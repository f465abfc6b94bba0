using System.Security.Cryptography;
using System.Text;

namespace Platform.Core.Audit;

/// <summary>
/// One step of billing in the audit trail (projected from <c>billing_audit</c>): in the stream of its Stripe webhook
/// event (stream id = stripe_webhook_events.id) and, for subscription changes, in the user's subscription stream.
/// </summary>
public abstract class BillingAuditEvent
{
    public DateTimeOffset At { get; set; }

    public Guid? WebhookEventId { get; set; }

    public string? StripeEventId { get; set; }

    public string? EventType { get; set; }

    public Guid? UserId { get; set; }

    /// <summary>stripe | reconciliation | worker:&lt;id&gt; | admin:&lt;uuid&gt; | user:&lt;uuid&gt;.</summary>
    public string Actor { get; set; } = string.Empty;

    public string? Message { get; set; }

    /// <summary>The step's details as recorded (e.g. old and new tier and status), as JSON.</summary>
    public string? Details { get; set; }

    /// <summary>The billing_audit row this event was projected from.</summary>
    public long LogId { get; set; }
}

public sealed class WebhookReceived : BillingAuditEvent;

public sealed class WebhookIgnored : BillingAuditEvent;

public sealed class WebhookProcessed : BillingAuditEvent;

public sealed class WebhookRetryScheduled : BillingAuditEvent;

public sealed class WebhookFailed : BillingAuditEvent;

public sealed class WebhookReplayed : BillingAuditEvent;

public sealed class SubscriptionChanged : BillingAuditEvent;

public sealed class CustomerLinked : BillingAuditEvent;

public sealed class CheckoutStarted : BillingAuditEvent;

/// <summary>A user holds more than one live Stripe subscription (Details: the subscription and the others).</summary>
public sealed class DuplicateSubscription : BillingAuditEvent;

/// <summary>Stream ids of the audit trail that are not a row's own id.</summary>
public static class AuditStreams
{
    /// <summary>A user's subscription history: a stable id derived from the user id (never equal to it).</summary>
    public static Guid Subscription(Guid userId) =>
        new(MD5.HashData(Encoding.UTF8.GetBytes("subscription:" + userId.ToString("N"))));

    /// <summary>A user account's own stream (its deletion): a stable id derived from the user id (never equal to it).</summary>
    public static Guid Account(Guid userId) =>
        new(MD5.HashData(Encoding.UTF8.GetBytes("account:" + userId.ToString("N"))));

    /// <summary>A platform account's stream (verification, takeover): a stable id derived from the account id (never equal to it).</summary>
    public static Guid PlatformAccount(Guid platformAccountId) =>
        new(MD5.HashData(Encoding.UTF8.GetBytes("platform_account:" + platformAccountId.ToString("N"))));

    public static BillingAuditEvent BillingEvent(string action) => action switch
    {
        "received" => new WebhookReceived(),
        "ignored" => new WebhookIgnored(),
        "processed" => new WebhookProcessed(),
        "retry_scheduled" => new WebhookRetryScheduled(),
        "failed" => new WebhookFailed(),
        "replayed" => new WebhookReplayed(),
        "subscription_changed" => new SubscriptionChanged(),
        "customer_linked" => new CustomerLinked(),
        "checkout_started" => new CheckoutStarted(),
        "duplicate_subscription" => new DuplicateSubscription(),
        _ => throw new InvalidOperationException($"Unknown billing_audit action '{action}'."),
    };
}
