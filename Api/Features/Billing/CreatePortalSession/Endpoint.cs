using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Billing;
using Platform.Core.Data;
using Stripe;
using Stripe.BillingPortal;

namespace Platform.Api.Features.Billing.CreatePortalSession;

/// <summary>
/// <c>POST /api/billing/portal</c>: a Stripe customer portal session for the caller; 409 before their first checkout,
/// and while their customer no longer exists at Stripe (deleted in the dashboard; the next checkout replaces it).
/// Rate-limited per user (<see cref="RateLimits.BillingPolicy"/>); the Stripe idempotency key is one per user and
/// minute, so repeated requests within a minute reuse one session.
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, StripeGateway stripe, TimeProvider clock) : EndpointWithoutRequest<Response>
{
    public override void Configure()
    {
        Post("/api/billing/portal");
        Options(x => x.RequireRateLimiting(RateLimits.BillingPolicy));
        Description(d => d.WithTags("Billing").ProducesProblemDetails(409).ProducesProblemDetails(502).ProducesProblemDetails(503));
        Summary(s => s.Summary = "Open the Stripe customer portal");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        if (!stripe.IsConfigured)
        {
            await Send.ResultAsync(Problems.BillingNotConfigured());
            return;
        }

        var userId = User.UserId()!.Value;
        SubscriptionRecord? subscription;
        await using (var scope = await UserScope.BeginAsync(dataSource, userId, ct))
        {
            subscription = await SubscriptionRecord.FindAsync(scope, userId, ct);
        }

        if (subscription?.StripeCustomerId is not { } customerId)
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "No billing account yet",
                detail: "You have no Stripe customer yet: subscribe first (POST /api/billing/checkout).",
                statusCode: StatusCodes.Status409Conflict));
            return;
        }

        try
        {
            var session = await new SessionService(stripe.Client).CreateAsync(
                new SessionCreateOptions { Customer = customerId, ReturnUrl = stripe.Options.PortalReturnUrl },
                new RequestOptions { IdempotencyKey = $"platform-portal-{userId:N}-{clock.GetUtcNow().ToUnixTimeSeconds() / 60}" },
                ct);
            await Send.OkAsync(new Response(session.Url), ct);
        }
        catch (StripeException error) when (StripeCustomers.IsMissingCustomer(error))
        {
            await Send.ResultAsync(TypedResults.Problem(
                title: "No billing account",
                detail: $"Your Stripe customer {customerId} no longer exists at Stripe: subscribe again (POST /api/billing/checkout).",
                statusCode: StatusCodes.Status409Conflict));
        }
        catch (StripeException error)
        {
            await Send.ResultAsync(Problems.StripeFailed(error));
        }
    }
}
