using System.Text.Json.Nodes;
using Platform.Core.Jobs;
using Platform.TestSupport.Stripe;

namespace Platform.Workers.Tests.Billing;

/// <summary>stripe_webhook processing against a fake Stripe API: re-read ordering, idempotency, retries, replay, audit.</summary>
public class StripeWebhookProcessingTests(BillingDatabase db) : IClassFixture<BillingDatabase>
{
    [Fact]
    public async Task A_completed_checkout_upgrades_the_user_to_the_tier_of_the_price_and_audits_every_step()
    {
        var userId = await db.CreateUserAsync();
        var customerId = db.Stripe.NextId("cus");
        var subscriptionId = db.Stripe.NextId("sub");
        db.Stripe.SetCustomer(new JsonObject { ["id"] = customerId, ["object"] = "customer", ["metadata"] = new JsonObject() });
        var periodEnd = DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeSeconds();
        db.Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, "active", StripeFixtures.BusinessPrice, periodEnd: periodEnd));
        await using var worker = await db.StartWorkerAsync();

        var checkout = StripeFixtures.Event("checkout.session.completed", StripeFixtures.CheckoutSession("cs_test_1", customerId, subscriptionId, userId));
        await db.DeliverAsync(checkout);
        await db.WaitForEventAsync((string)checkout["id"]!, "processed");

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("business", row["tier"]);
        Assert.Equal("active", row["status"]);
        Assert.Equal(customerId, row["stripe_customer_id"]);
        Assert.Equal(subscriptionId, row["stripe_subscription_id"]);
        Assert.Equal(StripeFixtures.BusinessPrice, row["stripe_price_id"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(periodEnd).UtcDateTime, ((DateTime)row["current_period_end"]!).ToUniversalTime());
        Assert.Equal(false, row["cancel_at_period_end"]);
        Assert.Equal(["received", "subscription_changed", "processed"], await db.AuditAsync((string)checkout["id"]!));
        Assert.Single(db.Stripe.RequestsTo("GET", $"/v1/subscriptions/{subscriptionId}"), r => r.StripeVersion == StripeFixtures.ApiVersion);
    }

    [Fact]
    public async Task Updated_delivered_before_created_ends_in_Stripes_current_state()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        var created = StripeFixtures.Event("customer.subscription.created",
            StripeFixtures.Subscription(subscriptionId, customerId, "incomplete", userId: userId), created: FakeStripe.Now() - 5);
        var updated = StripeFixtures.Event("customer.subscription.updated",
            StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId), created: FakeStripe.Now() - 4,
            previousAttributes: new JsonObject { ["status"] = "incomplete" });
        await using var worker = await db.StartWorkerAsync();

        await db.DeliverAsync(updated);
        await db.WaitForEventAsync((string)updated["id"]!, "processed");
        await db.DeliverAsync(created); // late: its payload says "incomplete"
        await db.WaitForEventAsync((string)created["id"]!, "processed");

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("pro", row["tier"]);
        Assert.Equal("active", row["status"]);
        Assert.Equal(["received", "processed"], await db.AuditAsync((string)created["id"]!)); // nothing changed
    }

    [Fact]
    public async Task A_late_updated_after_deleted_does_not_resurrect_the_subscription()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        await using var worker = await db.StartWorkerAsync();
        var first = StripeFixtures.Event("customer.subscription.created", StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        await db.DeliverAsync(first);
        await db.WaitForEventAsync((string)first["id"]!, "processed");
        Assert.Equal("pro", (await db.SubscriptionAsync(userId))["tier"]);

        db.Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, "canceled", userId: userId));
        var deleted = StripeFixtures.Event("customer.subscription.deleted", StripeFixtures.Subscription(subscriptionId, customerId, "canceled", userId: userId));
        var lateUpdated = StripeFixtures.Event("customer.subscription.updated",
            StripeFixtures.Subscription(subscriptionId, customerId, "active", cancelAtPeriodEnd: true, userId: userId), created: FakeStripe.Now() - 60);
        await db.DeliverAsync(deleted);
        await db.WaitForEventAsync((string)deleted["id"]!, "processed");
        await db.DeliverAsync(lateUpdated);
        await db.WaitForEventAsync((string)lateUpdated["id"]!, "processed");

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("free", row["tier"]);
        Assert.Equal("canceled", row["status"]);
        Assert.Equal(["received", "subscription_changed", "processed"], await db.AuditAsync((string)deleted["id"]!));
        Assert.Equal(["received", "processed"], await db.AuditAsync((string)lateUpdated["id"]!));
    }

    [Fact]
    public async Task Fifty_concurrent_copies_of_one_event_are_processed_once_and_change_the_subscription_once()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        var stripeEvent = StripeFixtures.Event("customer.subscription.created", StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        var id = (string)stripeEvent["id"]!;
        await using var worker = await db.StartWorkerAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => db.DeliverAsync(stripeEvent))));
        await db.WaitForEventAsync(id, "processed");
        await Task.Delay(500); // anything that would run twice has had time to

        Assert.Single(results, r => r.Inserted);
        Assert.Single(results.Select(r => r.WebhookEventId).Distinct());
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = @id", ("id", id)));
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM job_queue WHERE payload->>'stripe_event_id' = @id", ("id", id)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM job_log l JOIN job_queue j ON j.id = l.job_id WHERE j.payload->>'stripe_event_id' = @id AND l.event = 'claimed'", ("id", id)));
        Assert.Equal(["received", "subscription_changed", "processed"], await db.AuditAsync(id));
        Assert.Single(db.Stripe.RequestsTo("GET", $"/v1/subscriptions/{subscriptionId}"));
        Assert.Equal("pro", (await db.SubscriptionAsync(userId))["tier"]);
    }

    [Fact]
    public async Task When_Stripes_API_keeps_failing_the_event_is_retried_three_times_then_failed_and_a_replay_applies_it()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        var stripeEvent = StripeFixtures.Event("invoice.payment_succeeded", StripeFixtures.Invoice("in_retry1", customerId, subscriptionId));
        var id = (string)stripeEvent["id"]!;
        db.Stripe.SubscriptionReadFailures = -1;
        await using var worker = await db.StartWorkerAsync();
        using var restore = new Restore(() => db.Stripe.SubscriptionReadFailures = 0);

        var recorded = await db.DeliverAsync(stripeEvent);
        await db.WaitForEventAsync(id, "failed", TimeSpan.FromSeconds(60));
        var job = await JobAsync(recorded.JobId!.Value);
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(4, job.Attempts);
        Assert.Contains("unknown error", job.Error);
        Assert.Equal(4, await db.CountAsync("SELECT attempts FROM stripe_webhook_events WHERE stripe_event_id = @id", ("id", id)));
        Assert.Contains("unknown error", await db.LastErrorAsync(id));
        Assert.Equal(["received", "retry_scheduled", "retry_scheduled", "retry_scheduled", "failed"], await db.AuditAsync(id));
        Assert.Equal(4, db.Stripe.RequestsTo("GET", $"/v1/subscriptions/{subscriptionId}").Count());
        Assert.Equal("free", (await db.SubscriptionAsync(userId))["tier"]);

        db.Stripe.SubscriptionReadFailures = 0;
        await db.ExecuteAsync("SELECT replay_stripe_webhook(@id)", ("id", recorded.WebhookEventId));
        await db.WaitForEventAsync(id, "processed");

        Assert.Equal("pro", (await db.SubscriptionAsync(userId))["tier"]);
        Assert.Null(await db.LastErrorAsync(id));
    }

    [Fact]
    public async Task A_payment_failure_moves_the_subscription_to_past_due_and_keeps_the_paid_tier_in_grace()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        await using var worker = await db.StartWorkerAsync();
        var created = StripeFixtures.Event("customer.subscription.created", StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        await db.DeliverAsync(created);
        await db.WaitForEventAsync((string)created["id"]!, "processed");

        db.Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, "past_due", userId: userId));
        var failed = StripeFixtures.Event("invoice.payment_failed", StripeFixtures.Invoice("in_failed1", customerId, subscriptionId, "open"));
        await db.DeliverAsync(failed);
        await db.WaitForEventAsync((string)failed["id"]!, "processed");

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("pro", row["tier"]);
        Assert.Equal("past_due", row["status"]);
        Assert.Equal("pro", Platform.Core.Billing.TierEntitlements.EffectiveTier("pro", "past_due"));
    }

    [Fact]
    public async Task A_trial_ending_soon_resyncs_the_trial()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("trialing");
        var trialEnd = DateTimeOffset.UtcNow.AddDays(3).ToUnixTimeSeconds();
        db.Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, "trialing", userId: userId, trialEnd: trialEnd));
        await using var worker = await db.StartWorkerAsync();

        var stripeEvent = StripeFixtures.Event("customer.subscription.trial_will_end",
            StripeFixtures.Subscription(subscriptionId, customerId, "trialing", userId: userId, trialEnd: trialEnd));
        await db.DeliverAsync(stripeEvent);
        await db.WaitForEventAsync((string)stripeEvent["id"]!, "processed");

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("pro", row["tier"]);
        Assert.Equal("trialing", row["status"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(trialEnd).UtcDateTime, await db.ScalarAsync<DateTime>(
            $"SELECT trial_end AT TIME ZONE 'UTC' FROM subscription WHERE user_id = '{userId}'"));
    }

    [Fact]
    public async Task A_price_that_maps_to_no_tier_fails_at_once_with_the_reason_kept()
    {
        var (_, customerId, subscriptionId) = await db.NewCustomerAsync("active", price: "price_unknown_legacy");
        await using var worker = await db.StartWorkerAsync();
        var stripeEvent = StripeFixtures.Event("customer.subscription.updated", StripeFixtures.Subscription(subscriptionId, customerId, "active", "price_unknown_legacy"));

        var recorded = await db.DeliverAsync(stripeEvent);
        await db.WaitForEventAsync((string)stripeEvent["id"]!, "failed");

        Assert.Contains("price_unknown_legacy", await db.LastErrorAsync((string)stripeEvent["id"]!));
        Assert.Equal(1, (await JobAsync(recorded.JobId!.Value)).Attempts);
    }

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    private async Task<JobRecord> JobAsync(Guid id)
    {
        // The job may still be flushing its final state a moment after the event's status.
        for (var i = 0; ; i++)
        {
            await using var command = db.DataSource.CreateCommand($"SELECT {JobRecord.Columns} FROM job_queue WHERE id = @id");
            command.Parameters.AddWithValue("id", id);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            var job = JobRecord.Read(reader);
            if (JobStatus.IsTerminal(job.Status) || i > 100)
            {
                return job;
            }

            await Task.Delay(50);
        }
    }
}
