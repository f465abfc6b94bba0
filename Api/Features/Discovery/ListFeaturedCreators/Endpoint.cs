using System.ComponentModel;
using FastEndpoints;
using Microsoft.Extensions.Caching.Hybrid;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Discovery.ListFeaturedCreators;

public sealed record FeaturedCreator(
    string Username, string? DisplayName, string? AvatarUrl, string? Bio, int Position, DateTimeOffset FeaturedFrom, DateTimeOffset? FeaturedUntil);

public sealed record Response(IReadOnlyList<FeaturedCreator> Items);

/// <summary>The current and scheduled featured creators, cached as a whole; the active ones are picked per request.</summary>
[ImmutableObject(true)]
public sealed class FeaturedSchedule
{
    public required FeaturedCreator[] Entries { get; init; }
}

/// <summary>
/// <c>GET /api/public/creators/featured</c>: creators an admin features now (featured_from &lt;= now &lt; featured_until),
/// in position order. The cache holds the whole schedule, so a scheduled start or end shows without invalidation.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, HybridCache hybridCache, Microsoft.Extensions.Options.IOptions<DiscoveryOptions> options, TimeProvider clock)
    : EndpointWithoutRequest<Response>
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Featured, DiscoveryCacheTags.Content];

    public override void Configure()
    {
        Get("/api/public/creators/featured");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Discovery").Produces<Response>(200, "application/json").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "Creators featured by the editors, in display order");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var schedule = options.Value.CacheEnabled
            ? await hybridCache.GetOrCreateAsync("pub:featured", dataSource, FeaturedCreatorsQuery.LoadScheduleAsync,
                new HybridCacheEntryOptions
                {
                    Expiration = TimeSpan.FromSeconds(options.Value.DistributedCacheSeconds),
                    LocalCacheExpiration = TimeSpan.FromSeconds(options.Value.LocalCacheSeconds),
                }, CacheTags, ct)
            : await FeaturedCreatorsQuery.LoadScheduleAsync(dataSource, ct);
        var active = FeaturedCreatorsQuery.Active(schedule, clock.GetUtcNow());
        await HttpCaching.WriteAsync(HttpContext, CachedResponse.Json(new Response(active)), HttpCaching.Lists, ct);
    }
}
