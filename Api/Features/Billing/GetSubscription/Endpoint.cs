using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Billing;
using Platform.Core.Data;

namespace Platform.Api.Features.Billing.GetSubscription;

/// <summary>
/// <c>GET /api/billing/subscription</c>: the caller's plan, its Stripe state, what it allows, and every Stripe
/// subscription the plan is derived from (RLS-scoped).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource) : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Get("/api/billing/subscription");
        Description(d => d.WithTags("Billing").ProducesProblemDetails(404));
        Summary(s => s.Summary = "My plan and its allowances");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        await using var scope = await UserScope.BeginAsync(dataSource, userId, ct);
        var subscription = await SubscriptionRecord.FindAsync(scope, userId, ct);
        if (subscription is null)
        {
            await Send.ResultAsync(Problems.NotFound("You have no subscription yet."));
            return;
        }

        var subscriptions = await StripeSubscriptionRecord.ListAsync(scope.Connection, scope.Transaction, userId, ct);
        var accounts = await TierEntitlements.CheckPlatformAccountsAsync(scope.Connection, scope.Transaction, userId, ct);
        var jobs = await TierEntitlements.CheckConcurrentJobsAsync(scope.Connection, scope.Transaction, userId, cancellationToken: ct);
        await scope.CommitAsync(ct);

        HttpContext.Response.Headers.CacheControl = "no-store";
        await Send.OkAsync(new Response(
            subscription.Tier,
            TierEntitlements.EffectiveTier(subscription.Tier, subscription.Status),
            subscription.Status,
            subscription.CurrentPeriodEnd,
            subscription.CancelAtPeriodEnd,
            subscription.TrialEnd,
            subscription.StripeCustomerId,
            subscription.StripeSubscriptionId,
            subscription.StripePriceId,
            subscription.UpdatedAt,
            new Allowance(accounts.Limit, accounts.Used),
            new Allowance(jobs.Limit, jobs.Used),
            subscriptions.Select(s => new StripeSubscriptionResponse(
                s.SubscriptionId, s.Tier, s.Status, s.PriceId, s.CurrentPeriodEnd, s.CancelAtPeriodEnd, s.TrialEnd)).ToList()), ct);
    }
}
