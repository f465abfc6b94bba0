using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>POST /webhooks/stripe: signature verification, idempotent storage with the processing job, refusals.</summary>
public class StripeWebhookReceiverTests(BillingApiHost api) : IClassFixture<BillingApiHost>
{
    private static JsonObject SubscriptionEvent(string type = "customer.subscription.updated", string? id = null, string? apiVersion = null) =>
        StripeFixtures.Event(type, StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_Receiver"), id, apiVersion: apiVersion);

    private async Task<HttpResponseMessage> PostAsync(string body, string? signature, string contentType = "application/json")
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        return await client.SendAsync(request);
    }

    private Task<long> CountAsync(string sql, string eventId) =>
        api.ScalarAsync<long>(sql.Replace("@id", "'" + eventId.Replace("'", "''") + "'"));

    private Task<long> StoredAsync(string eventId) => CountAsync("SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = @id", eventId);

    private Task<long> JobsAsync(string eventId) =>
        CountAsync("SELECT count(*) FROM job_queue WHERE job_type = 'stripe_webhook' AND payload->>'stripe_event_id' = @id", eventId);

    [Fact]
    public async Task A_signed_event_is_stored_once_with_its_processing_job_and_answered_200()
    {
        var stripeEvent = SubscriptionEvent();
        var body = stripeEvent.ToJsonString();
        var id = (string)stripeEvent["id"]!;

        using var response = await PostAsync(body, StripeFixtures.Sign(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, answer.GetProperty("event_id").GetString());
        Assert.False(answer.GetProperty("duplicate").GetBoolean());
        Assert.Equal("queued", answer.GetProperty("processing").GetString());
        Assert.Equal(1, await StoredAsync(id));
        Assert.Equal(1, await JobsAsync(id));
        Assert.Equal("pending", await api.ScalarAsync<string>($"SELECT status FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));
        Assert.Equal("webhooks", await api.ScalarAsync<string>(
            $"SELECT j.queue FROM job_queue j JOIN stripe_webhook_events w ON w.job_id = j.id WHERE w.stripe_event_id = '{id}'"));
        Assert.Equal(4, await api.ScalarAsync<int>(
            $"SELECT j.max_attempts FROM job_queue j JOIN stripe_webhook_events w ON w.job_id = j.id WHERE w.stripe_event_id = '{id}'"));
        Assert.Equal("received", await api.ScalarAsync<string>($"SELECT string_agg(action, ',') FROM billing_audit WHERE stripe_event_id = '{id}'"));
    }

    [Fact]
    public async Task Concurrent_deliveries_of_one_event_store_it_once_and_exactly_one_answer_is_not_a_duplicate()
    {
        var stripeEvent = SubscriptionEvent();
        var body = stripeEvent.ToJsonString();
        var id = (string)stripeEvent["id"]!;

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => PostAsync(body, StripeFixtures.Sign(body))));
        var answers = new List<JsonElement>();
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answers.Add(await response.Content.ReadFromJsonAsync<JsonElement>());
            }
        }

        Assert.Single(answers, a => !a.GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, await StoredAsync(id));
        Assert.Equal(1, await JobsAsync(id));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM billing_audit WHERE stripe_event_id = @id", id));
    }

    [Fact]
    public async Task A_duplicate_delivery_answers_200_and_changes_nothing()
    {
        var stripeEvent = SubscriptionEvent();
        var body = stripeEvent.ToJsonString();
        var id = (string)stripeEvent["id"]!;
        using var first = await PostAsync(body, StripeFixtures.Sign(body));
        var before = await api.ScalarAsync<DateTime>($"SELECT updated_at FROM stripe_webhook_events WHERE stripe_event_id = '{id}'");

        using var second = await PostAsync(body, StripeFixtures.Sign(body));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.True((await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, await StoredAsync(id));
        Assert.Equal(1, await JobsAsync(id));
        Assert.Equal(before, await api.ScalarAsync<DateTime>($"SELECT updated_at FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM billing_audit WHERE stripe_event_id = @id", id));
    }

    [Fact]
    public async Task Fifty_concurrent_copies_of_one_event_store_one_row_and_one_job()
    {
        var stripeEvent = SubscriptionEvent();
        var body = stripeEvent.ToJsonString();
        var id = (string)stripeEvent["id"]!;
        var signature = StripeFixtures.Sign(body);

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => PostAsync(body, signature)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var duplicates = 0;
        foreach (var response in responses)
        {
            duplicates += (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean() ? 1 : 0;
            response.Dispose();
        }

        Assert.Equal(49, duplicates);
        Assert.Equal(1, await StoredAsync(id));
        Assert.Equal(1, await JobsAsync(id));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM billing_audit WHERE stripe_event_id = @id", id));
    }

    public static TheoryData<string> Refusals => ["tampered body", "wrong secret", "stale timestamp", "future timestamp", "missing header",
        "garbage header", "not JSON", "JSON but not an event", "event without data.object"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task An_unverifiable_or_malformed_delivery_is_refused_with_400_and_nothing_is_stored(string refusal)
    {
        var stripeEvent = SubscriptionEvent();
        var id = (string)stripeEvent["id"]!;
        var body = stripeEvent.ToJsonString();
        string? signature = StripeFixtures.Sign(body);
        switch (refusal)
        {
            case "tampered body":
                body = body.Replace("\"active\"", "\"canceled\"", StringComparison.Ordinal);
                break;
            case "wrong secret":
                signature = StripeFixtures.Sign(body, "whsec_someone_else_entirely_000000000");
                break;
            case "stale timestamp":
                signature = StripeFixtures.Sign(body, at: DateTimeOffset.UtcNow.AddSeconds(-301));
                break;
            case "future timestamp":
                signature = StripeFixtures.Sign(body, at: DateTimeOffset.UtcNow.AddMinutes(10));
                break;
            case "missing header":
                signature = null;
                break;
            case "garbage header":
                signature = "t=yesterday,v1=zz";
                break;
            case "not JSON":
                body = $"id={id}&type=customer.subscription.updated";
                signature = StripeFixtures.Sign(body);
                break;
            case "JSON but not an event":
                body = new JsonObject { ["id"] = id, ["object"] = "subscription", ["type"] = "x" }.ToJsonString();
                signature = StripeFixtures.Sign(body);
                break;
            case "event without data.object":
                stripeEvent["data"] = new JsonObject();
                body = stripeEvent.ToJsonString();
                signature = StripeFixtures.Sign(body);
                break;
        }

        using var response = await PostAsync(body, signature);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal(0, await StoredAsync(id));
        Assert.Equal(0, await JobsAsync(id));
    }

    [Fact]
    public async Task An_event_signed_with_the_previous_secret_still_verifies_during_rotation()
    {
        var stripeEvent = SubscriptionEvent();
        var body = stripeEvent.ToJsonString();

        using var response = await PostAsync(body, StripeFixtures.Sign(body, BillingApiHost.OldWebhookSecret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await StoredAsync((string)stripeEvent["id"]!));
    }

    [Fact]
    public async Task An_event_in_another_api_version_is_verified_and_accepted()
    {
        var stripeEvent = SubscriptionEvent(apiVersion: "2024-06-20");
        var body = stripeEvent.ToJsonString();

        using var response = await PostAsync(body, StripeFixtures.Sign(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("2024-06-20", await api.ScalarAsync<string>(
            $"SELECT api_version FROM stripe_webhook_events WHERE stripe_event_id = '{stripeEvent["id"]}'"));
    }

    [Fact]
    public async Task An_unknown_event_type_is_stored_and_acknowledged_but_not_processed()
    {
        var stripeEvent = StripeFixtures.Event("customer.tax_id.created", new JsonObject { ["id"] = "txi_123", ["object"] = "tax_id" });
        var body = stripeEvent.ToJsonString();
        var id = (string)stripeEvent["id"]!;

        using var response = await PostAsync(body, StripeFixtures.Sign(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ignored", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("processing").GetString());
        Assert.Equal("ignored", await api.ScalarAsync<string>($"SELECT status FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));
        Assert.Equal(0, await JobsAsync(id));
        Assert.Equal("ignored", await api.ScalarAsync<string>($"SELECT string_agg(action, ',') FROM billing_audit WHERE stripe_event_id = '{id}'"));
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused_with_413()
    {
        var stripeEvent = SubscriptionEvent();
        stripeEvent["padding"] = new string('x', 70_000);
        var body = stripeEvent.ToJsonString();

        using var response = await PostAsync(body, StripeFixtures.Sign(body));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await StoredAsync((string)stripeEvent["id"]!));
    }
}
