using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Api.Features.Discovery;
using Platform.Api.Features.Platforms.YouTubeOAuth;

namespace Platform.Api.Tests.Platforms;

/// <summary>
/// The browser binding cookie's attributes where the request or the public origin is https, or the Api lives under a
/// path (what the over-HTTP tests on plain http cannot show): <c>Secure</c> and the callback's own path.
/// </summary>
public class OAuthBrowserCookieTests
{
    private static string SetCookie(string scheme, string? publicBaseUrl)
    {
        var services = new ServiceCollection();
        services.Configure<DiscoveryOptions>(o => o.PublicBaseUrl = publicBaseUrl);
        var context = new DefaultHttpContext { RequestServices = services.BuildServiceProvider() };
        context.Request.Scheme = scheme;
        context.Request.Host = new HostString("api.example");
        OAuthBrowserCookie.Set(context, "state", "binding", TimeSpan.FromMinutes(10));
        return context.Response.Headers.SetCookie.ToString();
    }

    [Theory]
    [InlineData("https", null, true, "/api/platforms/youtube/callback")]
    [InlineData("http", "https://www.example.com", true, "/api/platforms/youtube/callback")] // TLS ends at a proxy
    [InlineData("http", "https://www.example.com/platform/", true, "/platform/api/platforms/youtube/callback")]
    [InlineData("http", null, false, "/api/platforms/youtube/callback")]
    public void Secure_when_https_and_scoped_to_the_callbacks_path(string scheme, string? publicBaseUrl, bool secure, string path)
    {
        var attributes = SetCookie(scheme, publicBaseUrl).Split(';', StringSplitOptions.TrimEntries);

        Assert.Equal(secure, attributes.Contains("secure", StringComparer.OrdinalIgnoreCase));
        Assert.Contains($"path={path}", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.StartsWith(OAuthBrowserCookie.Name("state") + "=binding", attributes[0]);
    }
}
