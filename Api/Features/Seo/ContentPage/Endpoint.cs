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
            static async (s, token) => await ContentDetailQuery.ExecuteAsync(s.dataSource, s.slug, token) is { } item
                ? await s.pages.RenderResponseAsync<ContentPage>(await LoadModelAsync(s.dataSource, item, s.baseUrl, token))
                : await PublicNames.MissAsync(s.dataSource, PublicNames.ContentSlug, s.slug, _ => string.Empty, token),
            await pageTags.ForItemAsync(slug, ct),
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "page", HttpCaching.Detail, ct);
    }

    private static async Task<ContentPageModel> LoadModelAsync(NpgsqlDataSource dataSource, Response item, string baseUrl, CancellationToken ct)
    {
        var fromCreator = (await new FeedQuery("recent", null, null, null, item.Creator.Username, TrendingWindows.Day, null, RelatedCount + 1)
                .ExecuteAsync(dataSource, ct))
            .Items.Where(c => c.Id != item.Id).Take(RelatedCount).ToList();
        // Related: the newest items sharing its tags (the first few, in order), then its category, until the list is full.
        var related = new List<ContentCard>();
        var seen = fromCreator.Select(c => c.Id).Append(item.Id).ToHashSet();
        var filters = item.Tags.Take(MaxRelatedTags).Select(tag => ((string?)null, (string?)tag))
            .Append((item.Category?.Slug, null)).Where(f => f.Item1 is not null || f.Item2 is not null);
        foreach (var (category, tag) in filters)
        {
            if (related.Count >= RelatedCount)
            {
                break;
            }

            var page = await new FeedQuery("recent", category, tag, null, null, TrendingWindows.Day, null, RelatedCount * 2 + 1)
                .ExecuteAsync(dataSource, ct);
            related.AddRange(page.Items.Where(c => seen.Add(c.Id)).Take(RelatedCount - related.Count));
        }

        return new ContentPageModel(item, fromCreator, related, baseUrl);
    }
}
