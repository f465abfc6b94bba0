using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.TestSupport;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>
/// A document the fake serves, with the validators it answers conditional GETs with. <paramref name="Bytes"/>, when set,
/// is sent instead of <paramref name="Body"/> (other encodings than UTF-8); <paramref name="Location"/> makes the answer
/// a redirect (<paramref name="Status"/> 301/302/307/308). <paramref name="ContentType"/> is sent verbatim (charset included).
/// </summary>
public sealed record FakeDocument(
    string Body, string ContentType, string? ETag = null, string? LastModified = null, int Status = 200, byte[]? Bytes = null, string? Location = null);

/// <summary>
/// A web server on Kestrel (127.0.0.1, a free port) serving feeds and images as a real origin does: ETag and
/// Last-Modified, 304 to a matching If-None-Match / If-Modified-Since, HEAD, and Range requests (206).
/// </summary>
public sealed class FakeFeedServer : IAsyncDisposable
{
    private FakeHttpServer server = null!;

    private FakeFeedServer()
    {
    }

    public string BaseUrl { get; private set; } = string.Empty;

    public ConcurrentDictionary<string, FakeDocument> Documents { get; } = new();

    public ConcurrentDictionary<string, byte[]> Binaries { get; } = new();

    /// <summary>Method, path and the conditional/range headers of every request.</summary>
    public ConcurrentQueue<(string Method, string Path, string? IfNoneMatch, string? IfModifiedSince, string? Range)> Requests { get; } = new();

    /// <summary>Documents sent one byte a second (a server that drips its answer to hold a slot).</summary>
    public ConcurrentDictionary<string, string> Drips { get; } = new();

    /// <summary>Paths that refuse HEAD with 405 (some CDNs do).</summary>
    public HashSet<string> NoHead { get; } = [];

    public static async Task<FakeFeedServer> StartAsync()
    {
        var fake = new FakeFeedServer();
        fake.server = await FakeHttpServer.StartAsync(app => app.Run(fake.ServeAsync));
        fake.BaseUrl = fake.server.BaseUrl;
        return fake;
    }

    public string Url(string path) => BaseUrl + path;

    public ValueTask DisposeAsync() => server.DisposeAsync();

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        Requests.Enqueue((request.Method, path, request.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm ? inm : null,
            request.Headers.IfModifiedSince.ToString() is { Length: > 0 } ims ? ims : null,
            request.Headers.Range.ToString() is { Length: > 0 } range ? range : null));

        if (Drips.TryGetValue(path, out var drip))
        {
            context.Response.ContentType = "application/rss+xml";
            foreach (var b in System.Text.Encoding.UTF8.GetBytes(drip))
            {
                await context.Response.Body.WriteAsync(new[] { b }, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(TimeSpan.FromSeconds(1), context.RequestAborted);
            }

            return;
        }

        if (Documents.TryGetValue(path, out var document))
        {
            if (document.ETag is not null)
            {
                context.Response.Headers.ETag = document.ETag;
            }

            if (document.LastModified is not null)
            {
                context.Response.Headers.LastModified = document.LastModified;
            }

            var matches = (document.ETag is not null && request.Headers.IfNoneMatch == document.ETag)
                || (request.Headers.IfNoneMatch.Count == 0 && document.LastModified is not null && request.Headers.IfModifiedSince == document.LastModified);
            if (matches)
            {
                context.Response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            context.Response.StatusCode = document.Status;
            if (document.Location is not null)
            {
                context.Response.Headers.Location = document.Location;
                return;
            }

            context.Response.Headers.ContentType = document.ContentType;
            if (document.Bytes is not null)
            {
                await context.Response.Body.WriteAsync(document.Bytes);
            }
            else
            {
                await context.Response.WriteAsync(document.Body);
            }

            return;
        }

        if (Binaries.TryGetValue(path, out var bytes))
        {
            if (HttpMethods.IsHead(request.Method) && NoHead.Contains(path))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return;
            }

            context.Response.ContentType = path.EndsWith(".png", StringComparison.Ordinal) ? "image/png"
                : path.EndsWith(".gif", StringComparison.Ordinal) ? "image/gif" : "image/jpeg";
            context.Response.Headers.AcceptRanges = "bytes";
            var body = bytes;
            if (request.Headers.Range.ToString() is { Length: > 0 } rangeHeader && rangeHeader.StartsWith("bytes=0-", StringComparison.Ordinal)
                && int.TryParse(rangeHeader["bytes=0-".Length..], out var last) && last + 1 < bytes.Length)
            {
                body = bytes[..(last + 1)];
                context.Response.StatusCode = StatusCodes.Status206PartialContent;
                context.Response.Headers.ContentRange = $"bytes 0-{last}/{bytes.Length}";
            }

            context.Response.ContentLength = body.Length;
            if (!HttpMethods.IsHead(request.Method))
            {
                await context.Response.Body.WriteAsync(body);
            }

            return;
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
    }
}
