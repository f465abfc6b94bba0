using System.Text.Json.Nodes;
using Platform.TestSupport.Stripe;

namespace Platform.Workers.Tests.Billing;

/// <summary>
/// More inputs of the kinds in <see cref="SubscriptionPlanTests"/>: two mapped prices of different tiers in one
/// subscription (the higher tier wins, in either order), an <c>updated</c> to <c>canceled</c> of one of two live
/// subscriptions, a deletion of a subscription never seen while another is live, an event for a customer with no user
/// metadata, and U+0000 in the metadata that names the user.
/// </summary>
public class SubscriptionPlanEdgeTests(BillingDatabase db) : IClassFixture<BillingDatabase>
{
    private async Task<string> ApplyAsync(string type, JsonObject dataObject, string expectedStatus = "processed")
    {
        var stripeEvent = StripeFixtures.Event(type, dataObject);
        await db.DeliverAsync(stripeEvent);
        await db.WaitForEventAsync((string)stripeEvent["id"]!, expectedStatus);
        return (string)stripeEvent["id"]!;
    }

    [Theory]
    [InlineData(StripeFixtures.BusinessPrice, StripeFixtures.ProPrice)]
    [InlineData(StripeFixtures.ProPrice, StripeFixtures.BusinessPrice)]
    public async Task Two_mapped_prices_in_one_subscription_give_the_higher_tier_in_either_order(string first, string last)
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active", last);
        var subscription = StripeFixtures.Subscription(subscriptionId, customerId, "active", last, userId: userId, itemsBefore: [first]);
        db.Stripe.SetSubscription(subscription);
        await using var worker = await db.StartWorkerAsync();

        await ApplyAsync("customer.subscription.updated", subscription);

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("business", row["tier"]);
        Assert.Equal(StripeFixtures.BusinessPrice, row["stripe_price_id"]);
    }

    [Fact]
    public async Task An_update_to_canceled_of_one_of_two_live_subscriptions_keeps_the_other_plan()
    {
        var (userId, customerId, proId) = await db.NewCustomerAsync("active");
        var businessId = db.Stripe.NextId("sub");
        db.Stripe.SetSubscription(StripeFixtures.Subscription(businessId, customerId, "active", StripeFixtures.BusinessPrice, userId: userId));
        await using var worker = await db.StartWorkerAsync();
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(proId, customerId, "active", userId: userId));
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(businessId, customerId, "active", StripeFixtures.BusinessPrice, userId: userId));

        var canceled = StripeFixtures.Subscription(businessId, customerId, "canceled", StripeFixtures.BusinessPrice, userId: userId);
        db.Stripe.SetSubscription(canceled);
        await ApplyAsync("customer.subscription.updated", canceled);
        // The same change delivered again (Stripe retries) changes nothing more.
        await ApplyAsync("customer.subscription.updated", canceled);

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("pro", row["tier"]);
        Assert.Equal("active", row["status"]);
        Assert.Equal(proId, row["stripe_subscription_id"]);
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM billing_audit WHERE user_id = @user AND action = 'subscription_changed' AND message LIKE 'business/active -> pro/active%'",
            ("user", userId)));
    }

    [Theory]
    [InlineData(true)] // Stripe still answers the subscription, canceled
    [InlineData(false)] // Stripe answers 404: applied from the event
    public async Task A_deletion_of_a_subscription_never_seen_leaves_a_live_plan_alone(bool stripeKnowsIt)
    {
        var (userId, customerId, proId) = await db.NewCustomerAsync("active");
        await using var worker = await db.StartWorkerAsync();
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(proId, customerId, "active", userId: userId));

        var unknownId = db.Stripe.NextId("sub");
        var deleted = StripeFixtures.Subscription(unknownId, customerId, "canceled", StripeFixtures.BusinessPrice, userId: userId);
        if (stripeKnowsIt)
        {
            db.Stripe.SetSubscription(deleted);
        }

        var eventId = await ApplyAsync("customer.subscription.deleted", deleted);

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("pro", row["tier"]);
        Assert.Equal("active", row["status"]);
        Assert.Equal(proId, row["stripe_subscription_id"]);
        Assert.DoesNotContain("duplicate_subscription", await db.StringsAsync(
            "SELECT action FROM billing_audit WHERE user_id = @user", ("user", userId)));
        Assert.Equal("free", await db.ScalarAsync<string>($"SELECT tier FROM stripe_subscription WHERE stripe_subscription_id = '{unknownId}'"));
        Assert.Contains("processed", await db.AuditAsync(eventId));
    }

    [Fact]
    public async Task An_event_for_a_customer_with_no_user_metadata_is_processed_without_a_change()
    {
        var customerId = db.Stripe.NextId("cus");
        var subscriptionId = db.Stripe.NextId("sub");
        db.Stripe.SetCustomer(new JsonObject { ["id"] = customerId, ["object"] = "customer", ["metadata"] = new JsonObject(), ["email"] = "a@example.test" });
        var subscription = StripeFixtures.Subscription(subscriptionId, customerId, "active");
        db.Stripe.SetSubscription(subscription);
        await using var worker = await db.StartWorkerAsync();

        var eventId = await ApplyAsync("customer.subscription.created", subscription);

        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM stripe_subscription WHERE stripe_subscription_id = @id", ("id", subscriptionId)));
        Assert.Equal(["received", "processed"], await db.AuditAsync(eventId));
        Assert.Contains("no_platform_user", await db.ScalarAsync<string>(
            $"SELECT details::text FROM billing_audit WHERE stripe_event_id = '{eventId}' AND action = 'processed'"));
    }

    [Fact]
    public async Task Nul_in_the_user_metadata_and_the_customer_email_still_applies_the_event()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        db.Stripe.SetCustomer(new JsonObject
        {
            ["id"] = customerId,
            ["object"] = "customer",
            ["email"] = "a\0b@example.test",
            ["name"] = "x\uD800y",
            ["metadata"] = new JsonObject { ["user_id"] = userId + "\0", ["note\0"] = "\0" },
        });
        var subscription = StripeFixtures.Subscription(subscriptionId, customerId, "active");
        subscription["metadata"] = new JsonObject { ["user_id"] = "\0" + userId, ["plan\0"] = "a\0" };
        db.Stripe.SetSubscription(subscription);
        await using var worker = await db.StartWorkerAsync();

        await ApplyAsync("customer.subscription.created", subscription);

        Assert.Equal("pro", (await db.SubscriptionAsync(userId))["tier"]);
    }
}
