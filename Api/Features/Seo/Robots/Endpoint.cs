using FastEndpoints;
using Platform.Api.Http;
using Platform.Api.Features.Seo.Shared;

namespace Platform.Api.Features.Seo.Robots;

/// <summary><c>GET /robots.txt</c>: pages open to crawlers, the JSON API and admin closed, and where the sitemap is.</summary>
public sealed class Endpoint(SeoContext seo) : EndpointWithoutRequest
{
    public override void Configure()
    {
        Get("/robots.txt");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(RateLimits.ProbePolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/plain").ProducesProblemDetails(429));
        Summary(s => s.Summary = "robots.txt: what crawlers may fetch and where the sitemap is");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var text = $"""
            User-agent: *
            Allow: /c/
            Allow: /@
            Disallow: /api/
            Disallow: /swagger

            Sitemap: {seo.BaseUrl(HttpContext)}/sitemap.xml

            """;
        HttpContext.Response.Headers.CacheControl = "public, max-age=3600";
        await Send.StringAsync(text, contentType: "text/plain; charset=utf-8", cancellation: ct);
    }
}
