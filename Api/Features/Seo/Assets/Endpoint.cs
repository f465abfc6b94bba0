using FastEndpoints;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo.Shared;
using Platform.Api.Http;

namespace Platform.Api.Features.Seo.Assets;

/// <summary>
/// <c>GET /assets/{file}</c>: the site's style sheet and share image under their content-hashed names
/// (<see cref="SiteAssets"/>), cached for a year as immutable; any other name (an old hash) → 404.
/// </summary>
public sealed class Endpoint : EndpointWithoutRequest
{
    public override void Configure()
    {
        Get("/assets/{file}");
        AllowAnonymous();
        Options(x => x.RequireRateLimiting(RateLimits.ProbePolicy));
        Description(d => d.WithTags("Seo").Produces(200, contentType: "text/css").ProducesProblemDetails(404).ProducesConditionalAndRateLimited());
        Summary(s => s.Summary = "The site's content-hashed static files (style sheet, share image)");
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        if (SiteAssets.Find(HttpContext.Request.Path.Value ?? string.Empty) is not { } asset)
        {
            await Problems.NotFoundAsync(HttpContext, "No such asset (the name carries the content's hash).");
            return;
        }

        var http = HttpContext.Response;
        http.Headers.CacheControl = SiteAssets.ImmutableCacheControl;
        http.Headers.ETag = asset.ETag;
        http.Headers.XContentTypeOptions = "nosniff";
        if (HttpCaching.Matches(HttpContext.Request.Headers.IfNoneMatch, asset.ETag))
        {
            http.StatusCode = StatusCodes.Status304NotModified;
            await http.StartAsync(ct);
            return;
        }

        http.ContentType = asset.ContentType;
        http.ContentLength = asset.Body.Length;
        if (!HttpMethods.IsHead(HttpContext.Request.Method))
        {
            await http.Body.WriteAsync(asset.Body, ct);
        }
    }
}
