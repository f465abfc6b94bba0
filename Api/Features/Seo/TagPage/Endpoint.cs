using FastEndpoints;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.TagPage;

/// <summary>
/// <c>GET /tag/{tag}</c>: content with a tag (content_tag, compared lowercase), newest, popular or trending
/// (<see cref="ListingPaging"/>), 24 a page; a tag no public item has → 404 page (a used tag
/// with nothing in the chosen sort, e.g. nothing trending, shows an empty list), bad paging → 400 page. Cached and
/// invalidated like the JSON feed (same query, same tags).
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo, PageRenderer pages) : EndpointWithoutRequest
{
    /// <summary>Longest tag accepted (the JSON feed's limit).</summary>
    public const int MaxTagLength = 100;

    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] RecentTags = [DiscoveryCacheTags.Content];
    private static readonly string[] RankedTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Trending];

    public override void Configure()
    {
        Get("/tag/{tag}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "HTML page of a tag: newest, popular or trending content, keyset-paginated");
    }

    /// <summary>
    /// The tag as <see cref="Html.TagPath"/> wrote it. Kestrel decodes the path but leaves <c>%2F</c> as is (so an
    /// encoded slash cannot become a segment separator), which makes the route value of <c>ac%2Fdc</c> the text
    /// "ac%2Fdc" and also that of <c>ac%252Fdc</c>: the one segment is decoded from the raw request target instead.
    /// </summary>
    public static string RequestedTag(HttpContext context)
    {
        const string prefix = "/tag/";
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is not null && raw.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            var end = raw.IndexOf('?');
            var segment = raw[prefix.Length..(end < 0 ? raw.Length : end)];
            if (!segment.Contains('/'))
            {
                return Uri.UnescapeDataString(segment);
            }
        }

        return context.Request.RouteValues["tag"] as string ?? string.Empty;
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var tag = RequestedTag(HttpContext).Trim().ToLowerInvariant(); // unstorable text was refused (StorableTextMiddleware)
        if (tag.Length is 0 or > MaxTagLength || Html.TagPath(tag) is null)
        {
            await SeoContext.WriteNotFoundAsync(HttpContext, "tag", ct);
            return;
        }

        if (ListingPaging.Parse(HttpContext.Request, out var error) is not { } paging)
        {
            await SeoContext.WriteBadRequestAsync(HttpContext, error!, ct);
            return;
        }

        var baseUrl = seo.BaseUrl(HttpContext);
        var response = await cache.GetOrCreateAsync(
            $"site:tag:{baseUrl}:{paging.Key}:{tag}",
            (tag, baseUrl, paging, dataSource, pages),
            static async (s, token) =>
            {
                var slice = await s.paging.Query(null, s.tag, null).ExecuteSliceAsync(s.dataSource, token);
                if (slice.Items.Count == 0 && s.paging.Cursor is null && !await IsUsedAsync(s.dataSource, s.tag, token))
                {
                    return CachedResponse.NotFound(); // no soft 404s: a tag nobody uses is not a page
                }

                var basePath = Html.TagPath(s.tag)!;
                var (prev, next) = s.paging.Links(basePath, slice);
                var sortName = s.paging.Sort switch { "popular" => "popular", "trending" => "trending", _ => "newest" };
                return await s.pages.RenderResponseAsync<ListingPage>(new ListingModel(
                    s.baseUrl,
                    $"#{s.tag}: {sortName} videos and posts – {SeoContext.SiteName}",
                    Html.Summary($"The {sortName} videos and posts tagged {s.tag} on {SeoContext.SiteName}."),
                    "#" + s.tag,
                    null,
                    basePath,
                    s.paging.Self(basePath, slice),
                    s.paging.Sort,
                    slice.Items,
                    prev,
                    next,
                    [new Crumb("Home", "/"), new Crumb("#" + s.tag, basePath)],
                    []));
            },
            paging.Sort == "recent" ? RecentTags : RankedTags,
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "tag", HttpCaching.Lists, ct);
    }

    /// <summary>Whether any public item has the tag (a used tag with nothing trending is an empty list, not a 404).</summary>
    private static async Task<bool> IsUsedAsync(NpgsqlDataSource dataSource, string tag, CancellationToken ct) =>
        (await new FeedQuery("recent", null, tag, null, null, TrendingWindows.Day, null, 1).ExecuteAsync(dataSource, ct)).Items.Count > 0;
}
