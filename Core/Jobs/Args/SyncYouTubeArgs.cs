namespace Platform.Core.Jobs.Args;

/// <summary>
/// <c>sync_youtube</c>: imports a YouTube channel's uploads into the account's content. A 10,000-video channel is
/// about 400 API calls; quota exhaustion reschedules without using an attempt. Enqueued by the platform only
/// (connecting an account, the sync schedule).
/// </summary>
/// <param name="PlatformAccountId"><c>platform_account.id</c> of a YouTube account.</param>
public sealed record SyncYouTubeArgs(Guid PlatformAccountId) : IJobArgs<SyncYouTubeArgs>
{
    public const string Kind = "sync_youtube";

    public static JobTypeDefinition Definition { get; } = new()
    {
        Name = Kind,
        Queue = JobQueues.Ingestion,
        MaxAttempts = 5,
        Timeout = TimeSpan.FromMinutes(30),
        RetryBase = TimeSpan.FromSeconds(30),
        Access = JobAccess.System,
    };
}
