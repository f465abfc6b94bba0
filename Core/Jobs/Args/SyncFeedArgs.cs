namespace Platform.Core.Jobs.Args;

/// <summary>
/// <c>sync_feed</c>: imports an RSS 2.0 / Atom feed with one conditional GET and one transaction. Enqueued by the
/// platform only (connecting an account, the sync schedule).
/// </summary>
/// <param name="PlatformAccountId"><c>platform_account.id</c> of a feed account.</param>
public sealed record SyncFeedArgs(Guid PlatformAccountId) : IJobArgs<SyncFeedArgs>
{
    public const string Kind = "sync_feed";

    public static JobTypeDefinition Definition { get; } = new()
    {
        Name = Kind,
        Queue = JobQueues.Ingestion,
        MaxAttempts = 5,
        Timeout = TimeSpan.FromMinutes(2),
        RetryBase = TimeSpan.FromSeconds(30),
        Access = JobAccess.System,
    };
}
