namespace Platform.Core.Billing;

/// <summary>
/// Stripe settings, section <c>Stripe</c> (environment form <c>Stripe__SecretKey</c>, <c>Stripe__WebhookSecret</c>,
/// <c>Stripe__Prices__pro</c>, ...). Shared by the Api (webhook intake, checkout, portal) and the Workers (processing,
/// reconciliation, retention).
/// </summary>
public sealed class StripeOptions
{
    public const string Section = "Stripe";

    /// <summary>The API secret key (<c>sk_test_...</c> / <c>rk_...</c>). Without it checkout, portal and processing are unavailable.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Webhook signing secrets (<c>whsec_...</c>), comma-separated: during a rotation both old and new verify.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Base URL of Stripe's API; <c>https://api.stripe.com</c> when unset (tests point it at a local fake).</summary>
    public string? ApiBase { get; set; }

    /// <summary>Tier → Stripe price id, e.g. <c>Stripe__Prices__pro=price_123</c>. The reverse map decides a subscription's tier.</summary>
    public Dictionary<string, string> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How old a signed webhook may be (Stripe's default is 300 s).</summary>
    public int WebhookToleranceSeconds { get; set; } = 300;

    /// <summary>Largest webhook body accepted (Stripe's events are far smaller).</summary>
    public int MaxWebhookBodyBytes { get; set; } = 512 * 1024;

    /// <summary>
    /// Verified webhook events waiting for the Api's group-commit writer (StripeEventWriter); when it is full the
    /// receiver answers 503 with <c>Retry-After</c> and Stripe re-delivers later.
    /// </summary>
    public int WebhookQueueCapacity { get; set; } = 4096;

    /// <summary>Most events the writer stores in one transaction (one round trip, one commit).</summary>
    public int WebhookMaxBatch { get; set; } = 256;

    /// <summary>Stripe.net's own retries of a failed API call (network errors, 409/429/5xx), before the job's retries.</summary>
    public int MaxNetworkRetries { get; set; } = 2;

    public string CheckoutSuccessUrl { get; set; } = "http://localhost:5173/billing?checkout=success";

    public string CheckoutCancelUrl { get; set; } = "http://localhost:5173/billing?checkout=cancelled";

    public string PortalReturnUrl { get; set; } = "http://localhost:5173/billing";

    /// <summary>How often the Workers list Stripe's events to record any missed webhook (0 disables).</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How far back the first reconciliation looks (Stripe keeps events for 30 days).</summary>
    public TimeSpan ReconcileLookback { get; set; } = TimeSpan.FromDays(3);

    /// <summary>
    /// How many times reconciliation replays an event that ended <c>failed</c> (received within
    /// <see cref="ReconcileLookback"/>); each replay is a new processing job with its own retries. 0 disables.
    /// </summary>
    public int ReconcileReplays { get; set; } = 3;

    /// <summary>Handled webhook events older than this are deleted (in batches, one replica per tick).</summary>
    public TimeSpan WebhookRetention { get; set; } = TimeSpan.FromDays(90);

    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    public int RetentionBatchSize { get; set; } = 1000;

    public bool HasSecretKey => !string.IsNullOrWhiteSpace(SecretKey);

    /// <summary>
    /// The mode of <see cref="SecretKey"/> from its prefix (<c>sk_live_</c>/<c>rk_live_</c> true, <c>sk_test_</c>/<c>rk_test_</c>
    /// false; Stripe's key formats), null when unknown. A test key cannot see live objects (Stripe answers 404).
    /// </summary>
    public bool? IsLiveKey => SecretKey?.Trim() switch
    {
        { } key when key.StartsWith("sk_live_", StringComparison.Ordinal) || key.StartsWith("rk_live_", StringComparison.Ordinal) => true,
        { } key when key.StartsWith("sk_test_", StringComparison.Ordinal) || key.StartsWith("rk_test_", StringComparison.Ordinal) => false,
        _ => null,
    };

    public IReadOnlyList<string> WebhookSecrets =>
        (WebhookSecret ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The tier a price id belongs to, or null when it is not configured.</summary>
    public string? TierForPrice(string? priceId) =>
        priceId is null ? null : Prices.FirstOrDefault(p => string.Equals(p.Value, priceId, StringComparison.Ordinal)).Key?.ToLowerInvariant();

    public string? PriceForTier(string tier) => Prices.TryGetValue(tier, out var price) && !string.IsNullOrWhiteSpace(price) ? price : null;
}
