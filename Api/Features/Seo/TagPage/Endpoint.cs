using FastEndpoints;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.TagPage;

/// <summary>
/// <c>GET /tag/{tag}</c>: content with a tag (content_tag, compared lowercase), newest, popular or trending
/// (<see cref="ListingPageEndpoint"/>), 24 a page; a tag no public item has → 404 page (a used tag
/// with nothing in the chosen sort, e.g. nothing trending, shows an empty list), bad paging → 400 page. Cached and
/// invalidated like the JSON feed (same query, same tags).
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo, PageRenderer pages)
    : ListingPageEndpoint(anonymous, cache, seo, pages)
{
    /// <summary>Longest tag accepted (the JSON feed's limit).</summary>
    public const int MaxTagLength = 100;

    private static readonly string[] RecentTags = [DiscoveryCacheTags.Content];
    private static readonly string[] RankedTags = [DiscoveryCacheTags.Content, DiscoveryCacheTags.Trending];

    protected override string RoutePattern => "/tag/{tag}";

    protected override string SummaryText => "HTML page of a tag: newest, popular or trending content, keyset-paginated";

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

    protected override string What => "tag";

    protected override string? RequestedKey()
    {
        var tag = RequestedTag(HttpContext).Trim().ToLowerInvariant(); // unstorable text was refused (StorableTextMiddleware)
        return tag.Length is 0 or > MaxTagLength || Html.TagPath(tag) is null ? null : tag;
    }

    protected override string[] CacheTags(string sort) => sort == "recent" ? RecentTags : RankedTags;

    protected override Task<ListingSubject?> FindAsync(NpgsqlDataSource dataSource, string key, CancellationToken ct) =>
        Task.FromResult<ListingSubject?>(new ListingSubject(null, key, "#" + key, null, "tagged " + key, Html.TagPath(key)!, []));

    protected override Task<bool> ExistsWhenEmptyAsync(NpgsqlDataSource dataSource, ListingSubject subject, CancellationToken ct) =>
        IsUsedAsync(dataSource, subject.Tag!, ct);

    /// <summary>Whether any public item has the tag (a used tag with nothing trending is an empty list, not a 404).</summary>
    private static async Task<bool> IsUsedAsync(NpgsqlDataSource dataSource, string tag, CancellationToken ct) =>
        (await new FeedQuery("recent", null, tag, null, null, TrendingWindows.Day, null, 1).ExecuteAsync(dataSource, ct)).Items.Count > 0;
}
