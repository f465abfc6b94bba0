using Platform.Api.Features.Seo.Shared;
using Platform.Api.Features.Seo.Sitemap;

namespace Platform.Api.Features.Seo;

public static class SeoServiceExtensions
{
    /// <summary>Server-rendered pages and sitemaps (needs <c>AddDiscovery</c>: cache, options, rate limit).</summary>
    public static WebApplicationBuilder AddSeo(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SeoContext>();
        builder.Services.AddSingleton<SitemapPlanner>();
        return builder;
    }
}
