using FastEndpoints;
using FluentValidation;

namespace Platform.Api.Features.Discovery.RecordClick;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Source).MaximumLength(64).Matches("^[a-z0-9_.-]*$").WithMessage("source must be a short lowercase word");
        RuleFor(r => r.Referrer).MaximumLength(2048);
    }
}
