using Microsoft.AspNetCore.Http.Features;

namespace Platform.Api.Http;

/// <summary>
/// A request without a body has no content: its <c>Content-Type</c> is dropped before anything binds it. Many client
/// libraries and API tools send <c>Content-Type: application/json</c> on every request, GET, HEAD and DELETE included;
/// FastEndpoints (like ASP.NET Core's JSON binding) reads a JSON body whenever the content type says JSON, and an empty
/// one answers 400 "The input does not contain any JSON tokens". RFC 9110 section 8.3: the header describes the
/// content, so without content it describes nothing. Applies to every endpoint, for the methods whose content has no
/// defined semantics (GET, HEAD, DELETE, OPTIONS, TRACE: RFC 9110 section 9.3); a POST, PUT or PATCH that declares a
/// JSON body and sends none is the endpoint's to judge (400 problem).
/// </summary>
public sealed class EmptyBodyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentType is not null && IsBodyOptional(request.Method) && !await HasBodyAsync(context))
        {
            request.Headers.ContentType = default;
        }

        await next(context);
    }

    private static bool IsBodyOptional(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsDelete(method)
        || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    /// <summary>
    /// False when the request cannot carry a body (HTTP/1.1 without <c>Content-Length</c> or <c>Transfer-Encoding</c>,
    /// an HTTP/2 or HTTP/3 request ended with its headers), says it is empty (<c>Content-Length: 0</c>), or is chunked
    /// and ends at once (peeked without consuming anything).
    /// </summary>
    private static async ValueTask<bool> HasBodyAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength == 0 || context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
        {
            return false;
        }

        if (request.ContentLength is not null)
        {
            return true;
        }

        var read = await request.BodyReader.ReadAsync(context.RequestAborted);
        request.BodyReader.AdvanceTo(read.Buffer.Start); // examined nothing: the endpoint reads it all again
        return !(read.IsCompleted && read.Buffer.IsEmpty);
    }
}
