namespace Platform.Api.Features.Billing.GetSubscription;

/// <param name="Tier">The plan on record (<c>free</c>, <c>pro</c>, <c>business</c>).</param>
/// <param name="EffectiveTier">The plan whose allowances apply: the paid tier only while active, trialing or past_due.</param>
/// <param name="Subscriptions">
/// Every Stripe subscription of the user, newest first; the plan is the highest tier among the live ones (more than one
/// live subscription means the user pays twice: cancel one in the portal).
/// </param>
public sealed record Response(
    string Tier,
    string EffectiveTier,
    string Status,
    DateTimeOffset? CurrentPeriodEnd,
    bool CancelAtPeriodEnd,
    DateTimeOffset? TrialEnd,
    string? StripeCustomerId,
    string? StripeSubscriptionId,
    string? StripePriceId,
    DateTimeOffset UpdatedAt,
    Allowance PlatformAccounts,
    Allowance ConcurrentJobs,
    IReadOnlyList<StripeSubscriptionResponse> Subscriptions);

public sealed record Allowance(int Limit, int Used);

/// <param name="Tier">The plan the subscription's price maps to; <c>free</c> once it has ended.</param>
public sealed record StripeSubscriptionResponse(
    string StripeSubscriptionId,
    string Tier,
    string Status,
    string? StripePriceId,
    DateTimeOffset? CurrentPeriodEnd,
    bool CancelAtPeriodEnd,
    DateTimeOffset? TrialEnd);
