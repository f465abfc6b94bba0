using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Workers.Queue;
using Stripe;

namespace Platform.Workers.Billing;

/// <summary>
/// Applies one stored Stripe event to the platform. Never trusts the order of delivery or the payload's copy of the
/// object: it takes a per-customer advisory lock, re-reads the subscription from Stripe's API (Stripe.net, pinned API
/// version) and writes what Stripe says now, so "updated before created" or "a late updated after deleted" both end in
/// Stripe's current state. Each Stripe subscription has its own row (<c>stripe_subscription</c>); the user's plan
/// (<c>subscription</c>) is then derived from all of them (<see cref="SubscriptionPlan.Choose"/>: the highest live tier),
/// so cancelling one of two live subscriptions leaves the user on the plan the other pays for. The change, the event's
/// <c>processed</c> mark and the audit rows commit in one transaction.
/// <para>
/// When Stripe answers 404 <c>resource_missing</c> for the subscription: a <c>customer.subscription.deleted</c> event is
/// itself authoritative for the deleted object and is applied from its payload (ended, free); any other event ends the
/// subscription the platform recorded (Stripe has nothing left to pay for), unless the event and the API key are of
/// different modes (live/test), which is a configuration error and fails. A customer that answers 404 only means its
/// metadata cannot name the user.
/// </para>
/// </summary>
public sealed class SubscriptionSync(NpgsqlDataSource dataSource, StripeGateway stripe, TimeProvider clock)
{
    public async Task<JsonObject> ApplyAsync(StoredStripeEvent stored, string actor, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(stored.PayloadJson);
        var root = document.RootElement;
        var dataObject = root.GetProperty("data").GetProperty("object");
        var target = Target(stored.EventType, dataObject);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        JsonObject outcome;
        if (target.SubscriptionId is null)
        {
            outcome = Outcome(stored, "nothing_to_apply", target.Reason);
        }
        else
        {
            if (!stripe.IsConfigured)
            {
                throw new PermanentJobFailureException("Stripe:SecretKey is not set in the Workers: cannot re-read the subscription. Configure it and replay.");
            }

            // Events of one customer apply one at a time, each reading Stripe after the previous one committed.
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("key", "stripe:" + (target.CustomerId ?? target.SubscriptionId));
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            var context = new SyncContext(connection, transaction, stored, actor);
            var livemode = root.TryGetProperty("livemode", out var mode) && mode.ValueKind is JsonValueKind.True or JsonValueKind.False ? mode.GetBoolean() : (bool?)null;
            var (subscription, source) = await ReadSubscriptionAsync(stored, dataObject, target.SubscriptionId, livemode, cancellationToken);
            outcome = subscription is null
                ? await EndMissingSubscriptionAsync(context, target.SubscriptionId, cancellationToken)
                : await ApplySubscriptionAsync(context, subscription, source, target.UserHint, cancellationToken);
        }

        await using (var processed = new NpgsqlCommand("SELECT mark_webhook_processed(@id)", connection, transaction))
        {
            processed.Parameters.AddWithValue("id", stored.Id);
            await processed.ExecuteScalarAsync(cancellationToken);
        }

        await BillingAudit.AppendAsync(connection, transaction, new BillingAuditEntry(BillingAudit.Processed, actor)
        {
            WebhookEventId = stored.Id,
            StripeEventId = stored.StripeEventId,
            EventType = stored.EventType,
            UserId = outcome["user_id"] is JsonValue user && Guid.TryParse((string?)user, out var userId) ? userId : null,
            Message = (string?)outcome["outcome"],
            Details = outcome,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return outcome;
    }

    /// <summary>
    /// The subscription as Stripe has it now. On 404 <c>resource_missing</c>: a deletion event's own object (ended);
    /// otherwise null (Stripe no longer has it). Other refusals (bad key, bad request) fail permanently.
    /// </summary>
    private async Task<(Subscription? Subscription, string Source)> ReadSubscriptionAsync(
        StoredStripeEvent stored, JsonElement dataObject, string subscriptionId, bool? livemode, CancellationToken cancellationToken)
    {
        try
        {
            var subscription = await new SubscriptionService(stripe.Client).GetAsync(subscriptionId, cancellationToken: cancellationToken);
            return (subscription, StripeSubscriptionRecord.FromStripeApi);
        }
        catch (StripeException error) when (IsResourceMissing(error))
        {
            if (livemode is { } live && stripe.Options.IsLiveKey is { } liveKey && live != liveKey)
            {
                throw new PermanentJobFailureException(
                    $"Stripe answered 404 for subscription {subscriptionId}, but the event is from {(live ? "live" : "test")} mode and " +
                    $"Stripe:SecretKey is a {(liveKey ? "live" : "test")} key: configure the key of the event's mode and replay.", error);
            }

            if (stored.EventType == StripeEventTypes.SubscriptionDeleted && Text(dataObject, "id") == subscriptionId)
            {
                Subscription deleted;
                try
                {
                    deleted = Subscription.FromJson(dataObject.GetRawText());
                }
                catch (Exception parse) when (parse is Newtonsoft.Json.JsonException or FormatException or InvalidCastException)
                {
                    throw new PermanentJobFailureException(
                        $"Stripe answered 404 for subscription {subscriptionId} and the deletion event's own copy cannot be read: {parse.Message}", parse);
                }

                if (!SubscriptionPlan.IsEnded(deleted.Status))
                {
                    deleted.Status = "canceled";
                }

                return (deleted, StripeSubscriptionRecord.FromDeletionEvent);
            }

            return (null, StripeSubscriptionRecord.MissingAtStripe);
        }
        catch (StripeException error) when (IsPermanent(error))
        {
            throw Permanent(error);
        }
    }

    private async Task<JsonObject> ApplySubscriptionAsync(
        SyncContext context, Subscription subscription, string source, string? userHint, CancellationToken cancellationToken)
    {
        var (connection, transaction, stored, _) = context;
        var customerId = subscription.CustomerId;
        var previous = await StripeSubscriptionRecord.FindAsync(connection, transaction, subscription.Id, cancellationToken);
        var userId = previous?.UserId ?? await UserOfCustomerAsync(connection, transaction, customerId, cancellationToken);
        if (userId is null)
        {
            userId = ParseUser(userHint) ?? ParseUser(subscription.Metadata?.GetValueOrDefault("user_id"));
            if (userId is null && await ReadCustomerAsync(customerId, cancellationToken) is { } customer)
            {
                userId = ParseUser(customer.Metadata?.GetValueOrDefault("user_id"));
            }
        }

        var plan = userId is null ? null : await LockPlanAsync(connection, transaction, userId.Value, cancellationToken);
        if (plan is null || userId is null)
        {
            return Outcome(stored, "no_platform_user", $"No platform user is linked to Stripe customer {customerId}.", subscription.Id);
        }

        if (plan.CustomerId is not null && plan.CustomerId != customerId)
        {
            return Outcome(stored, "customer_mismatch",
                $"User {userId} is linked to Stripe customer {plan.CustomerId}, not {customerId}.", subscription.Id, userId);
        }

        var items = await ItemsAsync(subscription, source, cancellationToken);
        var ended = SubscriptionPlan.IsEnded(subscription.Status);
        var resolved = SubscriptionPlan.Resolve(items.Select(i => i.Price?.Id), stripe.Options);
        if (resolved is null && !ended)
        {
            var prices = string.Join(", ", items.Select(i => i.Price?.Id).Where(p => p is not null).Distinct());
            throw new PermanentJobFailureException(
                $"No price of subscription {subscription.Id} ({(prices.Length == 0 ? "no items" : prices)}) is mapped to a tier " +
                "(Stripe:Prices:<tier>). Map the plan's price and replay.");
        }

        var priceId = resolved?.PriceId ?? items.FirstOrDefault()?.Price?.Id;
        var planItem = items.FirstOrDefault(i => i.Price?.Id == priceId);
        var record = new StripeSubscriptionRecord(
            subscription.Id,
            userId.Value,
            customerId,
            ended ? TierEntitlements.Free : resolved!.Value.Tier,
            subscription.Status,
            priceId,
            planItem is null || planItem.CurrentPeriodEnd == default ? null : Utc(planItem.CurrentPeriodEnd),
            subscription.CancelAtPeriodEnd,
            subscription.TrialEnd is { } trialEnd ? Utc(trialEnd) : null,
            subscription.Created == default ? null : Utc(subscription.Created),
            source);
        return await RecordAsync(context, plan, previous, record, cancellationToken);
    }

    /// <summary>Stripe answered 404 for a subscription and the event is not its deletion: end what the platform recorded.</summary>
    private async Task<JsonObject> EndMissingSubscriptionAsync(SyncContext context, string subscriptionId, CancellationToken cancellationToken)
    {
        var (connection, transaction, stored, _) = context;
        var previous = await StripeSubscriptionRecord.FindAsync(connection, transaction, subscriptionId, cancellationToken);
        var plan = previous is null ? null : await LockPlanAsync(connection, transaction, previous.UserId, cancellationToken);
        if (previous is null || plan is null)
        {
            return Outcome(stored, "subscription_missing",
                $"Stripe has no subscription {subscriptionId} (404) and the platform never recorded it: nothing to apply.", subscriptionId);
        }

        var record = SubscriptionPlan.IsEnded(previous.Status)
            ? previous
            : previous with { Tier = TierEntitlements.Free, Status = "canceled", Source = StripeSubscriptionRecord.MissingAtStripe };
        return await RecordAsync(context, plan, previous, record, cancellationToken);
    }

    /// <summary>
    /// Stores the subscription's row, derives the user's plan from all their subscriptions and writes it, and audits what
    /// changed: the subscription or the plan (<c>subscription_changed</c>), and a second live subscription
    /// (<c>duplicate_subscription</c>, once, when it becomes live beside another).
    /// </summary>
    private async Task<JsonObject> RecordAsync(
        SyncContext context, LockedPlan plan, StripeSubscriptionRecord? previous, StripeSubscriptionRecord record, CancellationToken cancellationToken)
    {
        var (connection, transaction, stored, actor) = context;
        var fetchedAt = clock.GetUtcNow();
        await record.UpsertAsync(connection, transaction, fetchedAt, cancellationToken);

        var all = await StripeSubscriptionRecord.ListAsync(connection, transaction, record.UserId, cancellationToken);
        var chosen = SubscriptionPlan.Choose(all) ?? record;
        var before = plan.State;
        var next = new SubscriptionState(
            chosen.Tier, chosen.Status, plan.CustomerId ?? record.CustomerId, chosen.SubscriptionId, chosen.PriceId, chosen.CurrentPeriodEnd,
            chosen.CancelAtPeriodEnd, chosen.TrialEnd);
        await using (var update = new NpgsqlCommand(
            """
            UPDATE subscription
            SET tier = @tier, status = @status, stripe_customer_id = @customer, stripe_subscription_id = @subscription,
                stripe_price_id = @price, current_period_end = @period_end, cancel_at_period_end = @cancel_at_period_end,
                trial_end = @trial_end, stripe_status_updated_at = @fetched_at
            WHERE user_id = @user
            """,
            connection,
            transaction))
        {
            update.Parameters.AddWithValue("tier", next.Tier);
            update.Parameters.AddWithValue("status", next.Status);
            update.Parameters.AddWithValue("customer", next.CustomerId!);
            update.Parameters.AddWithValue("subscription", next.SubscriptionId!);
            update.Parameters.Add(new NpgsqlParameter("price", NpgsqlDbType.Text) { Value = (object?)next.PriceId ?? DBNull.Value });
            update.Parameters.Add(new NpgsqlParameter("period_end", NpgsqlDbType.TimestampTz) { Value = (object?)next.CurrentPeriodEnd ?? DBNull.Value });
            update.Parameters.AddWithValue("cancel_at_period_end", next.CancelAtPeriodEnd);
            update.Parameters.Add(new NpgsqlParameter("trial_end", NpgsqlDbType.TimestampTz) { Value = (object?)next.TrialEnd ?? DBNull.Value });
            update.Parameters.AddWithValue("fetched_at", fetchedAt);
            update.Parameters.AddWithValue("user", record.UserId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var planChanged = before != next;
        var subscriptionChanged = previous is null || previous with { Source = record.Source } != record;
        if (planChanged || subscriptionChanged)
        {
            await BillingAudit.AppendAsync(connection, transaction, new BillingAuditEntry(BillingAudit.SubscriptionChanged, actor)
            {
                WebhookEventId = stored.Id,
                StripeEventId = stored.StripeEventId,
                EventType = stored.EventType,
                UserId = record.UserId,
                Message = planChanged
                    ? $"{before.Tier}/{before.Status} -> {next.Tier}/{next.Status}"
                    : $"subscription {record.SubscriptionId}: {previous?.Tier ?? "none"}/{previous?.Status ?? "none"} -> {record.Tier}/{record.Status}; " +
                      $"the plan stays {next.Tier}/{next.Status}",
                Details = new { from = before, to = next, subscription_id = record.SubscriptionId, source = record.Source, subscription = record },
            }, cancellationToken);
        }

        var others = all.Where(s => s.IsLive && s.SubscriptionId != record.SubscriptionId).ToList();
        if (record.IsLive && previous?.IsLive != true && others.Count > 0)
        {
            await BillingAudit.AppendAsync(connection, transaction, new BillingAuditEntry(BillingAudit.DuplicateSubscription, actor)
            {
                WebhookEventId = stored.Id,
                StripeEventId = stored.StripeEventId,
                EventType = stored.EventType,
                UserId = record.UserId,
                Message = $"Subscription {record.SubscriptionId} ({record.Tier}) is live beside {string.Join(", ", others.Select(o => $"{o.SubscriptionId} ({o.Tier})"))}: " +
                          $"the user pays twice; the plan is {next.Tier}. Cancel and refund the one not wanted.",
                Details = new
                {
                    subscription_id = record.SubscriptionId,
                    tier = record.Tier,
                    others = others.Select(o => new { subscription_id = o.SubscriptionId, o.Tier, o.Status, price_id = o.PriceId }),
                },
            }, cancellationToken);
        }

        var outcome = Outcome(stored, planChanged || subscriptionChanged ? "applied" : "unchanged", null, record.SubscriptionId, record.UserId);
        outcome["tier"] = next.Tier;
        outcome["status"] = next.Status;
        outcome["previous_tier"] = before.Tier;
        outcome["previous_status"] = before.Status;
        outcome["subscription_status"] = record.Status;
        outcome["source"] = record.Source;
        outcome["live_subscriptions"] = all.Count(s => s.IsLive);
        return outcome;
    }

    /// <summary>All items of the subscription: Stripe embeds the first ones and pages the rest (<c>items.has_more</c>).</summary>
    private async Task<List<SubscriptionItem>> ItemsAsync(Subscription subscription, string source, CancellationToken cancellationToken)
    {
        var items = subscription.Items?.Data?.ToList() ?? [];
        if (subscription.Items?.HasMore != true || source != StripeSubscriptionRecord.FromStripeApi)
        {
            return items;
        }

        items.Clear();
        try
        {
            var service = new SubscriptionItemService(stripe.Client);
            await foreach (var item in service.ListAutoPagingAsync(
                               new SubscriptionItemListOptions { Subscription = subscription.Id, Limit = 100 }, cancellationToken: cancellationToken))
            {
                items.Add(item);
            }
        }
        catch (StripeException error) when (IsPermanent(error))
        {
            throw Permanent(error);
        }

        return items;
    }

    /// <summary>The customer, or null when Stripe no longer has it (deleted customers answer 404 resource_missing).</summary>
    private async Task<Customer?> ReadCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        try
        {
            return await new CustomerService(stripe.Client).GetAsync(customerId, cancellationToken: cancellationToken);
        }
        catch (StripeException error) when (IsResourceMissing(error))
        {
            return null;
        }
        catch (StripeException error) when (IsPermanent(error))
        {
            throw Permanent(error);
        }
    }

    private static async Task<Guid?> UserOfCustomerAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string customerId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT user_id FROM subscription WHERE stripe_customer_id = @customer", connection, transaction);
        command.Parameters.AddWithValue("customer", customerId);
        return await command.ExecuteScalarAsync(cancellationToken) as Guid?;
    }

    /// <summary>The user's plan row, locked until commit (every change of one user's plan is serialized on it).</summary>
    private static async Task<LockedPlan?> LockPlanAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT tier, status, stripe_customer_id, stripe_subscription_id, stripe_price_id, current_period_end,
                   cancel_at_period_end, trial_end
            FROM subscription
            WHERE user_id = @user
            FOR UPDATE
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("user", userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var customerId = reader.IsDBNull(2) ? null : reader.GetString(2);
        return new LockedPlan(
            customerId,
            new SubscriptionState(
                reader.GetString(0),
                reader.GetString(1),
                customerId,
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetBoolean(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
    }

    /// <summary>What to re-read for an event: the subscription, its customer, and a user id hint (checkout's client_reference_id).</summary>
    private static (string? SubscriptionId, string? CustomerId, string? UserHint, string? Reason) Target(string type, JsonElement dataObject)
    {
        var customer = IdOf(dataObject, "customer");
        switch (type)
        {
            case StripeEventTypes.CheckoutSessionCompleted:
                if (Text(dataObject, "mode") != "subscription")
                {
                    return (null, customer, null, "not a subscription checkout");
                }

                var hint = Text(dataObject, "client_reference_id")
                    ?? (dataObject.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object ? Text(metadata, "user_id") : null);
                return (IdOf(dataObject, "subscription"), customer, hint, "the checkout session has no subscription");
            case StripeEventTypes.SubscriptionCreated:
            case StripeEventTypes.SubscriptionUpdated:
            case StripeEventTypes.SubscriptionDeleted:
            case StripeEventTypes.SubscriptionTrialWillEnd:
                return (Text(dataObject, "id"), customer, null, "the event has no subscription id");
            case StripeEventTypes.InvoicePaymentSucceeded:
            case StripeEventTypes.InvoicePaymentFailed:
                var subscription = dataObject.TryGetProperty("parent", out var parent) && parent.ValueKind == JsonValueKind.Object
                    && parent.TryGetProperty("subscription_details", out var details) && details.ValueKind == JsonValueKind.Object
                        ? IdOf(details, "subscription")
                        : null;
                return (subscription ?? IdOf(dataObject, "subscription"), customer, null, "the invoice is not a subscription's");
            default:
                return (null, customer, null, $"event type {type} is not processed");
        }
    }

    /// <summary>404 with Stripe's <c>resource_missing</c> code: the object does not exist (deleted, or of the other mode).</summary>
    private static bool IsResourceMissing(StripeException error) =>
        error.HttpStatusCode == HttpStatusCode.NotFound && error.StripeError?.Code == "resource_missing";

    /// <summary>Refusals that retrying cannot fix (bad request, bad key, permission, unknown URL).</summary>
    private static bool IsPermanent(StripeException error) =>
        error.HttpStatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound;

    /// <summary>Fail now, keep the reason, let an admin replay.</summary>
    private static PermanentJobFailureException Permanent(StripeException error) =>
        new($"Stripe answered {(int)error.HttpStatusCode}: {error.StripeError?.Message ?? error.Message}", error);

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static JsonObject Outcome(StoredStripeEvent stored, string outcome, string? reason, string? subscriptionId = null, Guid? userId = null)
    {
        var result = new JsonObject
        {
            ["stripe_event_id"] = stored.StripeEventId,
            ["event_type"] = stored.EventType,
            ["outcome"] = outcome,
        };
        if (reason is not null)
        {
            result["reason"] = reason;
        }

        if (subscriptionId is not null)
        {
            result["subscription_id"] = subscriptionId;
        }

        if (userId is not null)
        {
            result["user_id"] = userId.ToString();
        }

        return result;
    }

    /// <summary>
    /// A user id from Stripe metadata (the event's copy, cleaned at intake, or Stripe's API answer, which is not): read
    /// the same way from both, so a U+0000 someone typed into the metadata in the Dashboard does not unlink a paying user.
    /// </summary>
    private static Guid? ParseUser(string? value) => Guid.TryParse(PostgresText.Clean(value), out var id) ? id : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>An id field that may be a string or an expanded object with an id.</summary>
    private static string? IdOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object => Text(value, "id"),
                _ => null,
            }
            : null;

    private sealed record SyncContext(NpgsqlConnection Connection, NpgsqlTransaction Transaction, StoredStripeEvent Stored, string Actor);

    private sealed record LockedPlan(string? CustomerId, SubscriptionState State);
}

/// <summary>The billing state of a user as the plan row (<c>subscription</c>) holds it (audited before and after each change).</summary>
public sealed record SubscriptionState(
    string Tier, string Status, string? CustomerId, string? SubscriptionId, string? PriceId, DateTimeOffset? CurrentPeriodEnd,
    bool CancelAtPeriodEnd, DateTimeOffset? TrialEnd);
