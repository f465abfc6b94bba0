using FastEndpoints;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.Sitemap;

/// <summary><c>GET /sitemap.xml</c>: a sitemap index of the content and creator shards and the category and tag files, each with its lastmod.</summary>
public sealed class IndexEndpoint(SitemapPlanner planner, SeoContext seo) : EndpointWithoutRequest
{
    public override void Configure()
    {
        Get("/sitemap.xml");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(DiscoveryServiceExtensions.PublicRateLimitPolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "application/xml").ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "Sitemap index (sitemaps.org): one entry per shard of public pages");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var baseUrl = seo.BaseUrl(HttpContext);
        var entries = new List<(string, DateTimeOffset)>();
        foreach (var kind in SitemapPlanner.Kinds)
        {
            var plan = await planner.GetAsync(kind, ct);
            entries.AddRange(plan.Shards.Select(s => ($"{baseUrl}/sitemaps/{kind}-{s.Index + 1}.xml", s.LastModified)));
        }

        var response = CachedResponse.FromBytes(SitemapWriter.Index(entries), "application/xml; charset=utf-8");
        await HttpCaching.WriteAsync(HttpContext, response, HttpCaching.Reference, ct);
    }
}
