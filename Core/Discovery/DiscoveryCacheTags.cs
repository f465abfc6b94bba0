namespace Platform.Core.Discovery;

/// <summary>
/// Cache tags of the public discovery API (HybridCache) and the Redis channel on which any process announces that
/// entries carrying a tag are stale. The Api invalidates locally and publishes; every Api replica subscribes.
/// </summary>
public static class DiscoveryCacheTags
{
    /// <summary>Redis pub/sub channel; a message is one tag.</summary>
    public const string InvalidationChannel = "discovery:invalidate";

    /// <summary>Everything that lists or shows content (feed, detail, creator pages, search, trending, sitemaps).</summary>
    public const string Content = "discovery:content";

    /// <summary>Trending lists and the feed sorted by trending or popularity (recomputed by the Workers).</summary>
    public const string Trending = "discovery:trending";

    /// <summary>Featured creators (admin curation).</summary>
    public const string Featured = "discovery:featured";

    /// <summary>The category list.</summary>
    public const string Categories = "discovery:categories";
}
