using Platform.Core.Discovery;

namespace Platform.Core.Ingestion;

/// <summary>
/// How the Workers tell the Api that discovery data changed: <c>PUBLISH discovery:invalidate &lt;tag&gt;</c> on the
/// <c>cache</c> Redis connection, one message per tag. The Api subscribes and evicts its HybridCache entries by tag.
/// A sync, tagging or media change publishes only the creator's (and items') scoped tags: the Api evicts those pages at
/// once and flushes the lists debounced (see <see cref="DiscoveryCacheTags"/>), so a burst of syncs costs each replica
/// at most one global flush per <c>Discovery:ListFlushSeconds</c>.
/// </summary>
public static class DiscoveryInvalidation
{
    public const string Channel = DiscoveryCacheTags.InvalidationChannel;

    /// <summary>Every public content list, at once; for admin curation only, never per sync (see <see cref="CreatorTag"/>).</summary>
    public const string ContentTag = DiscoveryCacheTags.Content;

    /// <summary>One creator's profile and content pages (and, debounced, the lists).</summary>
    public static string CreatorTag(Guid userId) => DiscoveryCacheTags.Creator(userId);

    /// <summary>One item's pages (and, debounced, the lists).</summary>
    public static string ItemTag(Guid itemId) => DiscoveryCacheTags.Item(itemId);

    /// <summary>What a change to one creator's content publishes: the creator's tag and each changed item's.</summary>
    public static string[] ContentChanged(Guid creatorId, IEnumerable<Guid>? itemIds = null) =>
        [CreatorTag(creatorId), .. (itemIds ?? []).Select(ItemTag)];
}
