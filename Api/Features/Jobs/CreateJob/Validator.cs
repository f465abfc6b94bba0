using FastEndpoints;
using FluentValidation;

namespace Platform.Api.Features.Jobs.CreateJob;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Type).NotEmpty().WithMessage("type is required").MaximumLength(100);
        RuleFor(r => r.IdempotencyKey).Length(1, 255).When(r => r.IdempotencyKey is not null);
        RuleFor(r => r.Priority).InclusiveBetween(-100, 100).When(r => r.Priority is not null);
        RuleFor(r => r.RunAt)
            .Must(runAt => runAt!.Value < DateTimeOffset.UtcNow.AddDays(30))
            .When(r => r.RunAt is not null)
            .WithMessage("run_at must be within the next 30 days");
    }
}
