using Microsoft.AspNetCore.Http.Features;

namespace Platform.Api.Http;

/// <summary>
/// <c>HEAD</c> is <c>GET</c> without the content (RFC 9110 §9.3.2: the same status and header fields, no body). Endpoint
/// routing matches a <c>HEAD</c> request only to endpoints that list the method, and every page and read in this Api is
/// declared <c>GET</c>, so without this a <c>HEAD</c> of an existing page would reach the site's catch-all and answer
/// 404 to link checkers and crawlers. This middleware runs before routing: it routes a <c>HEAD</c> request as
/// <c>GET</c> (the site and public reads, <see cref="IsPublicRead"/>) and sends whatever the endpoint writes to nowhere, so status, <c>Content-Type</c>,
/// <c>Content-Length</c>, <c>ETag</c>, 304 and the cache headers are exactly those of the <c>GET</c>.
/// </summary>
public sealed class HeadRequestsMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsHead(context.Request.Method) || !IsPublicRead(context.Request.Path))
        {
            await next(context);
            return;
        }

        var body = context.Features.Get<IHttpResponseBodyFeature>()!;
        context.Request.Method = HttpMethods.Get;
        context.Features.Set<IHttpResponseBodyFeature>(new HeadersOnlyBody(body));
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(body);
            context.Request.Method = HttpMethods.Head;
        }
    }

    /// <summary>
    /// The site, its assets and sitemaps, and the public JSON reads (<c>/api/public</c>): cacheable answers of a known
    /// length. The user endpoints under <c>/api</c> are left alone: some stream (job events over SSE) and would never
    /// finish a HEAD.
    /// </summary>
    private static bool IsPublicRead(PathString path) =>
        !path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments("/api/public", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A response body that discards the content. The first write starts the real response (headers only), as a write
    /// to a GET's body would, so the endpoint and the frameworks see a started response exactly when they would for GET.
    /// </summary>
    private sealed class HeadersOnlyBody : IHttpResponseBodyFeature
    {
        private readonly IHttpResponseBodyFeature inner;

        public HeadersOnlyBody(IHttpResponseBodyFeature inner)
        {
            this.inner = inner;
            Stream = new DiscardingStream(this);
            Writer = System.IO.Pipelines.PipeWriter.Create(Stream, new System.IO.Pipelines.StreamPipeWriterOptions(leaveOpen: true));
        }

        public Stream Stream { get; }

        public System.IO.Pipelines.PipeWriter Writer { get; }

        public void DisableBuffering() => inner.DisableBuffering();

        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            inner.StartAsync(cancellationToken);

        public async Task CompleteAsync()
        {
            await Writer.FlushAsync();
            await inner.CompleteAsync();
        }
    }

    private sealed class DiscardingStream(HeadersOnlyBody body) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => body.StartAsync().GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => body.StartAsync(cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => Flush();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => body.StartAsync(cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            new(body.StartAsync(cancellationToken));

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
