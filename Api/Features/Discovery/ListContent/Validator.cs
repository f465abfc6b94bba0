using FastEndpoints;
using FluentValidation;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.ListContent;

public sealed class Validator : Validator<Request>
{
    public Validator()
    {
        RuleFor(r => r.Sort).Must(s => s is null || FeedQuery.Sorts.Contains(s))
            .WithMessage("sort must be one of: recent, popular, trending");
        RuleFor(r => r.Window).Must(w => w is null || TrendingWindows.IsValid(w))
            .WithMessage("window must be 24h or 7d");
        RuleFor(r => r.Limit).InclusiveBetween(1, 100).When(r => r.Limit is not null);
        RuleFor(r => r.Cursor)
            .Must((request, cursor) => cursor is null
                || (FeedCursor.TryDecode(cursor, out var decoded) && decoded.Sort == FeedQuery.SortCode(request.Sort)))
            .WithMessage("cursor is malformed or belongs to another sort");
        RuleFor(r => r.Platform).Must(p => p is null || p is "youtube" or "feed")
            .WithMessage("platform must be youtube or feed");
        RuleFor(r => r.Category).MaximumLength(100);
        RuleFor(r => r.Tag).MaximumLength(100);
        RuleFor(r => r.Creator).MaximumLength(40);
    }
}
