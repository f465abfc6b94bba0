using FastEndpoints;
using Npgsql;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.ListCategories;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.CategoryPage;

/// <summary>
/// <c>GET /category/{slug}</c>: a category's newest, popular or trending content (<see cref="ListingPaging"/>:
/// <c>?sort=</c>, <c>?cursor=</c>, <c>?before=</c>), 24 a page; unknown category → 404 page, bad paging → 400 page.
/// Cached and invalidated like the JSON feed (same query, same tags).
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo, PageRenderer pages) : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] RecentTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Categories];
    private static readonly string[] RankedTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Categories, DiscoveryCacheTags.Trending];

    public override void Configure()
    {
        Get("/category/{slug}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "HTML page of a category: newest, popular or trending content, keyset-paginated");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var slug = Route<string>("slug", isRequired: false)?.Trim().ToLowerInvariant() ?? string.Empty;
        if (slug.Length is 0 or > 100)
        {
            await SeoContext.WriteNotFoundAsync(HttpContext, "category", ct);
            return;
        }

        if (ListingPaging.Parse(HttpContext.Request, out var error) is not { } paging)
        {
            await SeoContext.WriteBadRequestAsync(HttpContext, error!, ct);
            return;
        }

        var baseUrl = seo.BaseUrl(HttpContext);
        var response = await cache.GetOrCreateAsync(
            $"site:category:{baseUrl}:{slug}:{paging.Key}",
            (slug, baseUrl, paging, dataSource, pages),
            static async (s, token) =>
            {
                var categories = await CategoriesQuery.ExecuteAsync(s.dataSource, token);
                if (categories.FirstOrDefault(c => c.Slug == s.slug) is not { } category)
                {
                    return CachedResponse.NotFound();
                }

                var slice = await s.paging.Query(category.Slug, null, null).ExecuteSliceAsync(s.dataSource, token);
                var basePath = Html.CategoryPath(category.Slug);
                var (prev, next) = s.paging.Links(basePath, slice);
                var sortName = s.paging.Sort switch { "popular" => "Popular", "trending" => "Trending", _ => "Newest" };
                return await s.pages.RenderResponseAsync<ListingPage>(new ListingModel(
                    s.baseUrl,
                    $"{category.Name}: {sortName.ToLowerInvariant()} videos and posts – {SeoContext.SiteName}",
                    Html.Summary(category.Description ?? $"{sortName} videos and posts about {category.Name} from creators on {SeoContext.SiteName}."),
                    category.Name,
                    category.Description,
                    basePath,
                    s.paging.Self(basePath, slice),
                    s.paging.Sort,
                    slice.Items,
                    prev,
                    next,
                    [new Crumb("Home", "/"), new Crumb(category.Name, basePath)],
                    categories.Where(c => c.Slug != category.Slug).ToList()));
            },
            paging.Sort == "recent" ? RecentTags : RankedTags,
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "category", HttpCaching.Lists, ct);
    }
}
