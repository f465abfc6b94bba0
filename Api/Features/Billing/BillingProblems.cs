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
