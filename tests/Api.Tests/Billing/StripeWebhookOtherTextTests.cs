using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>
/// Other text PostgreSQL cannot store, in a signed Stripe event: overlong UTF-8 (<c>C0 80</c>, Java's "modified UTF-8"
/// NUL) as raw bytes in a customer's email, and U+0000 in the event's own id and the customer id. Never a 500 (Stripe
/// would retry it for days); either stored cleaned (200) or refused as malformed (400 problem).
/// </summary>
public class StripeWebhookOtherTextTests(BillingApiHost api) : IClassFixture<BillingApiHost>
{
    private async Task<HttpResponseMessage> PostAsync(byte[] body)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        // The signature covers the exact bytes, as Stripe's does.
        var secret = Encoding.UTF8.GetBytes(StripeFixtures.WebhookSecret);
        var at = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signed = Encoding.UTF8.GetBytes($"{at}.").Concat(body).ToArray();
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(secret, signed));
        request.Headers.TryAddWithoutValidation("Stripe-Signature", $"t={at},v1={hash}");
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Overlong_utf8_bytes_in_a_customer_email_never_answer_500()
    {
        var session = StripeFixtures.CheckoutSession("cs_" + Guid.NewGuid().ToString("N")[..14], "cus_Overlong", "sub_Overlong", Guid.NewGuid());
        session["customer_details"] = new JsonObject { ["email"] = "OVERLONG@example.test" };
        var stripeEvent = StripeFixtures.Event("checkout.session.completed", session);
        var id = (string)stripeEvent["id"]!;
        var json = Encoding.UTF8.GetBytes(stripeEvent.ToJsonString());
        var marker = Encoding.UTF8.GetBytes("OVERLONG");
        var at = json.AsSpan().IndexOf(marker);
        byte[] body = [.. json.AsSpan(0, at), (byte)'a', 0xC0, 0x80, (byte)'b', .. json.AsSpan(at + marker.Length)];

        using var response = await PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var email = await api.ScalarAsync<string>(
                $"SELECT payload->'data'->'object'->'customer_details'->>'email' FROM stripe_webhook_events WHERE stripe_event_id = '{id}'");
            Assert.NotNull(email);
            Assert.DoesNotContain("\0", email, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("id")]
    [InlineData("type")]
    public async Task Nul_in_the_events_own_fields_never_answers_500(string field)
    {
        var stripeEvent = StripeFixtures.Event("customer.subscription.updated", StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_Nul\0"));
        stripeEvent[field] = (string)stripeEvent[field]! + "\0x";

        using var response = await PostAsync(Encoding.UTF8.GetBytes(stripeEvent.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }
}
