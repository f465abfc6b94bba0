using FluentValidation;

namespace Platform.Core.Jobs.Args;

/// <summary><c>tag_content</c>: AI tags for new or changed content items.</summary>
/// <param name="ContentIds">The items, 1 to <see cref="IContentBatchArgs.MaxContentIds"/>.</param>
public sealed record TagContentArgs(Guid[] ContentIds) : IContentBatchArgs, IJobArgs<TagContentArgs>
{
    public const string Kind = "tag_content";

    public static JobTypeDefinition Definition { get; } = new()
    {
        Name = Kind,
        Queue = JobQueues.Ingestion,
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMinutes(5),
        RetryBase = TimeSpan.FromSeconds(10),
        Access = JobAccess.System,
    };

    public static IValidator<TagContentArgs> Validator { get; } = new ContentBatchArgsValidator<TagContentArgs>();
}
