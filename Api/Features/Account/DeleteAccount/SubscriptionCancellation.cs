using Npgsql;
using Platform.Core.Billing;
using Stripe;

namespace Platform.Api.Features.Account.DeleteAccount;

/// <summary>
/// Ends a leaving user's live Stripe subscription through the existing <see cref="StripeGateway"/>: at period end
/// (<c>cancel_at_period_end=true</c>) or now (<c>DELETE /v1/subscriptions/{id}</c>). Stripe is asked for the current
/// state first, so a retried deletion never fails on a subscription it already canceled. The <c>subscription</c> row is
/// left to the webhook that follows (the Workers re-read it from Stripe); it stays as a billing record.
/// </summary>
public static class SubscriptionCancellation
{
    /// <summary>Stripe statuses of a subscription that can still bill.</summary>
    private static readonly HashSet<string> Live = ["active", "trialing", "past_due", "unpaid", "incomplete", "paused"];

    /// <returns>What was done (<see cref="Core.Audit.AccountDeleted.Subscription"/>) and the Stripe id, or null when
    /// the user has a live Stripe subscription and Stripe is not configured.</returns>
    /// <exception cref="StripeException">Stripe refused or failed (nothing of the account is deleted then).</exception>
    public static async Task<(string Outcome, string? SubscriptionId)?> CancelAsync(
        NpgsqlDataSource dataSource, StripeGateway stripe, Guid userId, bool now, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT stripe_subscription_id, status FROM subscription WHERE user_id = @id");
        command.Parameters.AddWithValue("id", userId);
        string? subscriptionId = null, status = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct) && !reader.IsDBNull(0))
            {
                subscriptionId = reader.GetString(0);
                status = reader.GetString(1);
            }
        }

        if (subscriptionId is null || !Live.Contains(status!))
        {
            return (subscriptionId is null ? "none" : "already_canceled", subscriptionId);
        }

        if (!stripe.IsConfigured)
        {
            return null;
        }

        var service = new SubscriptionService(stripe.Client);
        Subscription current;
        try
        {
            current = await service.GetAsync(subscriptionId, cancellationToken: ct);
        }
        catch (StripeException error) when (error.StripeError?.Code == "resource_missing")
        {
            return ("already_canceled", subscriptionId);
        }

        if (!Live.Contains(current.Status))
        {
            return ("already_canceled", subscriptionId);
        }

        if (now)
        {
            await service.CancelAsync(subscriptionId, new SubscriptionCancelOptions(), cancellationToken: ct);
            return ("canceled_now", subscriptionId);
        }

        if (!current.CancelAtPeriodEnd)
        {
            await service.UpdateAsync(subscriptionId, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true }, cancellationToken: ct);
        }

        return ("cancel_at_period_end", subscriptionId);
    }
}
