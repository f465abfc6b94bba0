using Microsoft.Extensions.Options;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>What every page needs: the public origin (for canonical URLs) and the error pages (400, 404, 410; 429 and 5xx through <see cref="SitePageProblemWriter"/>) in the site layout.</summary>
public sealed class SeoContext(IOptions<DiscoveryOptions> options)
{
    public const string SiteName = "Creator Discovery";

    /// <summary>
    /// The configured public origin (<c>Discovery:PublicBaseUrl</c>, required outside Development, see
    /// <see cref="Platform.Api.Http.PublicHost"/>), else, in Development only, the request's. Outside Development the
    /// Host header therefore never reaches a page, a cache key or robots.txt.
    /// </summary>
    public string BaseUrl(HttpContext context) =>
        (options.Value.PublicBaseUrl ?? $"{context.Request.Scheme}://{context.Request.Host.Value}").TrimEnd('/');

    public static CachedResponse HtmlResponse(string html) =>
        CachedResponse.FromBytes(System.Text.Encoding.UTF8.GetBytes(html), "text/html; charset=utf-8");

    /// <summary>A real 404 page (status 404, noindex) for crawlers and people, instead of problem JSON.</summary>
    public static Task WriteNotFoundAsync(HttpContext context, string what, CancellationToken ct) =>
        WriteErrorPageAsync(context, StatusCodes.Status404NotFound, "Not found", $"This {what} does not exist or is not public.", "public, max-age=60", ct);

    /// <summary>410 page (noindex): the creator deleted it, so search engines drop it sooner than for a 404.</summary>
    public static Task WriteGoneAsync(HttpContext context, string what, CancellationToken ct) =>
        WriteErrorPageAsync(context, StatusCodes.Status410Gone, "Gone", $"This {what} was deleted by its creator.", "public, max-age=300", ct);

    /// <summary>400 page (noindex) for a malformed query (a cursor that does not parse, an unknown sort).</summary>
    public static Task WriteBadRequestAsync(HttpContext context, string sentence, CancellationToken ct) =>
        WriteErrorPageAsync(context, StatusCodes.Status400BadRequest, "Bad request", sentence, "no-store", ct);

    /// <summary>A noindex page in the site layout with <paramref name="title"/> as heading and <paramref name="sentence"/> (plain text) as its paragraph and description.</summary>
    internal static async Task WriteErrorPageAsync(HttpContext context, int status, string title, string sentence, string cacheControl, CancellationToken ct)
    {
        var services = context.RequestServices;
        var model = new ErrorPageModel(title, sentence, services.GetRequiredService<SeoContext>().BaseUrl(context));
        var html = await services.GetRequiredService<PageRenderer>()
            .RenderAsync<ErrorPage>(new Dictionary<string, object?> { ["Model"] = model });
        context.Response.StatusCode = status;
        HtmlSecurityHeaders.Apply(context);
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = cacheControl;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.WriteAsync(html, ct);
        }
    }

    public static async Task WriteAsync(HttpContext context, CachedResponse response, string what, string cacheControl, CancellationToken ct)
    {
        if (response.Status == StatusCodes.Status404NotFound)
        {
            await WriteNotFoundAsync(context, what, ct);
            return;
        }

        if (response.Status == StatusCodes.Status410Gone)
        {
            await WriteGoneAsync(context, what, ct);
            return;
        }

        HtmlSecurityHeaders.Apply(context);
        await HttpCaching.WriteAsync(context, response, cacheControl, ct); // 200, 304 or 301
    }
}

public sealed record ErrorPageModel(string Title, string Sentence, string BaseUrl);
