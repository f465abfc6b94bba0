using FluentValidation;

namespace Platform.Core.Jobs.Args;

/// <summary>Follow-up work on a batch of content items (<c>tag_content</c>, <c>refresh_media</c>), enqueued by the syncs with the rows they changed.</summary>
public interface IContentBatchArgs
{
    /// <summary>Most content ids in one job; a sync's larger change set is split into several jobs.</summary>
    const int MaxContentIds = 500;

    /// <summary><c>content_item.id</c>s, 1 to <see cref="MaxContentIds"/>.</summary>
    Guid[] ContentIds { get; }
}

/// <summary>1 to <see cref="IContentBatchArgs.MaxContentIds"/> content ids.</summary>
public sealed class ContentBatchArgsValidator<TArgs> : AbstractValidator<TArgs>
    where TArgs : IContentBatchArgs
{
    public ContentBatchArgsValidator()
    {
        RuleFor(a => a.ContentIds.Length)
            .InclusiveBetween(1, IContentBatchArgs.MaxContentIds)
            .OverridePropertyName(nameof(IContentBatchArgs.ContentIds))
            .WithMessage($"must be an array of 1 to {IContentBatchArgs.MaxContentIds} content item uuids");
    }
}
