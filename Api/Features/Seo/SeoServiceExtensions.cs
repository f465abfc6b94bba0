using Platform.Api.Features.Seo.Shared;
using Platform.Api.Features.Seo.Sitemap;

namespace Platform.Api.Features.Seo;

public static class SeoServiceExtensions
{
    /// <summary>Server-rendered pages and sitemaps (needs <c>AddDiscovery</c>: cache, options, rate limit).</summary>
    public static WebApplicationBuilder AddSeo(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SeoContext>();
        builder.Services.AddSingleton<PageRenderer>();
        builder.Services.AddSingleton<SitemapPlanner>();
        // First of the problem-details writers (the service asks each in registration order, and AddProblemDetails
        // registered the default JSON writer already): a browser's failed page is the site's error page.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, SitePageProblemWriter>());
        return builder;
    }

    /// <summary>
    /// Any other <c>GET</c>/<c>HEAD</c> outside <c>/api/</c> answers the site's 404 page (in the layout, noindex);
    /// under <c>/api/</c> it stays a problem-details 404. Lowest route order, so every real route wins.
    /// </summary>
    public static WebApplication MapSiteNotFound(this WebApplication app)
    {
        app.MapMethods("/{**path}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) =>
                context.Request.Path.StartsWithSegments("/api")
                    ? Platform.Api.Http.Problems.NotFoundAsync(context)
                    : SeoContext.WriteNotFoundAsync(context, "page", context.RequestAborted))
            .WithOrder(int.MaxValue)
            .ExcludeFromDescription()
            .RequireRateLimiting(Discovery.DiscoveryServiceExtensions.PublicRateLimitPolicy);
        return app;
    }
}
