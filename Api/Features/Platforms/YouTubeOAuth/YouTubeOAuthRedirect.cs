using Microsoft.Extensions.Options;
using Platform.Api.Features.Discovery;

namespace Platform.Api.Features.Platforms.YouTubeOAuth;

/// <summary>The OAuth <c>redirect_uri</c>: the anonymous callback on the Api's public origin (register it in the Google Cloud console).</summary>
public static class YouTubeOAuthRedirect
{
    public const string CallbackPath = "/api/platforms/youtube/callback";

    /// <summary><c>Discovery__PublicBaseUrl</c> + <see cref="CallbackPath"/>, else the request's own origin (Development).</summary>
    public static string CallbackUri(HttpContext context)
    {
        var publicBase = context.RequestServices.GetRequiredService<IOptions<DiscoveryOptions>>().Value.PublicBaseUrl;
        var origin = string.IsNullOrWhiteSpace(publicBase)
            ? $"{context.Request.Scheme}://{context.Request.Host.Value}"
            : publicBase.TrimEnd('/');
        return origin + CallbackPath;
    }
}
