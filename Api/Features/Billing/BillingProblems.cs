using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Core.Billing;

namespace Platform.Api.Features.Billing;

/// <summary>Problem details of billing: plan limits and an unconfigured Stripe.</summary>
public static class BillingProblems
{
    public const string PlanLimitType = "https://platform.local/problems/plan-limit";

    /// <summary>403 with the entitlement, the plan, the limit and the usage, and where to upgrade.</summary>
    public static ProblemHttpResult PlanLimitReached(EntitlementCheck check) =>
        TypedResults.Problem(
            detail: check.Message,
            statusCode: StatusCodes.Status403Forbidden,
            title: "Plan limit reached",
            type: PlanLimitType,
            extensions: new Dictionary<string, object?>
            {
                ["entitlement"] = check.Entitlement,
                ["tier"] = check.Tier,
                ["limit"] = check.Limit,
                ["used"] = check.Used,
                ["upgrade"] = "/api/billing/checkout",
            });

    public const string AlreadySubscribedType = "https://platform.local/problems/already-subscribed";

    /// <summary>
    /// 409: a second checkout while a paid subscription is live (on record, or reported by Stripe before its webhooks
    /// were applied) would make the user pay twice. Extensions: <c>tier</c>, <c>status</c>, <c>subscription_id</c>, and
    /// <c>portal</c>, where the plan is changed or cancelled instead.
    /// </summary>
    public static ProblemHttpResult AlreadySubscribed(string tier, string status, string? subscriptionId) =>
        TypedResults.Problem(
            detail: $"You are on the {tier} plan ({status}). Change or cancel it in the customer portal (POST /api/billing/portal).",
            statusCode: StatusCodes.Status409Conflict,
            title: "Already subscribed",
            type: AlreadySubscribedType,
            extensions: new Dictionary<string, object?>
            {
                ["tier"] = tier,
                ["status"] = status,
                ["subscription_id"] = subscriptionId,
                ["portal"] = "/api/billing/portal",
            });

    public static ProblemHttpResult NotConfigured() =>
        TypedResults.Problem(
            detail: "Stripe is not configured on this server (Stripe:SecretKey).",
            statusCode: StatusCodes.Status503ServiceUnavailable,
            title: "Billing unavailable");

    public static ProblemHttpResult StripeFailed(Stripe.StripeException error) =>
        TypedResults.Problem(
            detail: $"Stripe refused the request: {error.StripeError?.Message ?? error.Message}",
            statusCode: StatusCodes.Status502BadGateway,
            title: "Stripe error",
            extensions: new Dictionary<string, object?> { ["stripe_request_id"] = error.StripeResponse?.RequestId });
}
