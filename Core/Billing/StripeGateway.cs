using Stripe;

namespace Platform.Core.Billing;

/// <summary>The process's Stripe.net client, created on first use from <see cref="StripeOptions"/> (one HTTP connection pool).</summary>
public sealed class StripeGateway(StripeOptions options)
{
    private readonly Lazy<StripeClient> client = new(() => StripeClientFactory.Create(options));

    public StripeOptions Options => options;

    /// <summary>False when <c>Stripe:SecretKey</c> is not set: billing calls answer 503 and processing fails with that reason.</summary>
    public bool IsConfigured => options.HasSecretKey;

    public StripeClient Client => client.Value;
}
