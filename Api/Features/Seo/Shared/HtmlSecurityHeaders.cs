using System.Security.Cryptography;
using System.Text;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>
/// The headers every HTML response carries: a Content-Security-Policy that lets a page run no script and load no
/// style but our own inline one (by its SHA-256, CSP Level 3), images from any http(s) origin (thumbnails and avatars
/// are hosted by the platforms); <c>X-Content-Type-Options: nosniff</c>; <c>Referrer-Policy:
/// strict-origin-when-cross-origin</c>; and, over https only (RFC 6797 §7.2: ignored over http),
/// <c>Strict-Transport-Security</c> for one year.
/// </summary>
public static class HtmlSecurityHeaders
{
    public static readonly string ContentSecurityPolicy =
        "default-src 'none'; img-src https: http: data:; "
        + $"style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Html.Style)))}'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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
