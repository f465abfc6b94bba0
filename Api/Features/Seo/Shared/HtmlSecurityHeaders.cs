using Platform.Api.Features.Seo.ContentPage;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// The headers every HTML response carries: a Content-Security-Policy that lets a page run no script, load styles
/// only from our origin (the content-hashed <see cref="SiteAssets.Stylesheet"/>) plus the YouTube facade's one
/// inline style (by its SHA-256, CSP Level 3), frame only the privacy-enhanced YouTube embed, submit forms only to
/// us (search), fetch only from us (nothing runs on our pages; crawlers and audit tools read /robots.txt that way), and load images and enclosures (audio/video) from any http(s) origin (thumbnails, avatars and
/// feed enclosures are hosted by the platforms); <c>X-Content-Type-Options: nosniff</c>; <c>Referrer-Policy:
/// strict-origin-when-cross-origin</c>; and, over https only (RFC 6797 §7.2: ignored over http),
/// <c>Strict-Transport-Security</c> for one year.
/// </summary>
public static class HtmlSecurityHeaders
{
    public static readonly string ContentSecurityPolicy =
        "default-src 'none'; img-src https: http: data:; media-src https: http:; "
        + $"style-src 'self' {YouTubePlayer.StyleHash}; frame-src {YouTubePlayer.EmbedOrigin}; "
        + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
        }
    }
}
