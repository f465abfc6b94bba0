using System.Text.Json.Nodes;
using Stripe;

namespace Platform.TestSupport.Stripe;

/// <summary>
/// Stripe objects and events shaped like Stripe's own at the API version Stripe.net pins
/// (<see cref="StripeConfiguration.ApiVersion"/>), and signed the way Stripe signs webhooks.
/// </summary>
public static class StripeFixtures
{
    public const string WebhookSecret = "whsec_test_0123456789abcdefghijklmnopqrstuv";
    public const string ProPrice = "price_1ProMonthlyTest";
    public const string BusinessPrice = "price_1BusinessMonthlyTest";

    public static string ApiVersion => StripeConfiguration.ApiVersion;

    /// <summary>
    /// A subscription (since API 2025-03-31 the period lives on the items). Its items are <paramref name="itemsBefore"/>
    /// (metered usage prices, add-ons, in that order) and then the plan's <paramref name="price"/>.
    /// </summary>
    public static JsonObject Subscription(
        string id, string customer, string status = "active", string price = ProPrice, bool cancelAtPeriodEnd = false,
        long? created = null, long? periodEnd = null, Guid? userId = null, long? trialEnd = null, IReadOnlyList<string>? itemsBefore = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var start = created ?? now;
        var end = periodEnd ?? start + (30 * 86400);
        var items = new JsonArray();
        var prices = (itemsBefore ?? []).Select(p => (Price: p, Metered: true)).Append((Price: price, Metered: false)).ToList();
        for (var k = 0; k < prices.Count; k++)
        {
            items.Add(Item($"si_{id[4..]}_{k}", id, prices[k].Price, prices[k].Metered, start, end));
        }

        return new JsonObject
        {
            ["id"] = id,
            ["object"] = "subscription",
            ["application"] = null,
            ["billing_cycle_anchor"] = start,
            ["cancel_at"] = cancelAtPeriodEnd ? end : null,
            ["cancel_at_period_end"] = cancelAtPeriodEnd,
            ["canceled_at"] = status == "canceled" ? now : null,
            ["collection_method"] = "charge_automatically",
            ["created"] = start,
            ["currency"] = "usd",
            ["customer"] = customer,
            ["default_payment_method"] = "pm_1TestCard",
            ["ended_at"] = status == "canceled" ? now : null,
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = items,
                ["has_more"] = false,
                ["total_count"] = prices.Count,
                ["url"] = $"/v1/subscription_items?subscription={id}",
            },
            ["latest_invoice"] = "in_" + id[4..],
            ["livemode"] = false,
            ["metadata"] = userId is null ? new JsonObject() : new JsonObject { ["user_id"] = userId.ToString() },
            ["start_date"] = start,
            ["status"] = status,
            ["trial_end"] = trialEnd,
            ["trial_start"] = trialEnd is null ? null : start,
        };
    }

    /// <summary>A subscription item: a licensed plan price (quantity 1) or a metered usage price (no quantity field).</summary>
    public static JsonObject Item(string id, string subscription, string price, bool metered, long start, long end)
    {
        var item = new JsonObject
        {
            ["id"] = id,
            ["object"] = "subscription_item",
            ["created"] = start,
            ["current_period_end"] = end,
            ["current_period_start"] = start,
            ["metadata"] = new JsonObject(),
            ["price"] = new JsonObject
            {
                ["id"] = price,
                ["object"] = "price",
                ["active"] = true,
                ["billing_scheme"] = "per_unit",
                ["currency"] = "usd",
                ["livemode"] = false,
                ["product"] = metered ? "prod_TestUsage" : "prod_TestPlan",
                ["recurring"] = new JsonObject
                {
                    ["interval"] = "month",
                    ["interval_count"] = 1,
                    ["usage_type"] = metered ? "metered" : "licensed",
                },
                ["type"] = "recurring",
                ["unit_amount"] = metered ? 2 : price == BusinessPrice ? 4900 : 1500,
            },
            ["subscription"] = subscription,
        };
        if (!metered)
        {
            item["quantity"] = 1;
        }

        return item;
    }

    public static JsonObject CheckoutSession(string id, string customer, string subscription, Guid userId) => new()
    {
        ["id"] = id,
        ["object"] = "checkout.session",
        ["client_reference_id"] = userId.ToString(),
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["customer"] = customer,
        ["livemode"] = false,
        ["metadata"] = new JsonObject { ["user_id"] = userId.ToString() },
        ["mode"] = "subscription",
        ["payment_status"] = "paid",
        ["status"] = "complete",
        ["subscription"] = subscription,
        ["url"] = null,
    };

    /// <summary>An invoice of a subscription (since API 2025-03-31 the subscription is under parent.subscription_details).</summary>
    public static JsonObject Invoice(string id, string customer, string subscription, string status = "paid") => new()
    {
        ["id"] = id,
        ["object"] = "invoice",
        ["amount_due"] = 1500,
        ["amount_paid"] = status == "paid" ? 1500 : 0,
        ["billing_reason"] = "subscription_cycle",
        ["collection_method"] = "charge_automatically",
        ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["currency"] = "usd",
        ["customer"] = customer,
        ["livemode"] = false,
        ["parent"] = new JsonObject
        {
            ["quote_details"] = null,
            ["subscription_details"] = new JsonObject { ["metadata"] = new JsonObject(), ["subscription"] = subscription },
            ["type"] = "subscription_details",
        },
        ["status"] = status,
    };

    /// <summary>An event wrapping <paramref name="dataObject"/> (a clone), as delivered to webhook endpoints.</summary>
    public static JsonObject Event(string type, JsonObject dataObject, string? id = null, long? created = null, string? apiVersion = null,
        JsonObject? previousAttributes = null)
    {
        var data = new JsonObject { ["object"] = dataObject.DeepClone() };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes;
        }

        return new JsonObject
        {
            ["id"] = id ?? "evt_" + Guid.NewGuid().ToString("N")[..24],
            ["object"] = "event",
            ["api_version"] = apiVersion ?? ApiVersion,
            ["created"] = created ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["data"] = data,
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = "req_" + Guid.NewGuid().ToString("N")[..14], ["idempotency_key"] = Guid.NewGuid().ToString() },
            ["type"] = type,
        };
    }

    /// <summary>The <c>Stripe-Signature</c> header Stripe would send (Stripe.net's own signer).</summary>
    public static string Sign(string payload, string secret = WebhookSecret, DateTimeOffset? at = null) =>
        EventUtility.GenerateSignatureHeader(payload, secret, (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());
}
