using FastEndpoints;
using FluentValidation;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.ListTrending;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Window).Must(w => w is null || TrendingWindows.IsValid(w)).WithMessage("window must be 24h or 7d");
        RuleFor(r => r.Limit).InclusiveBetween(1, 100).When(r => r.Limit is not null);
        RuleFor(r => r.Category).MaximumLength(100);
    }
}
