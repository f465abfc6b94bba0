using FastEndpoints;
using FluentValidation;

namespace Platform.Api.Features.Billing.CreateCheckoutSession;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r)
            .Must(r => string.IsNullOrWhiteSpace(r.Tier) != string.IsNullOrWhiteSpace(r.PriceId))
            .WithName("tier")
            .WithMessage("give either tier or price_id");
        RuleFor(r => r.Tier).Must(t => t is "pro" or "business").When(r => !string.IsNullOrWhiteSpace(r.Tier))
            .WithMessage("tier must be pro or business");
        RuleFor(r => r.PriceId).MaximumLength(255);
    }
}
