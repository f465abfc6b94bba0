using System.Text.Json.Nodes;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Core.Audit;
using Platform.Core.Data;
using Platform.TestSupport.Stripe;
using Platform.Workers.Audit;

namespace Platform.Workers.Tests.Billing;

/// <summary>The billing log projected into Marten: a stream per webhook event and one per user's subscription.</summary>
public class BillingAuditTrailTests(BillingDatabase db) : IClassFixture<BillingDatabase>
{
    [Fact]
    public async Task Each_webhook_event_and_each_subscription_has_its_own_stream_projected_once()
    {
        var userId = await db.CreateUserAsync();
        var customerId = db.Stripe.NextId("cus");
        var subscriptionId = db.Stripe.NextId("sub");
        db.Stripe.SetCustomer(new JsonObject { ["id"] = customerId, ["object"] = "customer", ["metadata"] = new JsonObject() });
        db.Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, "active", StripeFixtures.ProPrice));
        await using (var worker = await db.StartWorkerAsync())
        {
            var checkout = StripeFixtures.Event("checkout.session.completed", StripeFixtures.CheckoutSession("cs_audit", customerId, subscriptionId, userId));
            var recorded = await db.DeliverAsync(checkout);
            await db.WaitForEventAsync((string)checkout["id"]!, "processed");

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

            Assert.Equal(0, await projector.ProjectBatchAsync(CancellationToken.None)); // nothing twice
            await using var session = store.QuerySession();
            var webhookStream = (await session.Events.FetchStreamAsync(recorded.WebhookEventId)).Select(e => (BillingAuditEvent)e.Data).ToList();
            Assert.Equal(
                ["webhook_received", "subscription_changed", "webhook_processed"],
                webhookStream.Select(e => AuditStore.EventNames[e.GetType()]));
            Assert.All(webhookStream, e => Assert.Equal((string)checkout["id"]!, e.StripeEventId));

            var subscriptionStream = (await session.Events.FetchStreamAsync(AuditStreams.Subscription(userId))).Select(e => (BillingAuditEvent)e.Data).ToList();
            var change = Assert.IsType<SubscriptionChanged>(Assert.Single(subscriptionStream));
            Assert.Equal(userId, change.UserId);
            Assert.Contains("pro", change.Details);
        }
    }
}
