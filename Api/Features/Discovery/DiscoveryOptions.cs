using Platform.Api.Caching;

namespace Platform.Api.Features.Discovery;

/// <summary>Settings of the public discovery API, section <c>Discovery</c>.</summary>
public sealed class DiscoveryOptions
{
    public const string Section = "Discovery";

    /// <summary>False bypasses HybridCache entirely (every request goes to Postgres); used by the cold benchmark.</summary>
    public bool CacheEnabled { get; set; } = true;

    /// <summary>How long an entry lives in a replica's memory (L1). Bounds staleness when an invalidation is missed.</summary>
    public int LocalCacheSeconds { get; set; } = 10;

    /// <summary>How long an entry lives in Redis (L2).</summary>
    public int DistributedCacheSeconds { get; set; } = 300;

    /// <summary>
    /// At most one flush of the cached lists (feed, search, trending, featured, sitemap shards) per this many seconds per
    /// replica after creator or item changes (<see cref="Shared.ListFlushDebouncer"/>); also how stale a list can be.
    /// </summary>
    public int ListFlushSeconds { get; set; } = 5;

    /// <summary>How long a sitemap plan (shard boundaries; one pass over every public row) is reused before it is recomputed.</summary>
    public int SitemapPlanSeconds { get; set; } = 600;

    /// <summary>Prefix of every Redis key of the cache (separates environments sharing one Redis).</summary>
    public string CacheKeyPrefix { get; set; } = "platform:";

    /// <summary>Requests one client (its address, an IPv6 /64 counting as one: <see cref="Platform.Api.Http.ClientAddress"/>) may make per <see cref="RateLimitWindowSeconds"/> to the public API.</summary>
    public int RateLimitPermits { get; set; } = 300;

    public int RateLimitWindowSeconds { get; set; } = 10;

    /// <summary>
    /// Secret salt of the visitor hash used to deduplicate clicks (HMAC-SHA256 of IP and User-Agent). Set the same
    /// value on every replica; when empty a random salt per process is used (dedup then only works per process).
    /// </summary>
    public string? VisitorHashSalt { get; set; }

    /// <summary>Absolute origin for canonical URLs, sitemaps and Open Graph (e.g. https://example.com); default: the request's.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>URLs per sitemap shard (the protocol allows at most 50,000).</summary>
    public int SitemapShardSize { get; set; } = 50_000;
}
