using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Platform.Api.Http;

/// <summary>
/// A POST, PUT or PATCH without a <c>Content-Type</c> to an endpoint that declares the body types it accepts
/// (<see cref="IAcceptsMetadata"/>, e.g. <c>application/json</c>) answers 415 problem details naming them. FastEndpoints
/// refuses such a request itself, but with a bare 415 whose response it has already started, so neither the status-code
/// pages nor anything else can give it a body (its <c>FeRequestHandler</c>); a request with another content type gets its
/// 415 from routing, where the status-code pages add the problem. Runs after authentication and authorization, so an
/// anonymous caller still gets 401 first.
/// </summary>
public sealed class MissingContentTypeMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Headers.ContainsKey(HeaderNames.ContentType)
            && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
            && context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { IsOptional: false, ContentTypes.Count: > 0 } accepts
            && !accepts.ContentTypes.Contains("*/*"))
        {
            return Problems.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type",
                $"This endpoint takes a request body of type {string.Join(" or ", accepts.ContentTypes)}: send it with that Content-Type.");
        }

        return next(context);
    }
}
