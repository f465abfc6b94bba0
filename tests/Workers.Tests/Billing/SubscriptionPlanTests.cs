using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.TestSupport.Stripe;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests.Billing;

/// <summary>
/// The user's plan follows what they actually pay for: the plan price among all items, deletions Stripe no longer
/// knows, and users holding more than one live subscription.
/// </summary>
public class SubscriptionPlanTests(BillingDatabase db) : IClassFixture<BillingDatabase>
{
    private const string MeteredUsage = "price_1MeteredApiCallsTest";
    private const string SeatAddOn = "price_1ExtraSeatAddOnTest";

    private async Task ApplyAsync(string type, JsonObject dataObject, string expectedStatus = "processed")
    {
        var stripeEvent = StripeFixtures.Event(type, dataObject);
        await db.DeliverAsync(stripeEvent);
        await db.WaitForEventAsync((string)stripeEvent["id"]!, expectedStatus);
    }

    private Task<List<string>> UserAuditAsync(Guid userId) =>
        db.StringsAsync("SELECT action FROM billing_audit WHERE user_id = @user ORDER BY id", ("user", userId));

    [Theory]
    [InlineData(new[] { MeteredUsage }, StripeFixtures.ProPrice, "pro")]
    [InlineData(new[] { SeatAddOn, MeteredUsage }, StripeFixtures.BusinessPrice, "business")]
    [InlineData(new[] { StripeFixtures.ProPrice, MeteredUsage }, StripeFixtures.BusinessPrice, "business")]
    public async Task The_plan_is_the_mapped_price_among_all_items_whatever_their_order(string[] itemsBefore, string planPrice, string tier)
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active", planPrice);
        var subscription = StripeFixtures.Subscription(subscriptionId, customerId, "active", planPrice, userId: userId, itemsBefore: itemsBefore);
        db.Stripe.SetSubscription(subscription);
        await using var worker = await db.StartWorkerAsync();

        await ApplyAsync("customer.subscription.created", subscription);

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal(tier, row["tier"]);
        Assert.Equal("active", row["status"]);
        Assert.Equal(planPrice, row["stripe_price_id"]);
    }

    [Fact]
    public async Task The_plan_price_is_found_past_the_items_Stripe_embeds_in_the_subscription()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        var addOns = Enumerable.Range(0, FakeStripe.EmbeddedItems).Select(k => $"price_1AddOn{k}Test").ToArray();
        var subscription = StripeFixtures.Subscription(subscriptionId, customerId, "active", StripeFixtures.BusinessPrice, userId: userId, itemsBefore: addOns);
        db.Stripe.SetSubscription(subscription);
        await using var worker = await db.StartWorkerAsync();

        await ApplyAsync("customer.subscription.updated", subscription);

        Assert.Equal("business", (await db.SubscriptionAsync(userId))["tier"]);
        Assert.NotEmpty(db.Stripe.RequestsTo("GET", "/v1/subscription_items"));
    }

    [Fact]
    public async Task Only_unmapped_prices_still_fail_at_once_naming_them()
    {
        var (_, customerId, subscriptionId) = await db.NewCustomerAsync("active", MeteredUsage);
        var subscription = StripeFixtures.Subscription(subscriptionId, customerId, "active", MeteredUsage, itemsBefore: [SeatAddOn]);
        db.Stripe.SetSubscription(subscription);
        await using var worker = await db.StartWorkerAsync();
        var stripeEvent = StripeFixtures.Event("customer.subscription.updated", subscription);

        await db.DeliverAsync(stripeEvent);
        await db.WaitForEventAsync((string)stripeEvent["id"]!, "failed");

        var error = await db.LastErrorAsync((string)stripeEvent["id"]!);
        Assert.Contains(MeteredUsage, error);
        Assert.Contains(SeatAddOn, error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_deletion_Stripe_no_longer_knows_is_applied_from_the_event_and_audited(bool customerGoneToo)
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        await using var worker = await db.StartWorkerAsync();
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        Assert.Equal("pro", (await db.SubscriptionAsync(userId))["tier"]);

        db.Stripe.RemoveSubscription(subscriptionId);
        if (customerGoneToo)
        {
            db.Stripe.RemoveCustomer(customerId);
        }

        var deleted = StripeFixtures.Event("customer.subscription.deleted", StripeFixtures.Subscription(subscriptionId, customerId, "canceled", userId: userId));
        await db.DeliverAsync(deleted);
        await db.WaitForEventAsync((string)deleted["id"]!, "processed");

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("free", row["tier"]);
        Assert.Equal("canceled", row["status"]);
        Assert.Equal(["received", "subscription_changed", "processed"], await db.AuditAsync((string)deleted["id"]!));
        Assert.Equal("deletion_event", await db.ScalarAsync<string>($"SELECT source FROM stripe_subscription WHERE stripe_subscription_id = '{subscriptionId}'"));
    }

    [Fact]
    public async Task A_deletion_of_a_subscription_never_applied_is_applied_from_the_event_when_its_user_is_known()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        db.Stripe.RemoveSubscription(subscriptionId);
        db.Stripe.RemoveCustomer(customerId);
        await using var worker = await db.StartWorkerAsync();

        await ApplyAsync("customer.subscription.deleted", StripeFixtures.Subscription(subscriptionId, customerId, "canceled", userId: userId));

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("free", row["tier"]);
        Assert.Equal("canceled", row["status"]);
        Assert.Equal(subscriptionId, row["stripe_subscription_id"]);
    }

    [Fact]
    public async Task A_deletion_of_an_unknown_customer_that_Stripe_no_longer_knows_is_processed_without_a_change()
    {
        var customerId = db.Stripe.NextId("cus");
        var subscriptionId = db.Stripe.NextId("sub");
        await using var worker = await db.StartWorkerAsync();
        var deleted = StripeFixtures.Event("customer.subscription.deleted", StripeFixtures.Subscription(subscriptionId, customerId, "canceled"));

        await db.DeliverAsync(deleted);
        await db.WaitForEventAsync((string)deleted["id"]!, "processed");

        Assert.Equal(["received", "processed"], await db.AuditAsync((string)deleted["id"]!));
    }

    [Fact]
    public async Task Any_event_for_a_subscription_Stripe_no_longer_has_ends_it_instead_of_keeping_the_paid_tier()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        await using var worker = await db.StartWorkerAsync();
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));

        db.Stripe.RemoveSubscription(subscriptionId);
        await ApplyAsync("invoice.payment_failed", StripeFixtures.Invoice("in_gone1", customerId, subscriptionId, "open"));

        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("free", row["tier"]);
        Assert.Equal("canceled", row["status"]);
        Assert.Equal("missing_at_stripe", await db.ScalarAsync<string>($"SELECT source FROM stripe_subscription WHERE stripe_subscription_id = '{subscriptionId}'"));
    }

    [Fact]
    public async Task A_404_from_a_key_of_the_other_mode_is_a_configuration_error_not_a_deletion()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        await using var worker = await db.StartWorkerAsync();
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));

        db.Stripe.RemoveSubscription(subscriptionId);
        var live = StripeFixtures.Event("customer.subscription.updated", StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        live["livemode"] = true;
        await db.DeliverAsync(live);
        await db.WaitForEventAsync((string)live["id"]!, "failed");

        Assert.Contains("test", await db.LastErrorAsync((string)live["id"]!));
        Assert.Equal("pro", (await db.SubscriptionAsync(userId))["tier"]);
    }

    [Fact]
    public async Task Cancelling_one_of_two_live_subscriptions_keeps_the_plan_the_other_pays_for()
    {
        var (userId, customerId, proId) = await db.NewCustomerAsync("active");
        var businessId = db.Stripe.NextId("sub");
        db.Stripe.SetSubscription(StripeFixtures.Subscription(businessId, customerId, "active", StripeFixtures.BusinessPrice, userId: userId));
        await using var worker = await db.StartWorkerAsync();

        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(proId, customerId, "active", userId: userId));
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(businessId, customerId, "active", StripeFixtures.BusinessPrice, userId: userId));
        Assert.Equal("business", (await db.SubscriptionAsync(userId))["tier"]);

        // The business one is cancelled: the user still pays for pro.
        db.Stripe.SetSubscription(StripeFixtures.Subscription(businessId, customerId, "canceled", StripeFixtures.BusinessPrice, userId: userId));
        await ApplyAsync("customer.subscription.deleted", StripeFixtures.Subscription(businessId, customerId, "canceled", StripeFixtures.BusinessPrice, userId: userId));
        var row = await db.SubscriptionAsync(userId);
        Assert.Equal("pro", row["tier"]);
        Assert.Equal("active", row["status"]);
        Assert.Equal(proId, row["stripe_subscription_id"]);
        Assert.Equal(StripeFixtures.ProPrice, row["stripe_price_id"]);

        // An event of the ended one arriving late changes nothing.
        await ApplyAsync("customer.subscription.updated", StripeFixtures.Subscription(businessId, customerId, "active", StripeFixtures.BusinessPrice, userId: userId));
        Assert.Equal("pro", (await db.SubscriptionAsync(userId))["tier"]);

        // Then the last one goes: free.
        db.Stripe.SetSubscription(StripeFixtures.Subscription(proId, customerId, "canceled", userId: userId));
        await ApplyAsync("customer.subscription.deleted", StripeFixtures.Subscription(proId, customerId, "canceled", userId: userId));
        row = await db.SubscriptionAsync(userId);
        Assert.Equal("free", row["tier"]);
        Assert.Equal("canceled", row["status"]);
    }

    [Fact]
    public async Task A_second_live_subscription_is_audited_as_a_duplicate_and_projected_into_the_users_stream()
    {
        var (userId, customerId, firstId) = await db.NewCustomerAsync("active");
        var secondId = db.Stripe.NextId("sub");
        db.Stripe.SetSubscription(StripeFixtures.Subscription(secondId, customerId, "active", userId: userId));
        await using var worker = await db.StartWorkerAsync();

        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(firstId, customerId, "active", userId: userId));
        Assert.DoesNotContain("duplicate_subscription", await UserAuditAsync(userId));
        await ApplyAsync("customer.subscription.created", StripeFixtures.Subscription(secondId, customerId, "active", userId: userId));
        await ApplyAsync("invoice.payment_succeeded", StripeFixtures.Invoice("in_dup2", customerId, secondId)); // no second report

        Assert.Single(await UserAuditAsync(userId), a => a == "duplicate_subscription");
        Assert.Contains(firstId, await db.ScalarAsync<string>(
            $"SELECT details::text FROM billing_audit WHERE user_id = '{userId}' AND action = 'duplicate_subscription'"));

        using var store = DocumentStore.For(options =>
        {
            options.Connection(db.ConnectionString);
            AuditStore.Configure(options);
        });
        var projector = new BillingAuditProjector(
            db.DataSource, store, new SchemaReadiness(db.DataSource, NullLogger<SchemaReadiness>.Instance), NullLogger<BillingAuditProjector>.Instance);
        while (await projector.ProjectBatchAsync(CancellationToken.None) > 0)
        {
        }

        await using var session = store.QuerySession();
        var stream = (await session.Events.FetchStreamAsync(AuditStreams.Subscription(userId))).Select(e => e.Data).ToList();
        var duplicate = Assert.IsType<DuplicateSubscription>(Assert.Single(stream, e => e is DuplicateSubscription));
        Assert.Contains(secondId, duplicate.Details);
    }
}
