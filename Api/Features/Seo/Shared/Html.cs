using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Platform.Api.Features.Seo.Shared;

/// <summary>Small building blocks of the server-rendered pages (Razor encodes what they return when it writes it).</summary>
public static class Html
{
    private static readonly JsonSerializerOptions JsonLdOptions = new()
    {
        // The default encoder escapes <, >, & and quotes as \uXXXX, so no text can close the <script> element.
        Encoder = JavaScriptEncoder.Default,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

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

    /// <summary>
    /// Text for where no markup can isolate it (<c>&lt;title&gt;</c>, <c>&lt;meta content&gt;</c>, attribute values a
    /// browser shows as a tooltip or label): the explicit bidi embedding, override and isolate controls of Unicode
    /// UAX #9 (LRE, RLE, PDF, LRO, RLO: U+202A-U+202E; LRI, RLI, FSI, PDI: U+2066-U+2069) removed, so an unclosed RLO in a
    /// title or name cannot reorder the page's own text after it (" – Creator Discovery"). The implicit marks (LRM,
    /// RLM, ALM) stay: they affect nothing beyond their neighbours. Returns the same instance when there is nothing
    /// to remove. In markup, user text is isolated instead (<c>&lt;bdi&gt;</c> or <c>dir="auto"</c>, HTML's
    /// bidirectional isolation), which keeps the controls working inside it.
    /// </summary>
    public static string WithoutBidiControls(string text)
    {
        if (text.AsSpan().IndexOfAnyInRange('\u202A', '\u202E') < 0 && text.AsSpan().IndexOfAnyInRange('\u2066', '\u2069') < 0)
        {
            return text;
        }

        return string.Create(text.Length - text.Count(IsExplicitBidiControl), text, static (span, source) =>
        {
            var n = 0;
            foreach (var c in source)
            {
                if (!IsExplicitBidiControl(c))
                {
                    span[n++] = c;
                }
            }
        });
    }

    private static bool IsExplicitBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    public static string JsonLd(object value) => JsonSerializer.Serialize(value, JsonLdOptions);

    /// <summary>ISO 8601 duration (PT1H2M3S) for schema.org.</summary>
    public static string? IsoDuration(int? seconds) =>
        seconds is null or <= 0 ? null : System.Xml.XmlConvert.ToString(TimeSpan.FromSeconds(seconds.Value));

    public static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The <c>rel</c> of every outbound link a user supplied (RFC 8288 link types; Google's <c>ugc</c> and <c>nofollow</c>).</summary>
    public const string UserLinkRel = "ugc nofollow noopener";

    public static string ShortDate(DateTimeOffset value) => value.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>Site-relative path of an item's page (slugs are URL-safe: lowercase letters, digits and hyphens).</summary>
    public static string ContentPath(string slug) => "/c/" + Uri.EscapeDataString(slug);

    public static string CreatorPath(string username) => "/@" + Uri.EscapeDataString(username);

    public static string CategoryPath(string slug) => "/category/" + Uri.EscapeDataString(slug);

    /// <summary>
    /// Tags are free text (AI and platform tags): percent-encoded as one path segment (a <c>/</c> as <c>%2F</c>, which
    /// the tag page reads back from the raw request target). Null for <c>.</c> and <c>..</c>: browsers and servers
    /// resolve those segments, encoded or not (WHATWG URL, RFC 3986 §5.2.4), so no URL can name such a tag.
    /// </summary>
    public static string? TagPath(string tag) => tag is "." or ".." ? null : "/tag/" + Uri.EscapeDataString(tag);

    /// <summary>schema.org BreadcrumbList (https://schema.org/BreadcrumbList) of <paramref name="trail"/>, absolute URLs.</summary>
    public static string BreadcrumbJsonLd(IReadOnlyList<Crumb> trail, string baseUrl) => JsonLd(new Dictionary<string, object?>
    {
        ["@context"] = "https://schema.org",
        ["@type"] = "BreadcrumbList",
        ["itemListElement"] = trail.Select((crumb, i) => new Dictionary<string, object?>
        {
            ["@type"] = "ListItem",
            ["position"] = i + 1,
            ["name"] = crumb.Name,
            ["item"] = baseUrl + crumb.Path,
        }).ToList(),
    });
}
