using System.Net;
using System.Net.Http.Headers;

namespace Platform.Workers.Ingestion.Feeds;

/// <summary>
/// The result of a conditional GET: 304, or the body with its new validators, the URL it was finally read from (after
/// redirects: the base of relative links) and the Content-Type's <c>charset</c>, if any.
/// </summary>
public sealed record FeedResponse(bool NotModified, byte[] Body, string? ETag, string? LastModified, Uri? DocumentUrl = null, string? Charset = null);

/// <summary>The feed answered 404/410: it is gone.</summary>
public sealed class FeedGoneException(string message) : Exception(message);

/// <summary>Fetches feeds with conditional GET (<c>If-None-Match</c> / <c>If-Modified-Since</c> echo the stored validators).</summary>
public sealed class FeedClient(HttpClient http)
{
    public const int MaxFeedBytes = 10 * 1024 * 1024;

    public async Task<FeedResponse> GetAsync(Uri url, string? etag, string? lastModified, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1");
        if (!string.IsNullOrEmpty(etag))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        if (!string.IsNullOrEmpty(lastModified))
        {
            request.Headers.TryAddWithoutValidation("If-Modified-Since", lastModified);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return new FeedResponse(true, [], etag, lastModified);
        }

        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            throw new FeedGoneException($"The feed {url} answers {(int)response.StatusCode}; check the URL.");
        }

        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return new FeedResponse(
            false, body, response.Headers.ETag?.ToString(), LastModified(response.Content.Headers),
            response.RequestMessage?.RequestUri ?? url, response.Content.Headers.ContentType?.CharSet);
    }

    // Echoed back verbatim, as the server sent it.
    private static string? LastModified(HttpContentHeaders headers) =>
        headers.TryGetValues("Last-Modified", out var values) ? values.FirstOrDefault() : null;
}
