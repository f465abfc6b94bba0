using Npgsql;
using Platform.Core.Data;

namespace Platform.Api.Features.Billing;

/// <summary>The caller's <c>subscription</c> row, read under row-level security.</summary>
public sealed record SubscriptionRecord(
    string Tier,
    string Status,
    DateTimeOffset? CurrentPeriodEnd,
    bool CancelAtPeriodEnd,
    DateTimeOffset? TrialEnd,
    string? StripeCustomerId,
    string? StripeSubscriptionId,
    string? StripePriceId,
    DateTimeOffset UpdatedAt)
{
    public static async Task<SubscriptionRecord?> FindAsync(UserScope scope, Guid userId, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand(
            """
            SELECT tier, status, current_period_end, cancel_at_period_end, trial_end,
                   stripe_customer_id, stripe_subscription_id, stripe_price_id, updated_at
            FROM subscription WHERE user_id = @user
            """);
        command.Parameters.AddWithValue("user", userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new SubscriptionRecord(
            reader.GetString(0),
            reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
            reader.GetBoolean(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.GetFieldValue<DateTimeOffset>(8));
    }
}
