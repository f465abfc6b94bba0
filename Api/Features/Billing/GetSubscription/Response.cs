namespace Platform.Api.Features.Billing.GetSubscription;

/// <param name="Tier">The plan on record (<c>free</c>, <c>pro</c>, <c>business</c>).</param>
/// <param name="EffectiveTier">The plan whose allowances apply: the paid tier only while active, trialing or past_due.</param>
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
    Allowance ConcurrentJobs);

public sealed record Allowance(int Limit, int Used);
