using FastEndpoints;
using Npgsql;
using Platform.Api.Auth;
using Platform.Api.Http;
using Platform.Core.Billing;
using Platform.Core.Data;
using Stripe;
using Stripe.Checkout;

namespace Platform.Api.Features.Billing.CreateCheckoutSession;

/// <summary>
/// <c>POST /api/billing/checkout</c>: a Stripe Checkout Session (subscription mode) for a paid tier; answers its URL.
/// The user's Stripe customer is created once and reused. The session is created with an idempotency key the server
/// derives (one per user, price and 10-minute window, split by a hash of the client's <c>Idempotency-Key</c> when sent,
/// never the header itself), so a double click or a retried request returns the same session instead of opening a
/// second one. Rate-limited per user (<see cref="RateLimits.BillingPolicy"/>). 409 (problem type
/// <see cref="Problems.AlreadySubscribedType"/>) while a paid subscription is live: on record (any of the user's
/// subscriptions), or reported by Stripe for the customer although its webhooks have not been applied yet (a session
/// paid in another tab), so a user cannot end up paying for two plans through checkout. A new session expires the
/// customer's other open sessions (one user's checkouts run one at a time), so two tabs opened either side of the
/// de-duplication window cannot both be paid.
/// </summary>
public sealed class Endpoint(NpgsqlDataSource dataSource, StripeGateway stripe, StripeCustomers customers, TimeProvider clock)
    : Endpoint<Request, Response>
{
    public override void Configure()
    {
        Post("/api/billing/checkout");
        Options(x => x.RequireRateLimiting(RateLimits.BillingPolicy));
        Description(d => d.WithTags("Billing").ProducesProblemDetails(400).ProducesProblemDetails(409).ProducesProblemDetails(502)
            .ProducesProblemDetails(503));
        Summary(s => s.Summary = "Start a Stripe Checkout for a paid plan");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        if (!stripe.IsConfigured)
        {
            await Send.ResultAsync(Problems.BillingNotConfigured());
            return;
        }

        var settings = stripe.Options;
        string tier;
        string priceId;
        if (!string.IsNullOrWhiteSpace(request.Tier))
        {
            tier = request.Tier;
            priceId = settings.PriceForTier(tier) ?? string.Empty;
            if (priceId.Length == 0)
            {
                ThrowError(r => r.Tier!, $"No Stripe price is configured for the {tier} tier (Stripe:Prices:{tier}).");
            }
        }
        else
        {
            priceId = request.PriceId!;
            tier = settings.TierForPrice(priceId) ?? string.Empty;
            if (tier.Length == 0 || tier == TierEntitlements.Free)
            {
                ThrowError(r => r.PriceId!, $"'{priceId}' is not one of this platform's prices.");
            }
        }

        var userId = User.UserId()!.Value;
        await using (var scope = await UserScope.BeginAsync(dataSource, userId, ct))
        {
            var current = await SubscriptionRecord.FindAsync(scope, userId, ct);
            var live = (await StripeSubscriptionRecord.ListAsync(scope.Connection, scope.Transaction, userId, ct)).FirstOrDefault(s => s.IsLive);
            if (live is not null)
            {
                await Send.ResultAsync(Problems.AlreadySubscribed(live.Tier, live.Status, live.SubscriptionId));
                return;
            }

            if (current is { StripeSubscriptionId: not null } && TierEntitlements.EffectiveTier(current.Tier, current.Status) != TierEntitlements.Free)
            {
                await Send.ResultAsync(Problems.AlreadySubscribed(current.Tier, current.Status, current.StripeSubscriptionId));
                return;
            }
        }

        try
        {
            var email = User.FindFirst("email")?.Value;
            var customerId = await customers.GetOrCreateAsync(userId, email, ct);
            SessionOutcome outcome;
            try
            {
                outcome = await OneAtATimeAsync(userId, () => StartSessionAsync(userId, customerId, tier, priceId, replacedCustomer: false, ct), ct);
            }
            catch (StripeException error) when (StripeCustomers.IsMissingCustomer(error))
            {
                // Deleted in Stripe's dashboard: a new customer, then the checkout as asked.
                customerId = await customers.ReplaceMissingAsync(userId, customerId, email, ct);
                var replaced = customerId;
                outcome = await OneAtATimeAsync(userId, () => StartSessionAsync(userId, replaced, tier, priceId, replacedCustomer: true, ct), ct);
            }

            if (outcome.Paying is { } paying)
            {
                await Send.ResultAsync(Problems.AlreadySubscribed(paying.Tier, paying.Subscription.Status, paying.Subscription.Id));
                return;
            }

            var session = outcome.Session!;
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
            {
                await BillingAudit.AppendAsync(connection, null, new BillingAuditEntry(BillingAudit.CheckoutStarted, $"user:{userId}")
                {
                    UserId = userId,
                    Details = new { session_id = session.Id, customer_id = customerId, price_id = priceId, tier },
                }, ct);
            }

            await Send.OkAsync(new Response(session.Id, session.Url, tier, priceId, customerId), ct);
        }
        catch (StripeException error)
        {
            await Send.ResultAsync(Problems.StripeFailed(error));
        }
    }

    private sealed record SessionOutcome(Session? Session, (Subscription Subscription, string Tier)? Paying);

    /// <summary>Runs one user's checkout steps while holding a transaction-scoped advisory lock on the user.</summary>
    private async Task<SessionOutcome> OneAtATimeAsync(Guid userId, Func<Task<SessionOutcome>> steps, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", connection, transaction))
        {
            command.Parameters.AddWithValue("key", $"checkout:{userId:N}");
            await command.ExecuteNonQueryAsync(ct);
        }

        var outcome = await steps();
        await transaction.CommitAsync(ct);
        return outcome;
    }

    /// <summary>
    /// The client's <c>Idempotency-Key</c> (up to 200 characters) as a suffix of the server's key: a SHA-256 prefix,
    /// never the text itself, so it can only split the caller's own key (user, price, window), never name another's
    /// or reach Stripe verbatim; empty without one. Distinct keys open distinct sessions, bounded by the rate limit.
    /// </summary>
    private string ClientKeySuffix()
    {
        var clientKey = HttpContext.Request.Headers["Idempotency-Key"].ToString();
        return clientKey is { Length: > 0 and <= 200 }
            ? "-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(clientKey)))[..16]
            : string.Empty;
    }

    /// <summary>
    /// The Checkout Session, unless Stripe reports a live subscription of the customer already. After a customer was
    /// replaced the idempotency key names the new customer: a key is bound to its first request's parameters.
    /// </summary>
    private async Task<SessionOutcome> StartSessionAsync(
        Guid userId, string customerId, string tier, string priceId, bool replacedCustomer, CancellationToken ct)
    {
        if (await LiveAtStripeAsync(customerId, ct) is { } paying)
        {
            return new SessionOutcome(null, paying);
        }

        var settings = stripe.Options;
        var window = clock.GetUtcNow().ToUnixTimeSeconds() / 600;
        var idempotencyKey = replacedCustomer
            ? $"platform-checkout-{userId:N}-{customerId}-{priceId}-{window}"
            : $"platform-checkout-{userId:N}-{priceId}-{window}{ClientKeySuffix()}";
        var sessions = new SessionService(stripe.Client);
        var session = await CreateAsync(idempotencyKey);
        var open = await sessions.ListAsync(new SessionListOptions { Customer = customerId, Status = "open", Limit = 100 }, cancellationToken: ct);
        if (open.Data.All(s => s.Id != session.Id))
        {
            // The key replayed a session that has since expired or completed (Stripe replays the first answer): a new one.
            session = await CreateAsync($"{idempotencyKey}-after-{session.Id}");
        }

        foreach (var other in open.Data.Where(s => s.Id != session.Id))
        {
            try
            {
                await sessions.ExpireAsync(other.Id, cancellationToken: ct);
            }
            catch (StripeException error) when (error.HttpStatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.NotFound)
            {
                // Completed or expired meanwhile: nothing left to close.
            }
        }

        return new SessionOutcome(session, null);

        Task<Session> CreateAsync(string key) => sessions.CreateAsync(
            new SessionCreateOptions
            {
                Mode = "subscription",
                Customer = customerId,
                ClientReferenceId = userId.ToString(),
                LineItems = [new SessionLineItemOptions { Price = priceId, Quantity = 1 }],
                SuccessUrl = settings.CheckoutSuccessUrl,
                CancelUrl = settings.CheckoutCancelUrl,
                Metadata = new Dictionary<string, string> { ["user_id"] = userId.ToString(), ["tier"] = tier },
                SubscriptionData = new SessionSubscriptionDataOptions
                {
                    Metadata = new Dictionary<string, string> { ["user_id"] = userId.ToString(), ["tier"] = tier },
                },
            },
            new RequestOptions { IdempotencyKey = key },
            ct);
    }

    /// <summary>
    /// A subscription of the customer that Stripe says is paying for one of this platform's plans (active, trialing,
    /// past_due; the plan price among its items), whether or not its webhooks have been applied.
    /// </summary>
    private async Task<(Subscription Subscription, string Tier)?> LiveAtStripeAsync(string customerId, CancellationToken ct)
    {
        var subscriptions = await new SubscriptionService(stripe.Client).ListAsync(
            new SubscriptionListOptions { Customer = customerId, Limit = 100 }, cancellationToken: ct);
        foreach (var subscription in subscriptions.Data.Where(s => TierEntitlements.IsLiveStatus(s.Status)))
        {
            if (SubscriptionPlan.Resolve(subscription.Items?.Data?.Select(i => i.Price?.Id) ?? [], stripe.Options) is { } plan)
            {
                return (subscription, plan.Tier);
            }
        }

        return null;
    }
}
