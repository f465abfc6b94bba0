using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.Core.Billing;
using Platform.Workers.Queue;
using Stripe;

namespace Platform.Workers.Billing;

/// <summary>
/// Applies one stored Stripe event to the platform. Never trusts the order of delivery or the payload's copy of the
/// object: it takes a per-customer advisory lock, re-reads the subscription from Stripe's API (Stripe.net, pinned API
/// version) and writes what Stripe says now, so "updated before created" or "a late updated after deleted" both end in
/// Stripe's current state. The subscription change, the event's <c>processed</c> mark and the audit rows commit in one
/// transaction. An ended subscription never overwrites a user's different, newer subscription.
/// </summary>
public sealed class SubscriptionSync(NpgsqlDataSource dataSource, StripeGateway stripe, TimeProvider clock)
{
    private static readonly HashSet<string> EndedStatuses = new(StringComparer.Ordinal) { "canceled", "incomplete_expired" };

    public async Task<JsonObject> ApplyAsync(StoredStripeEvent stored, string actor, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(stored.PayloadJson);
        var dataObject = document.RootElement.GetProperty("data").GetProperty("object");
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

            var subscription = await CallStripeAsync(
                () => new SubscriptionService(stripe.Client).GetAsync(target.SubscriptionId, cancellationToken: cancellationToken));
            outcome = await ApplySubscriptionAsync(connection, transaction, stored, subscription, target.UserHint, actor, cancellationToken);
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

    private async Task<JsonObject> ApplySubscriptionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, StoredStripeEvent stored, Subscription subscription, string? userHint,
        string actor, CancellationToken cancellationToken)
    {
        var fetchedAt = clock.GetUtcNow();
        var customerId = subscription.CustomerId;
        var row = await FindRowAsync(connection, transaction,
            "stripe_subscription_id = @subscription OR stripe_customer_id = @customer", subscription.Id, customerId, null, cancellationToken);
        if (row is null)
        {
            var userId = ParseUser(userHint) ?? ParseUser(subscription.Metadata?.GetValueOrDefault("user_id"));
            if (userId is null)
            {
                var customer = await CallStripeAsync(() => new CustomerService(stripe.Client).GetAsync(customerId, cancellationToken: cancellationToken));
                userId = ParseUser(customer.Metadata?.GetValueOrDefault("user_id"));
            }

            row = userId is null
                ? null
                : await FindRowAsync(connection, transaction, "user_id = @user", subscription.Id, customerId, userId, cancellationToken);
            if (row is null)
            {
                return Outcome(stored, "no_platform_user", $"No platform user is linked to Stripe customer {customerId}.", subscription.Id);
            }

            if (row.CustomerId is not null && row.CustomerId != customerId)
            {
                return Outcome(stored, "customer_mismatch",
                    $"User {row.UserId} is linked to Stripe customer {row.CustomerId}, not {customerId}.", subscription.Id, row.UserId);
            }
        }

        var ended = EndedStatuses.Contains(subscription.Status);
        if (row.SubscriptionId is not null && row.SubscriptionId != subscription.Id && ended)
        {
            return Outcome(stored, "stale_subscription",
                $"Subscription {subscription.Id} has ended; the user's current subscription is {row.SubscriptionId}.", subscription.Id, row.UserId);
        }

        var item = subscription.Items?.Data?.FirstOrDefault();
        var priceId = item?.Price?.Id;
        var tier = ended ? TierEntitlements.Free : stripe.Options.TierForPrice(priceId);
        if (tier is null || !TierEntitlements.IsTier(tier))
        {
            throw new PermanentJobFailureException(
                $"Stripe price {priceId ?? "(none)"} of subscription {subscription.Id} is not mapped to a tier (Stripe:Prices:<tier>). Map it and replay.");
        }

        var next = new SubscriptionState(
            tier, subscription.Status, customerId, subscription.Id, priceId,
            item is null ? null : new DateTimeOffset(DateTime.SpecifyKind(item.CurrentPeriodEnd, DateTimeKind.Utc)),
            subscription.CancelAtPeriodEnd,
            subscription.TrialEnd is { } trialEnd ? new DateTimeOffset(DateTime.SpecifyKind(trialEnd, DateTimeKind.Utc)) : null);
        var before = row.State;

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
            update.Parameters.AddWithValue("customer", customerId);
            update.Parameters.AddWithValue("subscription", subscription.Id);
            update.Parameters.Add(new NpgsqlParameter("price", NpgsqlDbType.Text) { Value = (object?)priceId ?? DBNull.Value });
            update.Parameters.Add(new NpgsqlParameter("period_end", NpgsqlDbType.TimestampTz) { Value = (object?)next.CurrentPeriodEnd ?? DBNull.Value });
            update.Parameters.AddWithValue("cancel_at_period_end", next.CancelAtPeriodEnd);
            update.Parameters.Add(new NpgsqlParameter("trial_end", NpgsqlDbType.TimestampTz) { Value = (object?)next.TrialEnd ?? DBNull.Value });
            update.Parameters.AddWithValue("fetched_at", fetchedAt);
            update.Parameters.AddWithValue("user", row.UserId);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var changed = before != next;
        if (changed)
        {
            await BillingAudit.AppendAsync(connection, transaction, new BillingAuditEntry(BillingAudit.SubscriptionChanged, actor)
            {
                WebhookEventId = stored.Id,
                StripeEventId = stored.StripeEventId,
                EventType = stored.EventType,
                UserId = row.UserId,
                Message = $"{before.Tier}/{before.Status} -> {next.Tier}/{next.Status}",
                Details = new { from = before, to = next },
            }, cancellationToken);
        }

        var outcome = Outcome(stored, changed ? "applied" : "unchanged", null, subscription.Id, row.UserId);
        outcome["tier"] = next.Tier;
        outcome["status"] = next.Status;
        outcome["previous_tier"] = before.Tier;
        outcome["previous_status"] = before.Status;
        return outcome;
    }

    private static async Task<SubscriptionRow?> FindRowAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string where, string subscriptionId, string customerId, Guid? userId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            SELECT user_id, tier, status, stripe_customer_id, stripe_subscription_id, stripe_price_id, current_period_end,
                   cancel_at_period_end, trial_end
            FROM subscription
            WHERE {where}
            ORDER BY (stripe_subscription_id IS NOT DISTINCT FROM @subscription) DESC
            LIMIT 1
            FOR UPDATE
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("subscription", subscriptionId);
        command.Parameters.AddWithValue("customer", customerId);
        command.Parameters.Add(new NpgsqlParameter("user", NpgsqlDbType.Uuid) { Value = (object?)userId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new SubscriptionRow(
            reader.GetGuid(0),
            reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4),
            new SubscriptionState(
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetBoolean(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
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

    private static async Task<T> CallStripeAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (StripeException error) when (error.HttpStatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized
                                            or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            // Retrying cannot help (missing object, bad key): fail now, keep the reason, let an admin replay.
            throw new PermanentJobFailureException($"Stripe answered {(int)error.HttpStatusCode}: {error.StripeError?.Message ?? error.Message}", error);
        }
    }

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

    private static Guid? ParseUser(string? value) => Guid.TryParse(value, out var id) ? id : null;

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

    private sealed record SubscriptionRow(Guid UserId, string? CustomerId, string? SubscriptionId, SubscriptionState State);
}

/// <summary>The billing state of a user as the subscription row holds it (audited before and after each change).</summary>
public sealed record SubscriptionState(
    string Tier, string Status, string? CustomerId, string? SubscriptionId, string? PriceId, DateTimeOffset? CurrentPeriodEnd,
    bool CancelAtPeriodEnd, DateTimeOffset? TrialEnd);
