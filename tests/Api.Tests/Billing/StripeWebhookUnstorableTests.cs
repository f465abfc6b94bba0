using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>
/// Correctly signed deliveries whose content the envelope or PostgreSQL cannot take (a <c>created</c> outside
/// DateTimeOffset's years 1-9999, ids too long for a btree index) and the body size limit's edge. Never a 500, nothing
/// half-stored, and the other events of the same group-commit batch are stored and answered 200 as usual. A number
/// <c>jsonb</c>'s numeric cannot hold is Stripe's data, not a reason to lose the event: it is stored as the string written.
/// </summary>
public class StripeWebhookUnstorableTests(BillingApiHost api) : IClassFixture<BillingApiHost>
{
    private const int BodyLimit = 65536; // BillingApiHost's Stripe:MaxWebhookBodyBytes

    private static JsonObject NewEvent(string type = "customer.subscription.updated") =>
        StripeFixtures.Event(type, StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_Unstorable"));

    /// <summary>Random hex, so neither the heap nor the index can compress it below the btree row limit (2,704 bytes).</summary>
    private static string RandomText(int length) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes((length + 1) / 2))[..length];

    private async Task<HttpResponseMessage> PostAsync(string body, bool chunked = false)
    {
        using var client = api.CreateClient();
        var bytes = Encoding.UTF8.GetBytes(body);
        HttpContent content = chunked ? new StreamContent(new NoLengthStream(bytes)) : new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = content };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeFixtures.Sign(body));
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        return await client.SendAsync(request);
    }

    private Task<long> StoredAsync(string eventId) =>
        api.ScalarAsync<long>($"SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = '{eventId.Replace("'", "''")}'");

    public static TheoryData<string> Unstorable => ["created after year 9999", "created before year 1",
        "event id longer than Stripe's 255", "object id longer than Stripe's 255", "type too long to index"];

    /// <summary>The signed body of <paramref name="kind"/> and the event id to look for.</summary>
    private static (string Body, string Id) UnstorableEvent(string kind)
    {
        var stripeEvent = NewEvent();
        switch (kind)
        {
            case "created after year 9999":
                stripeEvent["created"] = 253_402_300_800; // 10000-01-01T00:00:00Z
                break;
            case "created before year 1":
                stripeEvent["created"] = -62_135_596_801;
                break;
            case "event id longer than Stripe's 255":
                stripeEvent["id"] = "evt_" + RandomText(4000);
                break;
            case "object id longer than Stripe's 255":
                stripeEvent["data"]!["object"]!["id"] = "sub_" + RandomText(4000);
                break;
            case "type too long to index":
                stripeEvent["type"] = "customer." + RandomText(4000);
                break;
        }

        return (stripeEvent.ToJsonString(), (string)stripeEvent["id"]!);
    }

    [Theory]
    [MemberData(nameof(Unstorable))]
    public async Task A_signed_event_that_cannot_be_stored_is_refused_with_400_not_500_and_nothing_is_stored(string kind)
    {
        var (body, id) = UnstorableEvent(kind);

        using var response = await PostAsync(body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{kind}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()));
        Assert.Equal(0, await StoredAsync(id));
    }

    [Fact]
    public async Task A_signed_event_with_a_number_beyond_numeric_is_stored_with_that_number_as_the_string_written_and_queued()
    {
        var stripeEvent = NewEvent();
        stripeEvent["data"]!["object"]!["quantity"] = "__HUGE__";
        stripeEvent["data"]!["object"]!["amount"] = 1250;
        var id = (string)stripeEvent["id"]!;
        // Signed as sent: the signature covers these exact bytes, which the receiver verifies before anything is cleaned.
        var body = stripeEvent.ToJsonString().Replace("\"__HUGE__\"", "1e1000000", StringComparison.Ordinal);

        using var response = await PostAsync(body);
        using var again = await PostAsync(body);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("queued", answer.GetProperty("processing").GetString());
        Assert.False(answer.GetProperty("duplicate").GetBoolean());
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, await StoredAsync(id));
        Assert.Equal("string:1e1000000 number:1250", await api.ScalarAsync<string>(
            $"""
            SELECT jsonb_typeof(payload->'data'->'object'->'quantity') || ':' || (payload->'data'->'object'->>'quantity')
                   || ' ' || jsonb_typeof(payload->'data'->'object'->'amount') || ':' || (payload->'data'->'object'->>'amount')
            FROM stripe_webhook_events WHERE stripe_event_id = '{id}'
            """));
        Assert.Equal(1, await api.ScalarAsync<long>(
            $"SELECT count(*) FROM job_queue WHERE job_type = 'stripe_webhook' AND payload->>'stripe_event_id' = '{id}'"));
    }

    [Fact]
    public async Task One_unstorable_event_among_concurrent_deliveries_fails_alone_and_every_other_event_is_stored()
    {
        var good = Enumerable.Range(0, 40).Select(_ => NewEvent()).ToList();
        var (badBody, badId) = UnstorableEvent("object id longer than Stripe's 255");
        var bodies = good.Select(e => e.ToJsonString()).ToList();
        bodies.Insert(20, badBody);

        var responses = await Task.WhenAll(bodies.Select(body => PostAsync(body)));

        for (var i = 0; i < bodies.Count; i++)
        {
            using var response = responses[i];
            var expected = i == 20 ? HttpStatusCode.BadRequest : HttpStatusCode.OK;
            Assert.True(response.StatusCode == expected, $"delivery {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(0, await StoredAsync(badId));
        foreach (var stripeEvent in good)
        {
            var id = (string)stripeEvent["id"]!;
            Assert.Equal(1, await StoredAsync(id));
            Assert.Equal(1, await api.ScalarAsync<long>(
                $"SELECT count(*) FROM job_queue WHERE job_type = 'stripe_webhook' AND payload->>'stripe_event_id' = '{id}'"));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_of_exactly_the_size_limit_is_stored_and_one_byte_more_is_refused_with_413(bool chunked)
    {
        var (atLimit, atLimitId) = PaddedTo(BodyLimit);
        var (over, overId) = PaddedTo(BodyLimit + 1);

        using var accepted = await PostAsync(atLimit, chunked);
        using var refused = await PostAsync(over, chunked);

        Assert.True(accepted.StatusCode == HttpStatusCode.OK, $"{(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
        Assert.Equal(1, await StoredAsync(atLimitId));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal(0, await StoredAsync(overId));
        Assert.Equal(atLimitId, (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("event_id").GetString());
    }

    /// <summary>A signed event padded to exactly <paramref name="bytes"/> UTF-8 bytes.</summary>
    private static (string Body, string Id) PaddedTo(int bytes)
    {
        var stripeEvent = NewEvent();
        stripeEvent["padding"] = string.Empty;
        var bare = Encoding.UTF8.GetByteCount(stripeEvent.ToJsonString());
        stripeEvent["padding"] = new string('x', bytes - bare);
        var body = stripeEvent.ToJsonString();
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(body));
        return (body, (string)stripeEvent["id"]!);
    }

    /// <summary>A readable stream that does not know its length, so HttpClient sends the body chunked.</summary>
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
