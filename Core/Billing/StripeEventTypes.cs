namespace Platform.Core.Billing;

/// <summary>The Stripe event types the platform acts on; any other type is stored as <c>ignored</c> and acknowledged.</summary>
public static class StripeEventTypes
{
    public const string CheckoutSessionCompleted = "checkout.session.completed";
    public const string SubscriptionCreated = "customer.subscription.created";
    public const string SubscriptionUpdated = "customer.subscription.updated";
    public const string SubscriptionDeleted = "customer.subscription.deleted";
    public const string SubscriptionTrialWillEnd = "customer.subscription.trial_will_end";
    public const string InvoicePaymentSucceeded = "invoice.payment_succeeded";
    public const string InvoicePaymentFailed = "invoice.payment_failed";

    public static readonly IReadOnlySet<string> Handled = new HashSet<string>(StringComparer.Ordinal)
    {
        CheckoutSessionCompleted,
        SubscriptionCreated,
        SubscriptionUpdated,
        SubscriptionDeleted,
        SubscriptionTrialWillEnd,
        InvoicePaymentSucceeded,
        InvoicePaymentFailed,
    };

    public static bool IsHandled(string type) => Handled.Contains(type);
}
