using Npgsql;
using NpgsqlTypes;

namespace Platform.Core.Billing;

/// <summary>
/// One Stripe subscription of a user as the platform last knew it (a row of <c>stripe_subscription</c>, migration 016).
/// </summary>
/// <param name="Tier">The plan its price maps to (<c>Stripe:Prices:&lt;tier&gt;</c>); <c>free</c> once it has ended.</param>
/// <param name="Status">Stripe's subscription status (<c>active</c>, <c>trialing</c>, <c>past_due</c>, <c>canceled</c>, ...).</param>
/// <param name="PriceId">The plan's price among its items (not an add-on or metered price).</param>
/// <param name="Source"><c>stripe_api</c> (re-read), <c>deletion_event</c> or <c>missing_at_stripe</c> (Stripe answered 404).</param>
public sealed record StripeSubscriptionRecord(
    string SubscriptionId,
    Guid UserId,
    string CustomerId,
    string Tier,
    string Status,
    string? PriceId,
    DateTimeOffset? CurrentPeriodEnd,
    bool CancelAtPeriodEnd,
    DateTimeOffset? TrialEnd,
    DateTimeOffset? StripeCreatedAt,
    string Source)
{
    public const string FromStripeApi = "stripe_api";
    public const string FromDeletionEvent = "deletion_event";
    public const string MissingAtStripe = "missing_at_stripe";

    /// <summary>Paying for a paid tier right now (see <see cref="TierEntitlements.IsLiveStatus"/>).</summary>
    public bool IsLive => TierEntitlements.IsLiveStatus(Status) && Tier != TierEntitlements.Free;

    private const string Columns =
        "stripe_subscription_id, user_id, stripe_customer_id, tier, status, stripe_price_id, current_period_end, cancel_at_period_end, " +
        "trial_end, stripe_created_at, source";

    /// <summary>All of a user's subscriptions, newest first (through the caller's connection: RLS applies under app_user).</summary>
    public static async Task<List<StripeSubscriptionRecord>> ListAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM stripe_subscription WHERE user_id = @user ORDER BY stripe_created_at DESC NULLS LAST, created_at DESC",
            connection,
            transaction);
        command.Parameters.AddWithValue("user", userId);
        return await ReadAsync(command, cancellationToken);
    }

    public static async Task<StripeSubscriptionRecord?> FindAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string subscriptionId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM stripe_subscription WHERE stripe_subscription_id = @id", connection, transaction);
        command.Parameters.AddWithValue("id", subscriptionId);
        return (await ReadAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Inserts or replaces the row of this subscription.</summary>
    public async Task UpsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, DateTimeOffset syncedAt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO stripe_subscription ({Columns}, synced_at)
            VALUES (@id, @user, @customer, @tier, @status, @price, @period_end, @cancel_at_period_end, @trial_end, @created, @source, @synced_at)
            ON CONFLICT (stripe_subscription_id) DO UPDATE
            SET user_id = excluded.user_id, stripe_customer_id = excluded.stripe_customer_id, tier = excluded.tier,
                status = excluded.status, stripe_price_id = excluded.stripe_price_id, current_period_end = excluded.current_period_end,
                cancel_at_period_end = excluded.cancel_at_period_end, trial_end = excluded.trial_end,
                stripe_created_at = coalesce(excluded.stripe_created_at, stripe_subscription.stripe_created_at),
                source = excluded.source, synced_at = excluded.synced_at
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("id", SubscriptionId);
        command.Parameters.AddWithValue("user", UserId);
        command.Parameters.AddWithValue("customer", CustomerId);
        command.Parameters.AddWithValue("tier", Tier);
        command.Parameters.AddWithValue("status", Status);
        command.Parameters.Add(new NpgsqlParameter("price", NpgsqlDbType.Text) { Value = (object?)PriceId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("period_end", NpgsqlDbType.TimestampTz) { Value = (object?)CurrentPeriodEnd ?? DBNull.Value });
        command.Parameters.AddWithValue("cancel_at_period_end", CancelAtPeriodEnd);
        command.Parameters.Add(new NpgsqlParameter("trial_end", NpgsqlDbType.TimestampTz) { Value = (object?)TrialEnd ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("created", NpgsqlDbType.TimestampTz) { Value = (object?)StripeCreatedAt ?? DBNull.Value });
        command.Parameters.AddWithValue("source", Source);
        command.Parameters.AddWithValue("synced_at", syncedAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<StripeSubscriptionRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<StripeSubscriptionRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new StripeSubscriptionRecord(
                reader.GetString(0),
                reader.GetGuid(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetBoolean(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                reader.GetString(10)));
        }

        return rows;
    }
}

/// <summary>
/// How a user's plan follows what they pay for. Stripe promises no order of a subscription's items, and a user may
/// hold more than one subscription (two checkouts); the plan is never "whatever the last event said".
/// </summary>
public static class SubscriptionPlan
{
    /// <summary>Stripe statuses after which a subscription can never be paid again.</summary>
    public static bool IsEnded(string status) => status is "canceled" or "incomplete_expired";

    /// <summary>
    /// The plan of one subscription from ALL its items' price ids, in any order: the prices mapped to a paid tier by
    /// <c>Stripe:Prices:&lt;tier&gt;</c> decide it (the highest tier when several map); unmapped prices (metered usage,
    /// add-ons) are ignored. Null when no price maps: the caller cannot know the plan.
    /// </summary>
    public static (string Tier, string PriceId)? Resolve(IEnumerable<string?> priceIds, StripeOptions options)
    {
        (string Tier, string PriceId)? best = null;
        foreach (var priceId in priceIds)
        {
            var tier = options.TierForPrice(priceId);
            if (priceId is null || tier is null || tier == TierEntitlements.Free || !TierEntitlements.IsTier(tier))
            {
                continue;
            }

            if (best is null || TierEntitlements.Rank(tier) > TierEntitlements.Rank(best.Value.Tier))
            {
                best = (tier, priceId);
            }
        }

        return best;
    }

    /// <summary>
    /// The subscription that decides the user's plan among all of theirs: the live one (active, trialing, past_due) of
    /// the highest tier; else the newest one not ended (incomplete, unpaid, paused: shown, with the free allowances);
    /// else the newest ended one. Ties: the newest (Stripe's created), then the latest period end. Null when none.
    /// </summary>
    public static StripeSubscriptionRecord? Choose(IEnumerable<StripeSubscriptionRecord> subscriptions) =>
        subscriptions
            .OrderByDescending(s => s.IsLive)
            .ThenByDescending(s => s.IsLive ? TierEntitlements.Rank(s.Tier) : 0)
            .ThenByDescending(s => !IsEnded(s.Status))
            .ThenByDescending(s => s.StripeCreatedAt ?? DateTimeOffset.MinValue)
            .ThenByDescending(s => s.CurrentPeriodEnd ?? DateTimeOffset.MinValue)
            .ThenBy(s => s.SubscriptionId, StringComparer.Ordinal)
            .FirstOrDefault();
}
