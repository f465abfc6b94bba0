using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>The Api with Stripe configured against a <see cref="FakeStripe"/> (real HTTP) and two webhook secrets (rotation).</summary>
public class BillingApiHost : ApiHost
{
    public const string OldWebhookSecret = "whsec_old_rotated_out_0123456789abcdef";

    public FakeStripe Stripe { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Stripe = await FakeStripe.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Stripe:SecretKey"] = "sk_test_fake_0123456789";
        settings["Stripe:ApiBase"] = Stripe.BaseUrl;
        settings["Stripe:WebhookSecret"] = $"{StripeFixtures.WebhookSecret}, {OldWebhookSecret}";
        settings["Stripe:Prices:pro"] = StripeFixtures.ProPrice;
        settings["Stripe:Prices:business"] = StripeFixtures.BusinessPrice;
        settings["Stripe:MaxNetworkRetries"] = "0";
        settings["Stripe:MaxWebhookBodyBytes"] = "65536";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}
