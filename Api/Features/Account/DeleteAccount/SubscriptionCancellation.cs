using Npgsql;
using Platform.Core.Billing;
using Stripe;

namespace Platform.Api.Features.Account.DeleteAccount;

/// <summary>
/// Ends every Stripe subscription of a leaving user that can still bill, through the existing
/// <see cref="StripeGateway"/>: at period end (<c>cancel_at_period_end=true</c>) or now
/// (<c>DELETE /v1/subscriptions/{id}</c>). A user can hold several (two checkouts; <c>stripe_subscription</c>,
/// migration 016), so all rows of <c>stripe_subscription</c> (<see cref="StripeSubscriptionRecord.ListAsync"/>) and the
/// plan's <c>subscription.stripe_subscription_id</c> are considered, whatever tier their price maps to. Stripe is asked
/// for each one's current state first, so a retried deletion never fails on a subscription it already canceled. The
/// rows are left to the webhooks that follow (the Workers re-read them from Stripe); they stay as billing records.
/// </summary>
public static class SubscriptionCancellation
{
    /// <summary>Stripe statuses of a subscription that can still bill.</summary>
    private static readonly HashSet<string> Live = ["active", "trialing", "past_due", "unpaid", "incomplete", "paused"];

    /// <summary>What was done to the user's subscriptions.</summary>
    /// <param name="Outcome"><see cref="Core.Audit.AccountDeleted.Subscription"/>: <c>canceled_now</c> or
    /// <c>cancel_at_period_end</c> when at least one was ended by this call, <c>already_canceled</c> when the user had
    /// subscriptions but none live, <c>none</c> when they had none.</param>
    /// <param name="SubscriptionIds">Every Stripe subscription id of the user that was considered (Stripe's <c>sub_…</c>).</param>
    public sealed record Result(string Outcome, IReadOnlyList<string> SubscriptionIds);

    /// <returns>What was done, or null when the user has a live Stripe subscription and Stripe is not configured.</returns>
    /// <exception cref="StripeException">Stripe refused or failed (nothing of the account is deleted then; a retry
    /// skips the subscriptions already ended).</exception>
    public static async Task<Result?> CancelAsync(
        NpgsqlDataSource dataSource, StripeGateway stripe, Guid userId, bool now, CancellationToken ct)
    {
        var candidates = new List<string>(); // (id) that the platform last saw live, plan's first
        var known = new List<string>();
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await using (var command = new NpgsqlCommand("SELECT stripe_subscription_id, status FROM subscription WHERE user_id = @id", connection))
            {
                command.Parameters.AddWithValue("id", userId);
                await using var reader = await command.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct) && !reader.IsDBNull(0))
                {
                    known.Add(reader.GetString(0));
                    if (Live.Contains(reader.GetString(1)))
                    {
                        candidates.Add(reader.GetString(0));
                    }
                }
            }

            foreach (var record in await StripeSubscriptionRecord.ListAsync(connection, null, userId, ct))
            {
                if (!known.Contains(record.SubscriptionId))
                {
                    known.Add(record.SubscriptionId);
                }

                if (Live.Contains(record.Status) && !candidates.Contains(record.SubscriptionId))
                {
                    candidates.Add(record.SubscriptionId);
                }
            }
        }

        if (candidates.Count == 0)
        {
            return new Result(known.Count == 0 ? "none" : "already_canceled", known);
        }

        if (!stripe.IsConfigured)
        {
            return null;
        }

        var service = new SubscriptionService(stripe.Client);
        var ended = 0;
        foreach (var subscriptionId in candidates)
        {
            Subscription current;
            try
            {
                current = await service.GetAsync(subscriptionId, cancellationToken: ct);
            }
            catch (StripeException error) when (error.StripeError?.Code == "resource_missing")
            {
                continue; // Stripe no longer has it: nothing can bill
            }

            if (!Live.Contains(current.Status))
            {
                continue;
            }

            try
            {
                if (now)
                {
                    await service.CancelAsync(subscriptionId, new SubscriptionCancelOptions(), cancellationToken: ct);
                }
                else if (!current.CancelAtPeriodEnd)
                {
                    await service.UpdateAsync(subscriptionId, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true }, cancellationToken: ct);
                }
            }
            catch (StripeException)
            {
                // A concurrent DELETE /api/me may have ended it between our read and our call (Stripe refuses to
                // cancel a canceled subscription): then it is done all the same.
                if (!await EndedMeanwhileAsync(service, subscriptionId, now, ct))
                {
                    throw;
                }
            }

            ended++;
        }

        var outcome = ended == 0 ? "already_canceled" : now ? "canceled_now" : "cancel_at_period_end";
        return new Result(outcome, known);
    }

    /// <summary>Whether Stripe now reports the subscription as no longer billing (or, at period end, set to end).</summary>
    private static async Task<bool> EndedMeanwhileAsync(SubscriptionService service, string subscriptionId, bool now, CancellationToken ct)
    {
        try
        {
            var current = await service.GetAsync(subscriptionId, cancellationToken: ct);
            return !Live.Contains(current.Status) || (!now && current.CancelAtPeriodEnd);
        }
        catch (StripeException error) when (error.StripeError?.Code == "resource_missing")
        {
            return true;
        }
    }
}
