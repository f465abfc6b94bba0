using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Platform.Api.Http;

/// <summary>Settings of request bodies, section <c>Http</c>.</summary>
public sealed class RequestBodyOptions
{
    public const string Section = "Http";

    /// <summary>
    /// Largest request body in bytes an endpoint accepts unless it declares its own limit (ASP.NET Core's
    /// <see cref="IRequestSizeLimitMetadata"/>, e.g. the Stripe webhook). Every JSON request of the API is far smaller;
    /// Kestrel's own default (30 MB) would let any caller make the Api parse 30 MB.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;
}

/// <summary>
/// Refuses a body over the endpoint's limit with a 413 problem before authentication, authorisation or binding run:
/// at once when <c>Content-Length</c> says so, else (chunked) when reading passes the limit.
/// </summary>
public sealed class RequestBodyLimitMiddleware(RequestDelegate next, IOptions<RequestBodyOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpointLimit = context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>();
        var limit = endpointLimit is null ? options.Value.MaxRequestBodyBytes : endpointLimit.MaxRequestBodySize;
        if (limit is not long max)
        {
            await next(context);
            return;
        }

        if (context.Request.ContentLength > max)
        {
            await TooLargeAsync(context, max);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = max;
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            context.Response.Clear();
            await TooLargeAsync(context, max);
        }
    }

    private static Task TooLargeAsync(HttpContext context, long max) =>
        Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"This endpoint accepts request bodies up to {max} bytes.");
}

public static class RequestBodyLimitExtensions
{
    public static WebApplicationBuilder AddRequestBodyLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestBodyOptions>().Bind(builder.Configuration.GetSection(RequestBodyOptions.Section));
        return builder;
    }

    /// <summary>Before authentication, so an oversized body costs nothing but its headers.</summary>
    public static WebApplication UseRequestBodyLimits(this WebApplication app)
    {
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        return app;
    }
}
