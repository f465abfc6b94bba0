using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.ListCategories;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// What a list page is about (found on a cache miss): the feed filter (<see cref="Category"/> slug or <see cref="Tag"/>),
/// the heading, an optional intro paragraph, the phrase that finishes "Newest videos and posts …" in the description
/// when there is no intro (<see cref="Topic"/>: "about Cooking", "tagged sourdough"), the page's path and the other
/// categories to link below the list.
/// </summary>
public sealed record ListingSubject(
    string? Category,
    string? Tag,
    string Heading,
    string? Intro,
    string Topic,
    string BasePath,
    IReadOnlyList<CategoryItem> OtherCategories);

/// <summary>
/// The one flow of a browsable list page (<c>/category/{slug}</c>, <c>/tag/{tag}</c>): a malformed key → 404 page;
/// <see cref="ListingPaging"/> (<c>?sort=</c>, <c>?cursor=</c>, <c>?before=</c>) → 400 page when bad; then the page
/// from <see cref="PublicCache"/> under the JSON feed's cache tags, or on a miss the subject (<see cref="FindAsync"/>,
/// null → 404 page), one keyset slice of <see cref="ListingPaging.PageSize"/> and <see cref="ListingPage"/> rendered;
/// written with ETag and <see cref="HttpCaching.Lists"/>. Titles: "{heading}: {sort} videos and posts – site".
/// </summary>
public abstract class ListingPageEndpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo, PageRenderer pages)
    : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    /// <summary>The route (<c>/category/{slug}</c>): GET, anonymous, the public rate limit, HTML or 304.</summary>
    protected abstract string RoutePattern { get; }

    /// <summary>The OpenAPI summary.</summary>
    protected abstract string SummaryText { get; }

    /// <summary>The page's kind ("category", "tag"): part of its cache key and the 404 page's sentence.</summary>
    protected abstract string What { get; }

    /// <summary>The requested key normalized (lowercase, trimmed), or null when it cannot name a page (→ 404 page).</summary>
    protected abstract string? RequestedKey();

    /// <summary>The cache tags of a page in <paramref name="sort"/> (the JSON feed's for the same filter).</summary>
    protected abstract string[] CacheTags(string sort);

    /// <summary>The subject named by <paramref name="key"/>, or null (→ 404 page).</summary>
    protected abstract Task<ListingSubject?> FindAsync(NpgsqlDataSource dataSource, string key, CancellationToken ct);

    /// <summary>
    /// Asked only when page 1 of a sort is empty: whether the subject is a page at all (true: an empty list, e.g.
    /// nothing trending; false: a 404 page, so no soft 404s).
    /// </summary>
    protected virtual Task<bool> ExistsWhenEmptyAsync(NpgsqlDataSource dataSource, ListingSubject subject, CancellationToken ct) =>
        Task.FromResult(true);

    public override void Configure()
    {
        Get(RoutePattern);
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = SummaryText);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        if (RequestedKey() is not { } key)
        {
            await SeoContext.WriteNotFoundAsync(HttpContext, What, ct);
            return;
        }

        if (ListingPaging.Parse(HttpContext.Request, out var error) is not { } paging)
        {
            await SeoContext.WriteBadRequestAsync(HttpContext, error!, ct);
            return;
        }

        var baseUrl = seo.BaseUrl(HttpContext);
        var response = await cache.GetOrCreateAsync(
            $"site:{What}:{baseUrl}:{paging.Key}:{key}", // the key last: a tag may contain ':'
            (endpoint: this, key, baseUrl, paging),
            static (s, token) => s.endpoint.RenderAsync(s.key, s.baseUrl, s.paging, token),
            CacheTags(paging.Sort),
            ct);
        await SeoContext.WriteAsync(HttpContext, response, What, HttpCaching.Lists, ct);
    }

    private async ValueTask<CachedResponse> RenderAsync(string key, string baseUrl, ListingPaging paging, CancellationToken ct)
    {
        if (await FindAsync(dataSource, key, ct) is not { } subject)
        {
            return CachedResponse.NotFound();
        }

        var slice = await paging.Query(subject.Category, subject.Tag, null).ExecuteSliceAsync(dataSource, ct);
        if (slice.Items.Count == 0 && paging.Cursor is null && !await ExistsWhenEmptyAsync(dataSource, subject, ct))
        {
            return CachedResponse.NotFound();
        }

        var (prev, next) = paging.Links(subject.BasePath, slice);
        return await pages.RenderResponseAsync<ListingPage>(new ListingModel(
            baseUrl,
            $"{subject.Heading}: {paging.SortLabel.ToLowerInvariant()} videos and posts – {SeoContext.SiteName}",
            Html.Summary(subject.Intro ?? $"{paging.SortLabel} videos and posts {subject.Topic} from creators on {SeoContext.SiteName}."),
            subject.Heading,
            subject.Intro,
            subject.BasePath,
            paging.Self(subject.BasePath, slice),
            paging.Sort,
            slice.Items,
            prev,
            next,
            [new Crumb("Home", "/"), new Crumb(subject.Heading, subject.BasePath)],
            subject.OtherCategories));
    }
}
