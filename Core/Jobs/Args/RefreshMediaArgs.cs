using FluentValidation;

namespace Platform.Core.Jobs.Args;

/// <summary><c>refresh_media</c>: checks every medium of the given items (liveness, content type, dimensions).</summary>
/// <param name="ContentIds">The items, 1 to <see cref="IContentBatchArgs.MaxContentIds"/>.</param>
public sealed record RefreshMediaArgs(Guid[] ContentIds) : IContentBatchArgs, IJobArgs<RefreshMediaArgs>
{
    public const string Kind = "refresh_media";

    public static JobTypeDefinition Definition { get; } = new()
    {
        Name = Kind,
        Queue = JobQueues.Ingestion,
        MaxAttempts = 3,
        Timeout = TimeSpan.FromMinutes(10),
        RetryBase = TimeSpan.FromMinutes(1),
        Access = JobAccess.System,
    };

    public static IValidator<RefreshMediaArgs> Validator { get; } = new ContentBatchArgsValidator<RefreshMediaArgs>();
}
