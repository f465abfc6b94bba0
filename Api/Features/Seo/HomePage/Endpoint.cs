using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.ListCategories;
using Platform.Api.Features.Discovery.ListFeaturedCreators;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.HomePage;

/// <summary>
/// <c>GET /</c>: trending now (24 h), featured creators, the categories and the newest content, from the JSON API's
/// queries sent in one prepared round trip. Cached as a whole under the tags of everything it shows; the featured creators active at render time are
/// shown, so a scheduled start or end appears within the cache's lifetime (Discovery:DistributedCacheSeconds).
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo, PageRenderer pages, TimeProvider clock)
    : EndpointWithoutRequest
{
    public const int TrendingCount = 8;
    public const int NewestCount = 12;

    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags =
        [DiscoveryCacheTags.Content, DiscoveryCacheTags.Trending, DiscoveryCacheTags.Featured, DiscoveryCacheTags.Categories];

    public override void Configure()
    {
        Get("/");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "The home page: trending, featured creators, categories, newest");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var baseUrl = seo.BaseUrl(HttpContext);
        var response = await cache.GetOrCreateAsync(
            $"site:home:{baseUrl}",
            (baseUrl, dataSource, pages, clock),
            static async (s, token) =>
            {
                var (trending, newest, schedule, categories) = await LoadAsync(s.dataSource, token);
                return await s.pages.RenderResponseAsync<HomePage>(new HomeModel(
                    s.baseUrl, trending.Items, FeaturedCreatorsQuery.Active(schedule, s.clock.GetUtcNow()), categories, newest.Items));
            },
            CacheTags,
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "page", HttpCaching.Lists, ct);
    }

    /// <summary>
    /// The page's four queries in one round trip, prepared (<see cref="PreparedBatch"/>): trending (24 h) and the newest
    /// (<see cref="FeedQuery.Statement"/>, neither filtered), the featured schedule and the categories.
    /// </summary>
    private static async Task<(FeedSlice Trending, FeedSlice Newest, FeaturedSchedule Schedule, IReadOnlyList<CategoryItem> Categories)> LoadAsync(
        NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var trending = new FeedQuery("trending", null, null, null, null, TrendingWindows.Day, null, TrendingCount);
        var newest = new FeedQuery("recent", null, null, null, null, TrendingWindows.Day, null, NewestCount);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { trending.Statement(), newest.Statement(), FeaturedCreatorsQuery.ScheduleStatement(), CategoriesQuery.Statement() },
        };
        await using var reader = await batch.ExecutePreparedAsync(ct);
        var trendingSlice = await trending.ReadSliceAsync(reader, ct);
        await reader.NextResultAsync(ct);
        var newestSlice = await newest.ReadSliceAsync(reader, ct);
        await reader.NextResultAsync(ct);
        var schedule = await FeaturedCreatorsQuery.ReadScheduleAsync(reader, ct);
        await reader.NextResultAsync(ct);
        return (trendingSlice, newestSlice, schedule, await CategoriesQuery.ReadAsync(reader, ct));
    }
}
