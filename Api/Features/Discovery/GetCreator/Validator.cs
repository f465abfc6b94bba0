using FastEndpoints;
using FluentValidation;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.GetCreator;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Limit).InclusiveBetween(1, 100).When(r => r.Limit is not null);
        RuleFor(r => r.Cursor)
            .Must(c => c is null || (FeedCursor.TryDecode(c, out var decoded) && decoded.Sort == 'r'))
            .WithMessage("cursor is malformed");
    }
}
