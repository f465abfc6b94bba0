using Microsoft.Net.Http.Headers;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// Writes the problem details of a failed site page (database outage 503, rate limit 429, unexpected 500, 405) as the
/// site's error page in its layout (noindex, <c>Cache-Control: no-store</c>, the status and headers such as
/// <c>Retry-After</c> unchanged) when a browser or crawler asks for HTML: a <c>GET</c>/<c>HEAD</c> outside the JSON and
/// machine paths (<see cref="MachinePaths"/>) whose <c>Accept</c> names <c>text/html</c> (RFC 9110 §12.5.1). Every
/// other request keeps RFC 9457 problem details from ASP.NET Core's default writer, which runs after this one.
/// </summary>
public sealed class SitePageProblemWriter : IProblemDetailsWriter
{
    /// <summary>Paths whose errors stay problem details whatever the client accepts.</summary>
    public static readonly PathString[] MachinePaths = ["/api", "/webhooks", "/swagger", "/health", "/alive"];

    public bool CanWrite(ProblemDetailsContext context) => IsPageRequest(context.HttpContext.Request);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var status = context.ProblemDetails.Status ?? http.Response.StatusCode;
        var (title, sentence) = status switch
        {
            StatusCodes.Status503ServiceUnavailable =>
                ("Temporarily unavailable", "This page cannot be loaded right now. Please try again in a few seconds."),
            StatusCodes.Status429TooManyRequests =>
                ("Too many requests", "You opened many pages in a short time. Please wait a few seconds and try again."),
            >= 500 => ("Something went wrong", "This page could not be shown. Please try again later."),
            _ => (context.ProblemDetails.Title ?? "Error", context.ProblemDetails.Detail ?? "This request could not be answered."),
        };
        return new ValueTask(SeoContext.WriteErrorPageAsync(http, status, title, sentence, "no-store", http.RequestAborted));
    }

    /// <summary>A <c>GET</c>/<c>HEAD</c> of a site path whose <c>Accept</c> lists <c>text/html</c> with a non-zero quality.</summary>
    public static bool IsPageRequest(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return false;
        }

        foreach (var path in MachinePaths)
        {
            if (request.Path.StartsWithSegments(path, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
            && accepted.Any(type => type.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase) && type.Quality is not 0);
    }
}
