using FastEndpoints;
using Npgsql;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.GetContent;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Core.Discovery;

namespace Platform.Api.Features.Seo.ContentPage;

/// <summary><c>GET /c/{slug}</c>: the server-rendered page of a public item (404 page otherwise). Cached, ETag.</summary>
public sealed class Endpoint(AnonymousDataSource anonymous, PublicCache cache, SeoContext seo) : EndpointWithoutRequest
{
    private readonly NpgsqlDataSource dataSource = anonymous.DataSource;

    private static readonly string[] CacheTags = [DiscoveryCacheTags.Content];

    public override void Configure()
    {
        Get("/c/{slug}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/html").ProducesProblemDetails(429));
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
            (slug, baseUrl, dataSource),
            static async (s, token) => await ContentDetailQuery.ExecuteAsync(s.dataSource, s.slug, token) is { } item
                ? SeoContext.HtmlResponse(ContentPageRenderer.Render(item, s.baseUrl))
                : await PublicNames.MissAsync(s.dataSource, PublicNames.ContentSlug, s.slug, _ => string.Empty, token),
            CacheTags,
            ct);
        await SeoContext.WriteAsync(HttpContext, response, "page", HttpCaching.Detail, ct);
    }
}
