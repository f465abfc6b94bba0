namespace Platform.Core.Discovery;

/// <summary>
/// Cache tags of the public discovery API (HybridCache) and the Redis channel on which any process announces that
/// entries carrying a tag are stale. The Api invalidates locally and publishes; every Api replica subscribes.
/// </summary>
/// <remarks>
/// Two kinds of tag, so that one creator's change never empties every replica's cache:
/// <list type="bullet">
/// <item><b>Scoped</b> (<see cref="Creator"/>, <see cref="Item"/>, <see cref="Username"/>): the pages of one creator (profile, the pages of
/// their items, which show the creator card) or of one item. A replica evicts them at once when it hears them, and
/// then schedules a <em>debounced</em> flush of the <see cref="ListTags"/> (lists can contain the changed content):
/// at most one such flush per <c>Discovery:ListFlushSeconds</c> per replica, however many changes arrive.</item>
/// <item><b>Global</b> (<see cref="Content"/>, <see cref="Trending"/>, <see cref="Featured"/>,
/// <see cref="Categories"/>): every list of that kind, evicted at once. Published only by trusted, rare actions
/// (admin curation, the trending tick), never per creator sync.</item>
/// </list>
/// </remarks>
public static class DiscoveryCacheTags
{
    /// <summary>Redis pub/sub channel; a message is one tag.</summary>
    public const string InvalidationChannel = "discovery:invalidate";

    /// <summary>Lists that show content (feed, search, trending, creator cards, sitemap shards).</summary>
    public const string Content = "discovery:content";

    /// <summary>Trending lists and the feed sorted by trending or popularity (recomputed by the Workers).</summary>
    public const string Trending = "discovery:trending";

    /// <summary>Featured creators (admin curation).</summary>
    public const string Featured = "discovery:featured";

    /// <summary>The category list.</summary>
    public const string Categories = "discovery:categories";

    private const string CreatorPrefix = "creator:";
    private const string ItemPrefix = "item:";
    private const string UsernamePrefix = "username:";

    /// <summary>The lists a scoped change can appear in: flushed (debounced) after a <see cref="Creator"/> or <see cref="Item"/> tag.</summary>
    public static readonly IReadOnlyList<string> ListTags = [Content, Trending, Featured];

    /// <summary>One creator's pages: their profile and the pages of their items (format <c>creator:{uuid}</c>).</summary>
    public static string Creator(Guid creatorId) => CreatorPrefix + creatorId.ToString("D");

    /// <summary>One item's pages (format <c>item:{uuid}</c>).</summary>
    public static string Item(Guid itemId) => ItemPrefix + itemId.ToString("D");

    /// <summary>
    /// A username's pages while it resolves to no public creator (404, or 301 after a rename; format
    /// <c>username:{lower-case name}</c>): a profile that takes or gives up the name evicts them at once.
    /// </summary>
    public static string Username(string username) => UsernamePrefix + username.ToLowerInvariant();

    /// <summary>The tags of a cached page of one item: the item's and its creator's.</summary>
    public static string[] ItemPage(Guid itemId, Guid creatorId) => [Item(itemId), Creator(creatorId)];

    /// <summary>The tags of a cached page of one creator (profile, their content list).</summary>
    public static string[] CreatorPage(Guid creatorId) => [Creator(creatorId)];

    /// <summary>
    /// The tags of a cached page whose name (slug, username) is not public (404 or redirect): it can only start to
    /// exist through a change that also flushes the lists, so it goes with them.
    /// </summary>
    public static string[] MissingPage { get; } = [Content];

    /// <summary>The tags of a cached page of a username that resolves to no creator (see <see cref="Username"/>).</summary>
    public static string[] MissingCreatorPage(string username) => [Content, Username(username)];

    /// <summary>True for a <see cref="Creator"/>, <see cref="Item"/> or <see cref="Username"/> tag (a change that also makes lists stale, debounced).</summary>
    public static bool IsScoped(string tag) =>
        tag.StartsWith(CreatorPrefix, StringComparison.Ordinal) || tag.StartsWith(ItemPrefix, StringComparison.Ordinal)
        || tag.StartsWith(UsernamePrefix, StringComparison.Ordinal);
}
