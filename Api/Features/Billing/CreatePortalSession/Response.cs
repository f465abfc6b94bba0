namespace Platform.Api.Features.Billing.CreatePortalSession;

/// <param name="Url">Stripe's customer portal for this user: change plan, payment method, cancel, invoices.</param>
public sealed record Response(string Url);
