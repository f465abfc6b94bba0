using System.Net;
using System.Net.Http.Json;
using Platform.Api.Tests.Billing;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Limits;

public sealed class BillingLimitsHost : BillingApiHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["RateLimits:BillingPermits"] = "3";
        settings["RateLimits:BillingWindowSeconds"] = "60";
    }
}

public sealed class BillingLimitsTests(BillingLimitsHost api) : IClassFixture<BillingLimitsHost>
{
    private static HttpRequestMessage Checkout(string clientKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/billing/checkout") { Content = JsonContent.Create(new { tier = "pro" }) };
        request.Headers.Add("Idempotency-Key", clientKey);
        return request;
    }

    [Fact]
    public async Task Checkout_and_portal_are_limited_per_user_and_the_stripe_key_is_the_servers()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);

        // A loop of checkouts with fresh client keys: Stripe sees keys the server derived, never the client's text.
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Checkout($"loop-{i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var limited = await client.SendAsync(Checkout("loop-3")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        }

        using (var portal = await client.PostAsync("/api/billing/portal", null))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, portal.StatusCode);
        }

        var keys = api.Stripe.RequestsTo("POST", "/v1/checkout/sessions")
            .Where(r => r.Form.GetValueOrDefault("client_reference_id") == userId.ToString())
            .Select(r => r.IdempotencyKey)
            .ToList();
        Assert.Equal(3, keys.Count);
        Assert.All(keys, key =>
        {
            Assert.StartsWith($"platform-checkout-{userId:N}-{StripeFixtures.ProPrice}-", key);
            Assert.DoesNotContain("loop", key);
        });

        // Another user has a budget of their own.
        using var other = api.CreateClient(Guid.NewGuid());
        using var theirs = await other.SendAsync(Checkout("loop-0"));
        Assert.Equal(HttpStatusCode.OK, theirs.StatusCode);
    }
}
