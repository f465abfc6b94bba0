using FastEndpoints;
using Npgsql;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.GetContent;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.ContentPage;

/// <summary>
/// <c>GET /c/{slug}</c>: the server-rendered page of a public item (404/410 page otherwise, 301 never: slugs do not
/// change), with up to <see cref="RelatedCount"/> more items of its creator and as many related ones (sharing its
/// tags, then its category). Cached, ETag.
/// </summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, PublicPageTags pageTags, SeoContext seo, PageRenderer pages) : EndpointWithoutRequest
{
    public const int RelatedCount = 6;

    /// <summary>Tags whose items are looked up for "related" (each one query on a cache miss).</summary>
    public const int MaxRelatedTags = 2;

    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    public override void Configure()
    {
        Get("/c/{slug}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "HTML page of a content item for crawlers and link previews");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var slug = Route<string>("slug", isRequired: false)?.ToLowerInvariant() ?? string.Empty;
        var baseUrl = seo.BaseUrl(HttpContext);
        if (slug.Length is 0 or > 120)
        {
            await SeoContext.WriteNotFoundAsync(HttpContext, "page", ct);
            return;
        }

        var response = await cache.GetOrCreateAsync(
            $"seo:c:{baseUrl}:{slug}",
            (slug, baseUrl, dataSource, pages),
            static async (s, token) => await LoadModelAsync(s.dataSource, s.slug, s.baseUrl, token) is { } model
                ? await s.pages.RenderResponseAsync<ContentPage>(model)
                : await PublicNames.MissAsync(s.dataSource, PublicNames.ContentSlug, s.slug, _ => string.Empty, token),
            await pageTags.ForItemAsync(slug, ct),
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "page", HttpCaching.Detail, ct);
    }

    /// <summary>
    /// The page's data in two round trips on one connection, both prepared (<see cref="PreparedBatch"/>): the item
    /// (with media), then its creator's newest and the newest of its first tag together. Its second tag and its
    /// category are asked for only while the related list is short, as before; null when the item is not public.
    /// </summary>
    private static async Task<ContentPageModel?> LoadModelAsync(NpgsqlDataSource dataSource, string slug, string baseUrl, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (await ContentDetailQuery.ExecuteAsync(connection, slug, ct) is not { } item)
        {
            return null;
        }

        var fromCreatorQuery = new FeedQuery("recent", null, null, null, item.Creator.Username, TrendingWindows.Day, null, RelatedCount + 1);
        // Related: the newest items sharing its tags (the first few, in order), then its category, until the list is full.
        var relatedQueries = item.Tags.Take(MaxRelatedTags).Select(tag => ((string?)null, (string?)tag))
            .Append((item.Category?.Slug, null)).Where(f => f.Item1 is not null || f.Item2 is not null)
            .Select(f => new FeedQuery("recent", f.Item1, f.Item2, null, null, TrendingWindows.Day, null, RelatedCount * 2 + 1))
            .ToList();
        var first = await FeedQuery.ExecuteBatchAsync(connection, [fromCreatorQuery, .. relatedQueries.Take(1)], ct);
        var fromCreator = first[0].Items.Where(c => c.Id != item.Id).Take(RelatedCount).ToList();
        var related = new List<ContentCard>();
        var seen = fromCreator.Select(c => c.Id).Append(item.Id).ToHashSet();
        for (var i = 0; i < relatedQueries.Count && related.Count < RelatedCount; i++)
        {
            var page = i == 0 ? first[1] : (await FeedQuery.ExecuteBatchAsync(connection, [relatedQueries[i]], ct))[0];
            related.AddRange(page.Items.Where(c => seen.Add(c.Id)).Take(RelatedCount - related.Count));
        }

        return new ContentPageModel(item, fromCreator, related, baseUrl);
    }
}
