using FastEndpoints;
using FluentValidation;

namespace Platform.Api.Features.Account.DeleteAccount;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Cancel)
            .Must(c => c is null or "period_end" or "now")
            .WithMessage("cancel must be 'period_end' or 'now'");
    }
}
