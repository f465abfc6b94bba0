namespace Platform.Core.Ingestion;

/// <summary>
/// How the Workers tell the Api that discovery data changed: <c>PUBLISH discovery:invalidate &lt;tag&gt;</c> on the
/// <c>cache</c> Redis connection, one message per tag. The Api subscribes and evicts its HybridCache entries by tag.
/// </summary>
public static class DiscoveryInvalidation
{
    public const string Channel = Discovery.DiscoveryCacheTags.InvalidationChannel;

    /// <summary>Any public content listing (feeds, categories, search, trending).</summary>
    public const string ContentTag = Discovery.DiscoveryCacheTags.Content;

    /// <summary>One creator's profile and content pages.</summary>
    public static string CreatorTag(Guid userId) => $"creator:{userId}";
}
