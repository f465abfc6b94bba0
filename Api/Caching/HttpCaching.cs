using FastEndpoints;
using Microsoft.Net.Http.Headers;
using Platform.Api.Http;

namespace Platform.Api.Caching;

/// <summary>Cache-Control profiles of the public API and the conditional-GET answer (ETag, 304).</summary>
public static class HttpCaching
{
    /// <summary>Lists that change often (feed, trending, search): short browser life, longer at a CDN, served stale while it refetches.</summary>
    public const string Lists = "public, max-age=30, s-maxage=60, stale-while-revalidate=120, stale-if-error=600";

    /// <summary>One item or profile.</summary>
    public const string Detail = "public, max-age=60, s-maxage=300, stale-while-revalidate=600, stale-if-error=3600";

    /// <summary>Reference data that rarely changes (categories, sitemaps).</summary>
    public const string Reference = "public, max-age=300, s-maxage=3600, stale-while-revalidate=3600, stale-if-error=86400";

    /// <summary>
    /// Declares in the OpenAPI document what every endpoint answering through <see cref="WriteAsync"/> can answer
    /// besides its 200: 304 Not Modified (the request's <c>If-None-Match</c> matched the ETag; RFC 9110 §15.4.5, no
    /// body) and 429 Too Many Requests (the public rate limit, a problem detail with <c>Retry-After</c>).
    /// </summary>
    public static RouteHandlerBuilder ProducesConditionalAndRateLimited(this RouteHandlerBuilder builder) =>
        builder.Produces(StatusCodes.Status304NotModified).ProducesProblemDetails(StatusCodes.Status429TooManyRequests);

    /// <summary>Writes <paramref name="response"/> with its ETag, or 304 when the client already has it; 404 for a cached miss.</summary>
    public static async Task WriteAsync(HttpContext context, CachedResponse response, string cacheControl, CancellationToken ct)
    {
        var http = context.Response;
        if (response.Status == StatusCodes.Status404NotFound)
        {
            http.Headers.CacheControl = "public, max-age=30";
            await Problems.NotFoundAsync(context);
            return;
        }

        if (response.Status == StatusCodes.Status301MovedPermanently)
        {
            http.Headers.CacheControl = "public, max-age=300";
            http.Headers.Location = response.Location;
            http.StatusCode = response.Status;
            await http.StartAsync(ct);
            return;
        }

        if (response.Status == StatusCodes.Status410Gone)
        {
            http.Headers.CacheControl = "public, max-age=300";
            await Problems.WriteAsync(context, StatusCodes.Status410Gone, "Gone", "This was deleted by its creator.");
            return;
        }

        http.Headers.CacheControl = cacheControl;
        http.Headers.ETag = response.ETag;
        http.Headers.Vary = "Accept-Encoding";
        if (Matches(context.Request.Headers.IfNoneMatch, response.ETag))
        {
            http.StatusCode = StatusCodes.Status304NotModified;
            await http.StartAsync(ct); // started: FastEndpoints leaves it as is (it would answer 204 otherwise)
            return;
        }

        http.StatusCode = response.Status;
        http.ContentType = response.ContentType;
        http.ContentLength = response.Body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await http.Body.WriteAsync(response.Body, ct);
        }
    }

    /// <summary>RFC 9110 weak comparison of <c>If-None-Match</c> (a list, <c>W/</c> prefixes, or <c>*</c>) with our ETag.</summary>
    public static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Count == 0 || etag.Length == 0)
        {
            return false;
        }

        if (!EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags))
        {
            return false;
        }

        var ours = new EntityTagHeaderValue(etag);
        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(ours, useStrongComparison: false));
    }
}
