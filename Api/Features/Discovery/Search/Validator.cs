using FastEndpoints;
using FluentValidation;

namespace Platform.Api.Features.Discovery.Search;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Q).NotNull().WithMessage("q is required");
        RuleFor(r => r.Limit).InclusiveBetween(1, 50).When(r => r.Limit is not null);
        RuleFor(r => r.Category).MaximumLength(100);
    }
}
