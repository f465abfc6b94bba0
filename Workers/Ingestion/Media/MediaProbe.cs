using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Platform.Core.Ingestion;

namespace Platform.Workers.Ingestion.Media;

/// <summary>What a check found: <see cref="Dead"/> is null when it could not tell (timeouts, 5xx): nothing is recorded then.</summary>
public sealed record MediaCheck(bool? Dead, string? ContentType = null, int? Width = null, int? Height = null, long? ByteSize = null)
{
    public static readonly MediaCheck Unknown = new((bool?)null);
}

/// <summary>
/// Checks a media URL: HEAD first; a ranged GET (first 64 KB) when HEAD is refused, and for images whose size is not
/// known yet (the dimensions are read from the image header). 404/410, unknown hosts and refused addresses (see
/// <see cref="SafeHttpHandler"/>) are dead. One check has a total deadline (<see cref="IngestionOptions.MediaFetchTimeout"/>,
/// headers and body together); past it the check could not tell.
/// </summary>
public sealed class MediaProbe(HttpClient http, IOptions<IngestionOptions> options)
{
    public const int HeaderBytes = 64 * 1024;

    public async Task<MediaCheck> CheckAsync(string url, bool needDimensions, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return new MediaCheck(true);
        }

        var callerToken = cancellationToken;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        deadline.CancelAfter(options.Value.MediaFetchTimeout);
        cancellationToken = deadline.Token;
        try
        {
            using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, uri), HttpCompletionOption.ResponseHeadersRead, cancellationToken))
            {
                if (head.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                {
                    return new MediaCheck(true);
                }

                var type = head.Content.Headers.ContentType?.MediaType;
                if (head.IsSuccessStatusCode && !(needDimensions && type?.StartsWith("image/", StringComparison.Ordinal) == true))
                {
                    return new MediaCheck(false, type, ByteSize: head.Content.Headers.ContentLength);
                }

                if (!head.IsSuccessStatusCode && head.StatusCode is not (HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented or HttpStatusCode.Forbidden))
                {
                    return MediaCheck.Unknown;
                }
            }

            return await RangedGetAsync(uri, cancellationToken);
        }
        catch (HttpRequestException error) when (RefusedUrlException.Find(error) is not null
            || error.InnerException is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData })
        {
            return new MediaCheck(true);
        }
        catch (Exception error) when (error is HttpRequestException or OperationCanceledException or IOException && !callerToken.IsCancellationRequested)
        {
            return MediaCheck.Unknown;
        }
    }

    private async Task<MediaCheck> RangedGetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, HeaderBytes - 1);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return new MediaCheck(true);
        }

        if (!response.IsSuccessStatusCode)
        {
            return MediaCheck.Unknown;
        }

        var type = response.Content.Headers.ContentType?.MediaType;
        var size = response.Content.Headers.ContentRange?.Length ?? (response.StatusCode == HttpStatusCode.OK ? response.Content.Headers.ContentLength : null);
        var buffer = new byte[HeaderBytes];
        var read = 0;
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            {
                read += n;
            }
        }

        return ImageHeader.TryReadSize(buffer.AsSpan(0, read), out var width, out var height)
            ? new MediaCheck(false, type, width, height, size)
            : new MediaCheck(false, type, ByteSize: size);
    }
}
