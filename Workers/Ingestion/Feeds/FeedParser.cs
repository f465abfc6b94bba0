using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace Platform.Workers.Ingestion.Feeds;

/// <summary>A parsed feed: its title and entries.</summary>
public sealed record ParsedFeed(string? Title, IReadOnlyList<ImportedItem> Items);

/// <summary>The document is XML but not an RSS 2.0 or Atom feed.</summary>
public sealed class NotAFeedException(string message) : Exception(message);

/// <summary>
/// Reads RSS 2.0 (<c>rss/channel/item</c>) and Atom 1.0 (<c>feed/entry</c>), with Media RSS thumbnails and enclosures.
/// DTDs are prohibited and no external resource is ever resolved (no XXE, no entity expansion bombs).
/// </summary>
public static partial class FeedParser
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private static readonly XNamespace Media = "http://search.yahoo.com/mrss/";
    private static readonly XNamespace Content = "http://purl.org/rss/1.0/modules/content/";
    private static readonly XNamespace DublinCore = "http://purl.org/dc/elements/1.1/";

    public static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = 20_000_000,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <exception cref="XmlException">Not well-formed, or it has a DTD.</exception>
    /// <exception cref="NotAFeedException">Well-formed, but neither RSS 2.0 nor Atom.</exception>
    public static ParsedFeed Parse(Stream xml, Uri feedUrl)
    {
        using var reader = XmlReader.Create(xml, ReaderSettings);
        var document = XDocument.Load(reader);
        var root = document.Root!;
        if (root.Name.LocalName == "rss" && root.Element("channel") is { } channel)
        {
            // Relative item links resolve against the site (the channel's link), as readers do.
            var site = Absolute(Text(channel.Element("link")), feedUrl) is { } link ? new Uri(link) : feedUrl;
            return new ParsedFeed(
                Text(channel.Element("title")),
                channel.Elements("item").Select(item => RssItem(item, feedUrl, site)).OfType<ImportedItem>().ToList());
        }

        if (root.Name == Atom + "feed")
        {
            return new ParsedFeed(
                Text(root.Element(Atom + "title")),
                root.Elements(Atom + "entry").Select(entry => AtomEntry(entry, feedUrl)).OfType<ImportedItem>().ToList());
        }

        throw new NotAFeedException($"{feedUrl} is XML with root <{root.Name.LocalName}>, not an RSS 2.0 or Atom feed.");
    }

    private static ImportedItem? RssItem(XElement item, Uri feedUrl, Uri site)
    {
        var link = Absolute(Text(item.Element("link")), site);
        var guid = Text(item.Element("guid"));
        var html = Text(item.Element("description")) ?? Text(item.Element(Content + "encoded")) ?? string.Empty;
        var title = PlainText(Text(item.Element("title")) ?? string.Empty);
        var id = ExternalId(guid, link, feedUrl);
        if (id is null)
        {
            return null; // nothing identifies the entry: it cannot be kept in sync
        }

        var media = MediaOf(item, site);
        media.AddRange(item.Elements("enclosure")
            .Select(e => (Url: Absolute((string?)e.Attribute("url"), site), Type: (string?)e.Attribute("type")))
            .Where(e => e.Url is not null)
            .Select(e => new ImportedMedia(e.Url!, Kind(e.Type), ContentType: e.Type)));

        return new ImportedItem
        {
            ExternalId = id,
            Title = Fallback(title, link, id),
            Description = PlainText(html),
            Url = link,
            PublishedAt = Rfc822(Text(item.Element("pubDate"))) ?? Iso(Text(item.Element(DublinCore + "date"))),
            Tags = ImportedItem.NormalizeTags(item.Elements("category").Select(Text)),
            Media = Ordered(media),
        };
    }

    private static ImportedItem? AtomEntry(XElement entry, Uri feedUrl)
    {
        var links = entry.Elements(Atom + "link").ToList();
        var link = Absolute(
            (string?)links.FirstOrDefault(l => (string?)l.Attribute("rel") is null or "alternate")?.Attribute("href"), feedUrl);
        var id = ExternalId(Text(entry.Element(Atom + "id")), link, feedUrl);
        if (id is null)
        {
            return null;
        }

        var media = MediaOf(entry, feedUrl);
        media.AddRange(links
            .Where(l => (string?)l.Attribute("rel") == "enclosure")
            .Select(l => (Url: Absolute((string?)l.Attribute("href"), feedUrl), Type: (string?)l.Attribute("type")))
            .Where(l => l.Url is not null)
            .Select(l => new ImportedMedia(l.Url!, Kind(l.Type), ContentType: l.Type)));

        var summary = Text(entry.Element(Atom + "summary")) ?? Text(entry.Element(Atom + "content")) ?? string.Empty;
        return new ImportedItem
        {
            ExternalId = id,
            Title = Fallback(PlainText(Text(entry.Element(Atom + "title")) ?? string.Empty), link, id),
            Description = PlainText(summary),
            Url = link,
            PublishedAt = Iso(Text(entry.Element(Atom + "published"))) ?? Iso(Text(entry.Element(Atom + "updated"))),
            Tags = ImportedItem.NormalizeTags(entry.Elements(Atom + "category").Select(c => (string?)c.Attribute("label") ?? (string?)c.Attribute("term"))),
            Media = Ordered(media),
        };
    }

    /// <summary>media:thumbnail and image media:content (also inside media:group).</summary>
    private static List<ImportedMedia> MediaOf(XElement element, Uri feedUrl)
    {
        var media = new List<ImportedMedia>();
        foreach (var node in element.Descendants().Where(d => d.Name.Namespace == Media))
        {
            var url = Absolute((string?)node.Attribute("url"), feedUrl);
            if (url is null)
            {
                continue;
            }

            var width = (int?)Int(node.Attribute("width"));
            var height = (int?)Int(node.Attribute("height"));
            if (node.Name == Media + "thumbnail")
            {
                media.Add(new ImportedMedia(url, "thumbnail", width, height));
            }
            else if (node.Name == Media + "content")
            {
                var type = (string?)node.Attribute("type");
                var medium = (string?)node.Attribute("medium");
                media.Add(new ImportedMedia(url, medium is "image" or "video" or "audio" ? medium : Kind(type), width, height, type));
            }
        }

        return media;
    }

    private static List<ImportedMedia> Ordered(List<ImportedMedia> media) =>
        media.DistinctBy(m => m.Url).OrderBy(m => m.Kind switch { "thumbnail" => 0, "image" => 1, _ => 2 }).Take(20).ToList();

    private static string Kind(string? contentType) => contentType?.Split('/')[0] switch
    {
        "video" => "video",
        "audio" => "audio",
        _ => "image",
    };

    /// <summary>
    /// content_item's key is (platform, external_id) across all feeds: a URI-shaped id (<c>https:</c>, <c>tag:</c>,
    /// <c>urn:</c>) is global already; anything else (<c>guid</c> = "42") is qualified with the feed's URL.
    /// </summary>
    private static string? ExternalId(string? id, string? link, Uri feedUrl)
    {
        var value = string.IsNullOrWhiteSpace(id) ? link : id.Trim();
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var global = Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "tag" or "urn";
        var qualified = global ? value : $"{feedUrl.AbsoluteUri}#{value}";
        return qualified.Length <= 2000 ? qualified : null;
    }

    private static string Fallback(string title, string? link, string id) =>
        title.Length > 0 ? (title.Length > 500 ? title[..500] : title) : link ?? id;

    private static string? Text(XElement? element) => element is null ? null : element.Value.Trim() is { Length: > 0 } text ? text : null;

    private static long? Int(XAttribute? attribute) => long.TryParse((string?)attribute, out var value) && value is > 0 and < int.MaxValue ? value : null;

    private static string? Absolute(string? url, Uri baseUrl) =>
        !string.IsNullOrWhiteSpace(url) && Uri.TryCreate(baseUrl, url.Trim(), out var absolute) && absolute.Scheme is "http" or "https"
            ? absolute.AbsoluteUri
            : null;

    /// <summary>HTML (or escaped HTML) as one line of plain text, for descriptions, search and meta tags.</summary>
    public static string PlainText(string html)
    {
        var text = WebUtility.HtmlDecode(Tags().Replace(WebUtility.HtmlDecode(html), " "));
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return text.Length > 10_000 ? text[..10_000] : text;
    }

    private static DateTimeOffset? Iso(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed.ToUniversalTime() : null;

    /// <summary>RFC 822 dates as RSS 2.0 uses them (<c>Wed, 02 Oct 2002 13:00:00 GMT</c>, <c>+0200</c>, <c>EST</c>, two-digit years).</summary>
    public static DateTimeOffset? Rfc822(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        var comma = text.IndexOf(',');
        if (comma >= 0)
        {
            text = text[(comma + 1)..].Trim();
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 5)
        {
            var zone = parts[4].ToUpperInvariant() switch
            {
                "GMT" or "UT" or "UTC" or "Z" => "+00:00",
                "EST" => "-05:00",
                "EDT" => "-04:00",
                "CST" => "-06:00",
                "CDT" => "-05:00",
                "MST" => "-07:00",
                "MDT" => "-06:00",
                "PST" => "-08:00",
                "PDT" => "-07:00",
                var z when z.Length == 5 && z[0] is '+' or '-' => $"{z[..3]}:{z[3..]}",
                _ => null,
            };
            if (zone is not null)
            {
                var candidate = $"{parts[0]} {parts[1]} {parts[2]} {parts[3]} {zone}";
                string[] formats = ["d MMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm zzz", "d MMM yy HH:mm:ss zzz", "d MMM yy HH:mm zzz"];
                if (DateTimeOffset.TryParseExact(candidate, formats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var parsed))
                {
                    return parsed.ToUniversalTime();
                }
            }
        }

        return Iso(value);
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();
}
