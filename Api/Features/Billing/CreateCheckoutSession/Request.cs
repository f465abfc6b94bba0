namespace Platform.Api.Features.Billing.CreateCheckoutSession;

/// <summary>The plan to buy: a tier (<c>pro</c>, <c>business</c>) or one of the configured Stripe price ids.</summary>
public sealed class Request
{
    public string? Tier { get; set; }

    public string? PriceId { get; set; }
}
