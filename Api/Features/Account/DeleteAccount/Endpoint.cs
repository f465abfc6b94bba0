using System.Security.Claims;
using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Caching;
using Platform.Api.Http;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Billing;
using Platform.Core.Discovery;
using Stripe;

namespace Platform.Api.Features.Account.DeleteAccount;

/// <summary>
/// <c>DELETE /api/me[?cancel=period_end|now]</c>: leaves the platform. Every live Stripe subscription of the user is canceled first
/// (at period end by default, or now); if Stripe fails (502) or is not configured (503) nothing is deleted. Then
/// <see cref="AccountEraser"/> removes the account's data in one transaction, audited in Marten, and the public cache
/// forgets it: its pages answer 410. 204; again 204 (idempotent; a deleted account's token reaches only this).
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, StripeGateway stripe, AccountEraser eraser, PublicCache cache, UserDirectory users)
    : Endpoint<Request>
{
    public override void Configure()
    {
        Delete("/api/me");
        Description(d => d.WithTags("Account").Produces(204).ProducesProblemDetails(400).ProducesProblemDetails(502).ProducesProblemDetails(503));
        Summary(s => s.Summary = "Delete my account: cancel my subscription, remove my content, accounts and identities");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        var userId = User.UserId()!.Value;
        SubscriptionCancellation.Result? cancellation;
        try
        {
            cancellation = await SubscriptionCancellation.CancelAsync(dataSource, stripe, userId, request.Cancel == "now", ct);
        }
        catch (StripeException error)
        {
            await Send.ResultAsync(Problems.StripeFailed(error));
            return;
        }

        if (cancellation is not { } done)
        {
            await Send.ResultAsync(Problems.BillingNotConfigured());
            return;
        }

        if (await eraser.EraseAsync(userId, done.Outcome, done.SubscriptionIds, ct))
        {
            await cache.InvalidateAsync(DiscoveryCacheTags.CreatorPage(userId), ct); // lists follow, debounced
        }

        users.Forget(User.FindFirstValue("iss")!, User.FindFirstValue("sub")!);
        await Send.NoContentAsync(ct);
    }
}
