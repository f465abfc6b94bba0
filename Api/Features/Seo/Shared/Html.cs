using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>Small, safe building blocks of the server-rendered pages: everything from the database is encoded.</summary>
public static class Html
{
    private static readonly JsonSerializerOptions JsonLdOptions = new()
    {
        // The default encoder escapes <, >, & and quotes as \uXXXX, so no text can close the <script> element.
        Encoder = JavaScriptEncoder.Default,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? string.Empty);

    /// <summary>Only absolute http(s) URLs are ever written into href/src/content (no javascript: or data:).</summary>
    public static string? SafeUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;

    /// <summary>Plain text for a meta description: whitespace collapsed, cut at a word near <paramref name="max"/> characters.</summary>
    public static string Summary(string? text, int max = 160)
    {
        var collapsed = string.Join(' ', (text ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (collapsed.Length <= max)
        {
            return collapsed;
        }

        var cut = collapsed.LastIndexOf(' ', max - 1);
        return collapsed[..(cut > max / 2 ? cut : max - 1)].TrimEnd(',', '.', ';', ':') + "…";
    }

    public static string JsonLd(object value) => JsonSerializer.Serialize(value, JsonLdOptions);

    /// <summary>ISO 8601 duration (PT1H2M3S) for schema.org.</summary>
    public static string? IsoDuration(int? seconds) =>
        seconds is null or <= 0 ? null : System.Xml.XmlConvert.ToString(TimeSpan.FromSeconds(seconds.Value));

    public static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The one inline style sheet (allowed by its hash in <see cref="HtmlSecurityHeaders.ContentSecurityPolicy"/>).</summary>
    public const string Style =
        "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
        + "img{max-width:100%;height:auto}nav a{margin-right:1rem}";

    /// <summary>The <c>rel</c> of every outbound link a user supplied (RFC 8288 link types; Google's <c>ugc</c> and <c>nofollow</c>).</summary>
    public const string UserLinkRel = "ugc nofollow noopener";

    /// <summary>The document shell: head (title, description, canonical, Open Graph, Twitter, JSON-LD) and body.</summary>
    public static string Page(PageMeta meta, string body)
    {
        var html = new StringBuilder(4096);
        html.Append("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(meta.Title)).Append("</title>\n")
            .Append("<meta name=\"description\" content=\"").Append(E(meta.Description)).Append("\">\n");
        if (meta.Canonical is not null)
        {
            html.Append("<link rel=\"canonical\" href=\"").Append(E(meta.Canonical)).Append("\">\n");
        }

        if (meta.NoIndex)
        {
            html.Append("<meta name=\"robots\" content=\"noindex\">\n");
        }

        void Property(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                html.Append("<meta property=\"").Append(name).Append("\" content=\"").Append(E(value)).Append("\">\n");
            }
        }

        void Name(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                html.Append("<meta name=\"").Append(name).Append("\" content=\"").Append(E(value)).Append("\">\n");
            }
        }

        if (meta.OgType is not null)
        {
            Property("og:site_name", meta.SiteName);
            Property("og:type", meta.OgType);
            Property("og:title", meta.Title);
            Property("og:description", meta.Description);
            Property("og:url", meta.Canonical);
            Property("og:image", meta.Image);
            Name("twitter:card", meta.Image is null ? "summary" : "summary_large_image");
            Name("twitter:title", meta.Title);
            Name("twitter:description", meta.Description);
            Name("twitter:image", meta.Image);
        }

        if (meta.JsonLd is not null)
        {
            html.Append("<script type=\"application/ld+json\">").Append(meta.JsonLd).Append("</script>\n");
        }

        html.Append("<style>").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append("<nav><a href=\"/\">").Append(E(meta.SiteName)).Append("</a></nav>\n")
            .Append(body)
            .Append("\n</body>\n</html>\n");
        return html.ToString();
    }
}

public sealed record PageMeta(
    string SiteName,
    string Title,
    string Description,
    string? Canonical,
    string? OgType = null,
    string? Image = null,
    string? JsonLd = null,
    bool NoIndex = false);
