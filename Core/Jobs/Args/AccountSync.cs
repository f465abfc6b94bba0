namespace Platform.Core.Jobs.Args;

/// <summary>The sync job of a platform account, by <c>platform_account.platform</c>: <c>sync_youtube</c> or <c>sync_feed</c>.</summary>
public static class AccountSync
{
    /// <summary>The job types that sync an account (counted together against the plan's concurrent syncs).</summary>
    public static readonly IReadOnlyCollection<string> Kinds = [SyncYouTubeArgs.Kind, SyncFeedArgs.Kind];

    /// <summary>The sync args of account <paramref name="accountId"/> on <paramref name="platform"/> (<c>youtube</c> or <c>feed</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Any other platform.</exception>
    public static IJobArgs For(string platform, Guid accountId) => platform switch
    {
        "youtube" => new SyncYouTubeArgs(accountId),
        "feed" => new SyncFeedArgs(accountId),
        _ => throw new ArgumentOutOfRangeException(nameof(platform), platform, "Only youtube and feed accounts are synced."),
    };
}
