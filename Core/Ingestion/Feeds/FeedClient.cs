using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Platform.Core.Jobs;

namespace Platform.Core.Ingestion.Feeds;

/// <summary>
/// The result of a conditional GET: 304, or the body with its new validators, the URL it was finally read from (after
/// redirects: the base of relative links) and the Content-Type's <c>charset</c>, if any.
/// </summary>
public sealed record FeedResponse(bool NotModified, byte[] Body, string? ETag, string? LastModified, Uri? DocumentUrl = null, string? Charset = null);

/// <summary>The feed answered 404/410: it is gone.</summary>
public sealed class FeedGoneException(string message) : Exception(message);

/// <summary>The feed's server could not be reached or answered an error (transient: the queue retries); the message is safe to show.</summary>
public sealed class FeedUnavailableException(string message) : JobFailureException(message);

/// <summary>The feed did not answer in full (headers and body) within <see cref="IngestionOptions.FeedFetchTimeout"/>.</summary>
public sealed class FeedTimeoutException(TimeSpan deadline)
    : JobFailureException($"The feed did not answer in full within {deadline.TotalSeconds:0.#} s.");

/// <summary>
/// Fetches feeds with conditional GET (<c>If-None-Match</c> / <c>If-Modified-Since</c> echo the stored validators),
/// within one total deadline (<see cref="IngestionOptions.FeedFetchTimeout"/>, headers and body together).
/// </summary>
/// <exception cref="RefusedUrlException">The URL will never be fetched (see <see cref="SafeHttpHandler"/>).</exception>
/// <exception cref="FeedTimeoutException">The deadline passed.</exception>
/// <exception cref="FeedGoneException">404 or 410.</exception>
/// <exception cref="FeedTooComplexException">The body is larger than <see cref="MaxFeedBytes"/>.</exception>
public sealed class FeedClient(HttpClient http, IOptions<IngestionOptions> options)
{
    public const int MaxFeedBytes = 10 * 1024 * 1024;

    public async Task<FeedResponse> GetAsync(Uri url, string? etag, string? lastModified, CancellationToken cancellationToken)
    {
        RefusedUrlException.ThrowIfNotHttp(url);
        var deadline = options.Value.FeedFetchTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            return await FetchAsync(url, etag, lastModified, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new FeedTimeoutException(deadline);
        }
    }

    private async Task<FeedResponse> FetchAsync(Uri url, string? etag, string? lastModified, CancellationToken cancellationToken)
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

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return new FeedResponse(true, [], etag, lastModified);
        }

        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            throw new FeedGoneException($"The feed answers {(int)response.StatusCode}; check the URL.");
        }

        response.EnsureSuccessStatusCode();
        var body = await ReadBoundedAsync(response.Content, cancellationToken);
        return new FeedResponse(
            false, body, response.Headers.ETag?.ToString(), LastModified(response.Content.Headers),
            response.RequestMessage?.RequestUri ?? url, response.Content.Headers.ContentType?.CharSet);
    }

    /// <summary>The body, or <see cref="FeedTooComplexException"/> past <see cref="MaxFeedBytes"/> (decompressed).</summary>
    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxFeedBytes)
        {
            throw TooLarge();
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > MaxFeedBytes)
            {
                throw TooLarge();
            }

            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    private static FeedTooComplexException TooLarge() =>
        new($"The feed is larger than {MaxFeedBytes / (1024 * 1024)} MB; it is refused.");

    // Echoed back verbatim, as the server sent it.
    private static string? LastModified(HttpContentHeaders headers) =>
        headers.TryGetValues("Last-Modified", out var values) ? values.FirstOrDefault() : null;
}
