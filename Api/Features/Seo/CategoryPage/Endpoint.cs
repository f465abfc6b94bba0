using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.ListCategories;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.CategoryPage;

/// <summary>
/// <c>GET /category/{slug}</c>: a category's newest, popular or trending content (<see cref="ListingPageEndpoint"/>),
/// 24 a page, the other categories below; unknown category → 404 page (a known one with nothing in the chosen sort
/// shows an empty list), bad paging → 400 page. Cached and invalidated like the JSON feed (same query, same tags).
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo, PageRenderer pages)
    : ListingPageEndpoint(anonymous, cache, seo, pages)
{
    private static readonly string[] RecentTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Categories];
    private static readonly string[] RankedTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Categories, DiscoveryCacheTags.Trending];

    protected override string RoutePattern => "/category/{slug}";

    protected override string SummaryText => "HTML page of a category: newest, popular or trending content, keyset-paginated";

    protected override string What => "category";

    protected override string? RequestedKey() =>
        Route<string>("slug", isRequired: false)?.Trim().ToLowerInvariant() is { Length: > 0 and <= 100 } slug ? slug : null;

    protected override string[] CacheTags(string sort) => sort == "recent" ? RecentTags : RankedTags;

    protected override async Task<ListingSubject?> FindAsync(NpgsqlDataSource dataSource, string key, CancellationToken ct)
    {
        var categories = await CategoriesQuery.ExecuteAsync(dataSource, ct);
        return categories.FirstOrDefault(c => c.Slug == key) is { } category
            ? new ListingSubject(
                category.Slug, null, category.Name, category.Description, $"about {category.Name}", Html.CategoryPath(category.Slug),
                categories.Where(c => c.Slug != category.Slug).ToList())
            : null;
    }
}
