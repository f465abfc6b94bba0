using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>
/// A signed Stripe event is Stripe's text, not the caller's: U+0000 or an unpaired surrogate escape in it (a
/// customer-entered description, metadata) is stored cleaned, never refused and never a 500 that Stripe retries for days.
/// </summary>
public class StripeWebhookTextTests(BillingApiHost api) : IClassFixture<BillingApiHost>
{
    [Fact]
    public async Task A_signed_event_with_nul_and_unpaired_surrogate_escapes_is_stored_cleaned()
    {
        var subscription = StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_Text");
        subscription["metadata"] = new JsonObject { ["note"] = "a\0b", ["bad\0key"] = "x\uD800" };
        var stripeEvent = StripeFixtures.Event("customer.subscription.updated", subscription);
        var id = (string)stripeEvent["id"]!;
        // What Stripe sends: the characters as JSON escapes.
        var body = stripeEvent.ToJsonString().Replace("\\uFFFD", "\\ud800", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\\u0000", body);
        Assert.Contains("\\ud800", body);

        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeFixtures.Sign(body));
        using var response = await client.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("ab", await api.ScalarAsync<string>(
            $"SELECT payload->'data'->'object'->'metadata'->>'note' FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));
        Assert.Equal("x\uFFFD", await api.ScalarAsync<string>(
            $"SELECT payload->'data'->'object'->'metadata'->>'badkey' FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));
    }
}
