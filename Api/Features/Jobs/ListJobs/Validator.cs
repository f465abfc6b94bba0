using FastEndpoints;
using FluentValidation;
using Platform.Core.Jobs;

namespace Platform.Api.Features.Jobs.ListJobs;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Status)
            .Must(s => JobStatus.All.Contains(s!))
            .When(r => r.Status is not null)
            .WithMessage($"status must be one of: {string.Join(", ", JobStatus.All)}");
        RuleFor(r => r.Limit).InclusiveBetween(1, 200).When(r => r.Limit is not null);
        RuleFor(r => r.Cursor)
            .Must(c => JobCursor.TryParse(c!, out _))
            .When(r => r.Cursor is not null)
            .WithMessage("cursor is not one this API returned");
    }
}
