using System.Net;
using System.Text;
using Npgsql;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>The Api with a group-commit queue of one event, so a test can fill it.</summary>
public sealed class TinyWebhookQueueApiHost : BillingApiHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Stripe:WebhookQueueCapacity"] = "1";
    }
}

/// <summary>
/// POST /webhooks/stripe over HTTP while the writer cannot commit (its insert waits on a table lock held by the test):
/// with the queue full the answer is 503 problem details with <c>Retry-After: 1</c> and nothing of that event is
/// stored, and the requests already queued are answered 200 only once their batch committed.
/// </summary>
public class StripeWebhookQueueFullTests(TinyWebhookQueueApiHost api) : IClassFixture<TinyWebhookQueueApiHost>
{
    private async Task<HttpResponseMessage> PostAsync(string body)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeFixtures.Sign(body));
        return await client.SendAsync(request);
    }

    private static (string Body, string Id) NewEvent()
    {
        var stripeEvent = StripeFixtures.Event("customer.subscription.updated",
            StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_QueueFull"));
        return (stripeEvent.ToJsonString(), (string)stripeEvent["id"]!);
    }

    private Task<long> StoredAsync(string id) => api.ScalarAsync<long>($"SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = '{id}'");

    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_and_stores_nothing_and_queued_events_answer_200_only_after_commit()
    {
        var (writing, writingId) = NewEvent();
        var (queued, queuedId) = NewEvent();
        var (shed, shedId) = NewEvent();

        await using var blocker = new NpgsqlConnection(api.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE stripe_webhook_events IN SHARE ROW EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        // 1. The writer takes the first event and waits on the lock; 2. the second fills the queue; 3. the third is shed.
        var first = PostAsync(writing);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await api.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE relation = 'stripe_webhook_events'::regclass AND NOT granted") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the writer never waited on the lock");
            await Task.Delay(20);
        }

        var second = PostAsync(queued);
        await Task.Delay(500); // verified and queued (nothing else can free the one slot while the writer waits)
        using var third = await PostAsync(shed);

        Assert.False(first.IsCompleted || second.IsCompleted, "a request was answered before its event was committed");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        Assert.Equal("1", third.Headers.RetryAfter?.ToString());
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);

        await transaction.RollbackAsync();
        using var firstResponse = await first;
        using var secondResponse = await second;

        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, secondResponse.StatusCode);
        Assert.Equal(1, await StoredAsync(writingId));
        Assert.Equal(1, await StoredAsync(queuedId));
        Assert.Equal(0, await StoredAsync(shedId));
    }
}
