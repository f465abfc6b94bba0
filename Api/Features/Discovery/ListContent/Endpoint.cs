using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Discovery.ListContent;

/// <summary><c>GET /api/public/content</c>: the public feed, filtered, sorted and keyset-paginated. Anonymous, cached.</summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache) : Endpoint<Request>
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] RecentTags = [DiscoveryCacheTags.Content];
    private static readonly string[] RankedTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Trending];

    public override void Configure()
    {
        Get("/api/public/content");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Discovery").Produces<FeedPage>(200, "application/json").ProducesProblemDetails(400).ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "The public content feed: filter by category, tag, platform or creator; sort recent, popular or trending");
    }

    public override async Task HandleAsync(Request request, CancellationToken ct)
    {
        FeedCursor? cursor = request.Cursor is not null && FeedCursor.TryDecode(request.Cursor, out var decoded) ? decoded : null;
        var query = new FeedQuery(
            request.Sort ?? "recent",
            string.IsNullOrWhiteSpace(request.Category) ? null : request.Category.Trim().ToLowerInvariant(),
            string.IsNullOrWhiteSpace(request.Tag) ? null : request.Tag.Trim().ToLowerInvariant(),
            request.Platform,
            string.IsNullOrWhiteSpace(request.Creator) ? null : request.Creator.Trim(),
            request.Window ?? TrendingWindows.Day,
            cursor,
            request.Limit ?? 20);

        var response = await cache.GetOrCreateAsync(
            query.CacheKey(),
            (query, dataSource),
            static async (state, token) => CachedResponse.Json(await state.query.ExecuteAsync(state.dataSource, token)),
            query.Sort == "recent" ? RecentTags : RankedTags,
            ct);
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Lists, ct);
    }
}
