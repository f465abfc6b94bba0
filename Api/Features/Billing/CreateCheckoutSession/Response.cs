namespace Platform.Api.Features.Billing.CreateCheckoutSession;

/// <param name="Url">Stripe Checkout's page for this session: send the browser there.</param>
public sealed record Response(string Id, string Url, string Tier, string PriceId, string CustomerId);
