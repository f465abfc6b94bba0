using System.Net;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using Platform.Core.Data;

namespace Platform.Core.Ingestion.Feeds;

/// <summary>An entry the parser could not keep: its 1-based position in the document, its title if any, and why.</summary>
public sealed record DroppedEntry(int Position, string? Title, string Reason);

/// <summary>A parsed feed: its title, the entries it keeps, and the entries it had to drop.</summary>
public sealed record ParsedFeed(string? Title, IReadOnlyList<ImportedItem> Items, IReadOnlyList<DroppedEntry> Dropped)
{
    /// <summary>
    /// The channel-level text about the feed as plain text: RSS <c>&lt;channel&gt;&lt;description&gt;</c>, Atom
    /// <c>&lt;feed&gt;&lt;subtitle&gt;</c> (0.3: <c>tagline</c>); null when absent. Where a feed owner publishes the
    /// ownership token (<c>POST /api/me/platforms/{id}/verify</c>).
    /// </summary>
    public string? Description { get; init; }

    /// <summary>The feed's site (RSS channel <c>&lt;link&gt;</c>, Atom alternate link), absolute; null when it names none.</summary>
    public Uri? SiteUrl { get; init; }
}

/// <summary>The document is XML but no feed format this parser reads.</summary>
public sealed class NotAFeedException(string message) : Exception(message);

/// <summary>The document exceeds one of <see cref="FeedParser.Limits"/>: it will exceed it next time too.</summary>
public sealed class FeedTooComplexException(string message) : Exception(message);

/// <summary>
/// Bounds on a feed document, checked in one streaming pass before the tree is built, so a hostile document costs at
/// most linear time in its size and never a deep tree: nesting depth (elements), element count, characters in one text
/// node or attribute, and wall-clock time of the whole parse.
/// </summary>
public sealed record FeedParserLimits(int MaxDepth = 64, int MaxElements = 250_000, int MaxTextLength = 2_000_000, TimeSpan? MaxDuration = null)
{
    public TimeSpan Duration => MaxDuration ?? TimeSpan.FromSeconds(10);
}

/// <summary>
/// Reads every feed format in use: RSS 0.90 and 1.0 (<c>rdf:RDF</c>), RSS 0.91-2.0 (<c>rss/channel/item</c>, also in the
/// <c>http://backend.userland.com/rss2</c> namespace), Atom 1.0 (RFC 4287) and Atom 0.3, with the fallbacks feed readers
/// apply: Dublin Core (<c>dc:title</c>, <c>dc:description</c>, <c>dc:date</c>, <c>dc:subject</c>), DCMI terms
/// (<c>dcterms:issued/created/modified</c>), iTunes (<c>itunes:summary</c>), Media RSS (<c>media:title</c>,
/// <c>media:description</c>, <c>media:thumbnail</c>, <c>media:content</c>, <c>media:player</c>, <c>media:community</c>
/// counters, also inside <c>media:group</c>), an RSS <c>guid</c> that is a permalink as the link, and Atom content in
/// <c>mode="base64"</c> (Atom 0.3) or a non-text media type (RFC 4287 §4.1.3.3). Links and enclosures are resolved per
/// RFC 3986 against <c>xml:base</c> (XML Base) where given, else the document's URL after redirects (RSS items without
/// <c>xml:base</c> resolve against the channel's link, as readers do). DTDs are prohibited and no external resource is
/// ever resolved (no XXE, no entity expansion bombs). One entry that cannot be read is dropped and reported, never the page.
/// </summary>
public static class FeedParser
{
    private static readonly XNamespace Atom = "http://www.w3.org/2005/Atom";
    private static readonly XNamespace Atom03 = "http://purl.org/atom/ns#";
    private static readonly XNamespace Rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    private static readonly XNamespace Rss10 = "http://purl.org/rss/1.0/";
    private static readonly XNamespace Rss090 = "http://my.netscape.com/rdf/simple/0.9/";
    private static readonly XNamespace Userland = "http://backend.userland.com/rss2";
    private static readonly XNamespace Media = "http://search.yahoo.com/mrss/";
    private static readonly XNamespace Content = "http://purl.org/rss/1.0/modules/content/";
    private static readonly XNamespace DublinCore = "http://purl.org/dc/elements/1.1/";
    private static readonly XNamespace DcTerms = "http://purl.org/dc/terms/";
    private static readonly XNamespace ITunes = "http://www.itunes.com/dtds/podcast-1.0.dtd";

    /// <summary>Longest title kept (characters, cut at a text-element boundary).</summary>
    public const int MaxTitleLength = 500;

    /// <summary>Longest description kept (characters, cut at a text-element boundary).</summary>
    public const int MaxDescriptionLength = 10_000;

    public static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = 20_000_000,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>Parses a fetched feed.</summary>
    /// <param name="body">The bytes as served; decoded by <see cref="FeedEncoding"/>.</param>
    /// <param name="feedUrl">The address the account was connected with: entry ids that are not URIs are qualified with it.</param>
    /// <param name="documentUrl">Where the document was finally read, after redirects: the base URI of relative links. Defaults to <paramref name="feedUrl"/>.</param>
    /// <param name="httpCharset">The <c>charset</c> of the response's Content-Type, if any.</param>
    /// <exception cref="FeedEncodingException">The document names an encoding that does not exist.</exception>
    /// <exception cref="XmlException">Not well-formed, or it has a DTD.</exception>
    /// <exception cref="NotAFeedException">Well-formed, but no feed format.</exception>
    /// <exception cref="FeedTooComplexException">Over one of <see cref="Limits"/>.</exception>
    public static ParsedFeed Parse(byte[] body, Uri feedUrl, Uri? documentUrl = null, string? httpCharset = null)
    {
        var (text, _) = FeedEncoding.Decode(body, httpCharset);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        CheckLimits(text, Limits, clock);
        using var reader = XmlReader.Create(new StringReader(text), ReaderSettings);
        var root = XDocument.Load(reader).Root!;
        var document = documentUrl ?? feedUrl;

        if (root.Name.LocalName == "rss" && (root.Name.Namespace == XNamespace.None || root.Name.Namespace == Userland))
        {
            var ns = root.Name.Namespace;
            var channel = root.Element(ns + "channel") ?? throw NotAFeed(root, feedUrl);
            var site = Site(channel, ns, document);
            return Read(Text(channel.Element(ns + "title")), channel.Elements(ns + "item"), entry => RssItem(entry, ns, site, document, feedUrl)) with
            {
                Description = ChannelText(Text(channel.Element(ns + "description"))),
                SiteUrl = Absolute(Text(channel.Element(ns + "link")), BaseOf(channel, document)) is { } link ? new Uri(link) : null,
            };
        }

        if (root.Name == Rdf + "RDF")
        {
            var ns = root.Elements().Select(e => e.Name.Namespace).FirstOrDefault(n => n == Rss10 || n == Rss090) ?? throw NotAFeed(root, feedUrl);
            var channel = root.Element(ns + "channel");
            var items = root.Elements(ns + "item").Concat(channel?.Elements(ns + "item") ?? []);
            var site = channel is null ? document : Site(channel, ns, document);
            return Read(Text(channel?.Element(ns + "title")), items, entry => RssItem(entry, ns, site, document, feedUrl)) with
            {
                Description = ChannelText(Text(channel?.Element(ns + "description"))),
                SiteUrl = channel is not null && Absolute(Text(channel.Element(ns + "link")), BaseOf(channel, document)) is { } link ? new Uri(link) : null,
            };
        }

        if (root.Name == Atom + "feed" || root.Name == Atom03 + "feed")
        {
            var ns = root.Name.Namespace;
            return Read(AtomText(root.Element(ns + "title"), ns).Plain, root.Elements(ns + "entry"), entry => AtomEntry(entry, ns, document, feedUrl)) with
            {
                Description = ChannelText(AtomText(root.Element(ns + "subtitle") ?? root.Element(ns + "tagline"), ns).Plain),
                SiteUrl = AlternateLink(root.Elements(ns + "link"), document) is { } link ? new Uri(link) : null,
            };
        }

        throw NotAFeed(root, feedUrl);
    }

    /// <summary>The bounds every parse applies (real feeds stay far below them: a few levels deep, hundreds of elements).</summary>
    public static FeedParserLimits Limits { get; } = new();

    /// <summary>One streaming pass over the document: throws <see cref="FeedTooComplexException"/> at the first bound crossed, <see cref="XmlException"/> when not well-formed.</summary>
    public static void CheckLimits(string text, FeedParserLimits limits, System.Diagnostics.Stopwatch clock)
    {
        using var reader = XmlReader.Create(new StringReader(text), ReaderSettings);
        var elements = 0;
        var nodes = 0;
        while (reader.Read())
        {
            if (++nodes % 1024 == 0 && clock.Elapsed > limits.Duration)
            {
                throw new FeedTooComplexException($"The feed took longer than {limits.Duration.TotalSeconds:0} s to read; it is refused.");
            }

            switch (reader.NodeType)
            {
                case XmlNodeType.Element:
                    if (reader.Depth >= limits.MaxDepth)
                    {
                        throw new FeedTooComplexException($"The feed nests elements deeper than {limits.MaxDepth} levels; it is refused.");
                    }

                    if (++elements > limits.MaxElements)
                    {
                        throw new FeedTooComplexException($"The feed has more than {limits.MaxElements} elements; it is refused.");
                    }

                    while (reader.MoveToNextAttribute())
                    {
                        if (reader.Value.Length > limits.MaxTextLength)
                        {
                            throw new FeedTooComplexException($"The feed has an attribute longer than {limits.MaxTextLength} characters; it is refused.");
                        }
                    }

                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace or XmlNodeType.Whitespace:
                    if (reader.Value.Length > limits.MaxTextLength)
                    {
                        throw new FeedTooComplexException($"The feed has a text longer than {limits.MaxTextLength} characters; it is refused.");
                    }

                    break;
            }
        }
    }

    private static NotAFeedException NotAFeed(XElement root, Uri feedUrl) =>
        new($"{feedUrl} is XML with root <{root.Name.LocalName}> ({root.Name.NamespaceName}), not an RSS 0.90-2.0 or Atom 0.3/1.0 feed.");

    private static ParsedFeed Read(string? title, IEnumerable<XElement> entries, Func<XElement, (ImportedItem? Item, string? Reason)> read)
    {
        var items = new List<ImportedItem>();
        var dropped = new List<DroppedEntry>();
        var position = 0;
        foreach (var entry in entries)
        {
            position++;
            try
            {
                var (item, reason) = read(entry);
                if (item is not null)
                {
                    items.Add(item);
                    continue;
                }

                dropped.Add(new DroppedEntry(position, EntryTitle(entry), reason ?? "unreadable"));
            }
            catch (Exception error) when (error is FormatException or ArgumentException or InvalidOperationException or XmlException or OverflowException)
            {
                dropped.Add(new DroppedEntry(position, EntryTitle(entry), $"unreadable: {error.Message}"));
            }
        }

        return new ParsedFeed(title is null ? null : PostgresText.Truncate(PlainText(title), MaxTitleLength), items, dropped);
    }

    /// <summary>Channel-level text as plain text (markup removed), null when empty.</summary>
    private static string? ChannelText(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : PostgresText.Truncate(PlainText(text), MaxDescriptionLength);

    private static string? EntryTitle(XElement entry) =>
        entry.Elements().FirstOrDefault(e => e.Name.LocalName == "title") is { } title ? PostgresText.Truncate(PlainText(title.Value), 200) : null;

    /// <summary>The channel's link (resolved), the base of RSS item links without xml:base; else the document.</summary>
    private static Uri Site(XElement channel, XNamespace ns, Uri document) =>
        Absolute(Text(channel.Element(ns + "link")), BaseOf(channel, document)) is { } link ? new Uri(link) : BaseOf(channel, document);

    private static (ImportedItem? Item, string? Reason) RssItem(XElement item, XNamespace ns, Uri site, Uri document, Uri feedUrl)
    {
        // xml:base, where the publisher gave one, is the base; otherwise the channel's link.
        var itemBase = HasXmlBase(item) ? BaseOf(item, document) : site;
        var guidElement = item.Element(ns + "guid");
        var guid = Text(guidElement);
        var guidIsPermalink = guid is not null && !string.Equals((string?)guidElement!.Attribute("isPermaLink"), "false", StringComparison.OrdinalIgnoreCase);
        var link = Absolute(Text(item.Element(ns + "link")), itemBase)
            ?? AlternateLink(item.Elements(Atom + "link"), document)
            ?? (guidIsPermalink ? Absolute(guid, itemBase) : null);
        var id = ExternalId(guid ?? (string?)item.Attribute(Rdf + "about"), link, feedUrl);
        if (id is null)
        {
            return (null, "no guid, id or link identifies the entry, so it cannot be kept in sync");
        }

        var html = FirstText(
            item.Element(ns + "description"), item.Element(Content + "encoded"), item.Element(DublinCore + "description"),
            item.Element(ITunes + "summary"), MediaElement(item, "description")) ?? string.Empty;
        var title = PlainText(FirstText(item.Element(ns + "title"), item.Element(DublinCore + "title"), MediaElement(item, "title")) ?? string.Empty);

        var media = MediaOf(item, itemBase, document);
        media.AddRange(item.Elements(ns + "enclosure")
            .Select(e => (Url: Absolute((string?)e.Attribute("url"), HasXmlBase(e) ? BaseOf(e, document) : itemBase), Type: (string?)e.Attribute("type")))
            .Where(e => e.Url is not null)
            .Select(e => new ImportedMedia(e.Url!, Kind(e.Type, e.Url!), ContentType: e.Type)));
        var (views, likes) = Counters(item);

        return (new ImportedItem
        {
            ExternalId = id,
            Title = Fallback(title, link, id),
            Description = PlainText(html),
            Url = link,
            PublishedAt = FirstDate(
                item.Element(ns + "pubDate"), item.Element(DublinCore + "date"), item.Element(DcTerms + "issued"), item.Element(DcTerms + "created"),
                item.Element(DcTerms + "modified"), item.Element(DcTerms + "date"), item.Element(Atom + "published"), item.Element(Atom + "updated")),
            ViewCount = views,
            LikeCount = likes,
            Tags = ImportedItem.NormalizeTags(item.Elements(ns + "category").Concat(item.Elements(DublinCore + "subject")).Select(Text)),
            Media = Ordered(media),
        }, null);
    }

    private static (ImportedItem? Item, string? Reason) AtomEntry(XElement entry, XNamespace ns, Uri document, Uri feedUrl)
    {
        var links = entry.Elements(ns + "link").ToList();
        var link = AlternateLink(links, document);
        var id = ExternalId(Text(entry.Element(ns + "id")), link, feedUrl);
        if (id is null)
        {
            return (null, "no id or link identifies the entry, so it cannot be kept in sync");
        }

        var media = MediaOf(entry, BaseOf(entry, document), document);
        media.AddRange(links
            .Where(l => (string?)l.Attribute("rel") == "enclosure")
            .Select(l => (Url: Absolute((string?)l.Attribute("href"), BaseOf(l, document)), Type: (string?)l.Attribute("type")))
            .Where(l => l.Url is not null)
            .Select(l => new ImportedMedia(l.Url!, Kind(l.Type, l.Url!), ContentType: l.Type)));

        var title = AtomText(entry.Element(ns + "title"), ns).Plain;
        if (string.IsNullOrEmpty(title))
        {
            title = PlainText(Text(MediaElement(entry, "title")) ?? string.Empty);
        }

        var summary = AtomText(entry.Element(ns + "summary"), ns).Plain;
        var description = !string.IsNullOrEmpty(summary) ? summary : AtomText(entry.Element(ns + "content"), ns).Plain;
        if (string.IsNullOrEmpty(description))
        {
            description = PlainText(Text(MediaElement(entry, "description")) ?? Text(entry.Element(DublinCore + "description")) ?? string.Empty);
        }

        var (views, likes) = Counters(entry);
        return (new ImportedItem
        {
            ExternalId = id,
            Title = Fallback(title, link, id),
            Description = description,
            Url = link,
            PublishedAt = FirstDate(
                entry.Element(ns + "published"), entry.Element(ns + "issued"), entry.Element(ns + "created"), entry.Element(DublinCore + "date"),
                entry.Element(DcTerms + "issued"), entry.Element(ns + "updated"), entry.Element(ns + "modified")),
            ViewCount = views,
            LikeCount = likes,
            Tags = ImportedItem.NormalizeTags(entry.Elements(ns + "category")
                .Select(c => (string?)c.Attribute("label") ?? (string?)c.Attribute("term") ?? Text(c))
                .Concat(entry.Elements(DublinCore + "subject").Select(Text))),
            Media = Ordered(media),
        }, null);
    }

    /// <summary>The <c>rel="alternate"</c> (or rel-less) link, an HTML one first, resolved against its own base.</summary>
    private static string? AlternateLink(IEnumerable<XElement> links, Uri document) =>
        links.Where(l => (string?)l.Attribute("rel") is null or "alternate")
            .OrderBy(l => (string?)l.Attribute("type") is null or "text/html" or "application/xhtml+xml" ? 0 : 1)
            .Select(l => Absolute((string?)l.Attribute("href"), BaseOf(l, document)))
            .FirstOrDefault(url => url is not null);

    /// <summary>
    /// An Atom text or content construct as plain text: <c>type="text"</c> as is, <c>html</c> and <c>xhtml</c> without
    /// markup, Atom 0.3 <c>mode="escaped|base64|xml"</c>, and base64 for any non-text, non-XML media type (RFC 4287 §4.1.3.3).
    /// </summary>
    private static (string Plain, bool Found) AtomText(XElement? element, XNamespace ns)
    {
        if (element is null || element.Attribute("src") is not null)
        {
            return (string.Empty, false);
        }

        var type = ((string?)element.Attribute("type"))?.Trim().ToLowerInvariant() ?? (ns == Atom03 ? "text/plain" : "text");
        var mode = ((string?)element.Attribute("mode"))?.Trim().ToLowerInvariant();
        var xml = type is "xhtml" or "application/xhtml+xml" || mode == "xml" || type.EndsWith("+xml", StringComparison.Ordinal) || type.EndsWith("/xml", StringComparison.Ordinal);
        string raw;
        if ((mode == "base64" || (!xml && type.Contains('/') && !type.StartsWith("text/", StringComparison.Ordinal)))
            && Base64(element.Value) is { } decoded)
        {
            raw = decoded;
        }
        else if (xml && element.HasElements)
        {
            raw = string.Concat(element.Nodes().Select(n => n.ToString(SaveOptions.DisableFormatting)));
        }
        else
        {
            raw = element.Value;
        }

        var plainText = type is "text" or "text/plain" && mode is null or "xml";
        return (plainText ? OneLine(raw) : PlainText(raw), true);
    }

    /// <summary>Base64 text (line breaks allowed) decoded as UTF-8, or null when it is not base64 (then the text is read as is).</summary>
    private static string? Base64(string text)
    {
        var compact = string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
        var bytes = new byte[compact.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(compact, bytes, out var written) ? Encoding.UTF8.GetString(bytes, 0, written) : null;
    }

    /// <summary>media:thumbnail, media:content and media:player (also inside media:group), each by its real kind.</summary>
    private static List<ImportedMedia> MediaOf(XElement element, Uri entryBase, Uri document)
    {
        var media = new List<ImportedMedia>();
        foreach (var node in element.Descendants().Where(d => d.Name.Namespace == Media))
        {
            var url = Absolute((string?)node.Attribute("url"), HasXmlBase(node) ? BaseOf(node, document) : entryBase);
            if (url is null)
            {
                continue;
            }

            var width = (int?)Int(node.Attribute("width"));
            var height = (int?)Int(node.Attribute("height"));
            var type = (string?)node.Attribute("type");
            if (node.Name == Media + "thumbnail")
            {
                media.Add(new ImportedMedia(url, "thumbnail", width, height));
            }
            else if (node.Name == Media + "player")
            {
                media.Add(new ImportedMedia(url, "player", width, height, type));
            }
            else if (node.Name == Media + "content")
            {
                var medium = ((string?)node.Attribute("medium"))?.Trim().ToLowerInvariant();
                var kind = medium is "image" or "video" or "audio" ? medium : Kind(type, url);
                media.Add(new ImportedMedia(url, kind, width, height, type));
            }
        }

        return media;
    }

    /// <summary>media:community counters: <c>media:statistics/@views</c>, and <c>media:starRating/@count</c> (YouTube's like count).</summary>
    private static (long? Views, long? Likes) Counters(XElement element)
    {
        var community = element.Descendants(Media + "community").FirstOrDefault();
        return (Count(community?.Element(Media + "statistics")?.Attribute("views")), Count(community?.Element(Media + "starRating")?.Attribute("count")));
    }

    private static long? Count(XAttribute? attribute) => long.TryParse((string?)attribute, out var value) && value >= 0 ? value : null;

    /// <summary>An element of Media RSS directly in the entry or in its media:group (or a media:content of it).</summary>
    private static XElement? MediaElement(XElement entry, string name) =>
        entry.Element(Media + name) ?? entry.Descendants(Media + name).FirstOrDefault();

    private static List<ImportedMedia> Ordered(List<ImportedMedia> media) =>
        media.DistinctBy(m => m.Url).OrderBy(m => m.Kind switch { "thumbnail" => 0, "image" => 1, _ => 2 }).Take(20).ToList();

    /// <summary>
    /// A medium's kind by its media type (<c>image/*</c>, <c>video/*</c>, <c>audio/*</c>; a Flash or HTML player is a
    /// <c>player</c>; anything else a <c>document</c>), or by the URL's extension when no type is given.
    /// </summary>
    public static string Kind(string? contentType, string url)
    {
        var type = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(type))
        {
            var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath.ToLowerInvariant() : url;
            return Path.GetExtension(path) switch
            {
                ".jpg" or ".jpeg" or ".png" or ".gif" or ".webp" or ".avif" or ".svg" or ".bmp" => "image",
                ".mp4" or ".m4v" or ".webm" or ".mov" or ".mkv" or ".ogv" or ".m3u8" => "video",
                ".mp3" or ".m4a" or ".aac" or ".ogg" or ".oga" or ".opus" or ".wav" or ".flac" => "audio",
                _ => "document",
            };
        }

        return type switch
        {
            _ when type.StartsWith("image/", StringComparison.Ordinal) => "image",
            _ when type.StartsWith("video/", StringComparison.Ordinal) => "video",
            _ when type.StartsWith("audio/", StringComparison.Ordinal) => "audio",
            "application/x-shockwave-flash" or "text/html" or "application/xhtml+xml" => "player",
            "application/x-mpegurl" or "application/vnd.apple.mpegurl" or "application/dash+xml" => "video",
            _ => "document",
        };
    }

    /// <summary>
    /// content_item's key is (platform, external_id) across all feeds: a URI-shaped id (<c>https:</c>, <c>tag:</c>,
    /// <c>urn:</c>) is global already; anything else (<c>guid</c> = "42") is qualified with the feed's URL.
    /// </summary>
    private static string? ExternalId(string? id, string? link, Uri feedUrl)
    {
        var value = PostgresText.Clean(string.IsNullOrWhiteSpace(id) ? link : id.Trim());
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var global = Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "tag" or "urn";
        var qualified = global ? value : $"{feedUrl.AbsoluteUri}#{value}";
        return qualified.Length <= 2000 ? qualified : null;
    }

    private static string Fallback(string title, string? link, string id) =>
        title.Length > 0 ? PostgresText.Truncate(title, MaxTitleLength)! : PostgresText.Truncate(link ?? id, MaxTitleLength)!;

    private static string? Text(XElement? element) => element is null ? null : element.Value.Trim() is { Length: > 0 } text ? text : null;

    private static string? FirstText(params XElement?[] elements) => elements.Select(Text).FirstOrDefault(t => t is not null);

    private static DateTimeOffset? FirstDate(params XElement?[] elements) =>
        elements.Select(e => FeedDate.Parse(Text(e))).FirstOrDefault(d => d is not null);

    private static long? Int(XAttribute? attribute) => long.TryParse((string?)attribute, out var value) && value is > 0 and < int.MaxValue ? value : null;

    private static bool HasXmlBase(XElement element) => element.AncestorsAndSelf().Any(e => e.Attribute(XNamespace.Xml + "base") is not null);

    /// <summary>The element's base URI (XML Base): every <c>xml:base</c> from the root down, each resolved against the one above, starting at the document's URL.</summary>
    private static Uri BaseOf(XElement element, Uri document)
    {
        var current = document;
        foreach (var ancestor in element.AncestorsAndSelf().Reverse())
        {
            if (((string?)ancestor.Attribute(XNamespace.Xml + "base"))?.Trim() is { Length: > 0 } xmlBase
                && Uri.TryCreate(current, xmlBase, out var resolved) && resolved.Scheme is "http" or "https")
            {
                current = resolved;
            }
        }

        return current;
    }

    /// <summary>An http(s) reference resolved per RFC 3986 §5 against <paramref name="baseUrl"/>, or null.</summary>
    private static string? Absolute(string? url, Uri baseUrl) =>
        !string.IsNullOrWhiteSpace(url) && Uri.TryCreate(baseUrl, url.Trim(), out var absolute) && absolute.Scheme is "http" or "https"
            && absolute.OriginalString.Length <= 2000
            ? absolute.AbsoluteUri
            : null;

    /// <summary>
    /// HTML (or escaped HTML) as one line of plain text for descriptions, search and meta tags: storable
    /// (<see cref="PostgresText"/>) and at most <see cref="MaxDescriptionLength"/> characters, cut at a text element.
    /// </summary>
    public static string PlainText(string html) =>
        OneLine(WebUtility.HtmlDecode(StripTags(WebUtility.HtmlDecode(html))));

    /// <summary>
    /// Every tag (<c>&lt;</c> up to the next <c>&gt;</c>) replaced by a space, in one left-to-right pass (linear time:
    /// a <c>&lt;</c> with no <c>&gt;</c> after it ends the scan instead of being retried from every position, as a
    /// backtracking <c>&lt;[^&gt;]*&gt;</c> does). An unclosed <c>&lt;</c> and what follows it are kept as text.
    /// </summary>
    public static string StripTags(string html)
    {
        var open = html.IndexOf('<');
        if (open < 0)
        {
            return html;
        }

        var text = new StringBuilder(html.Length);
        var position = 0;
        while (open >= 0)
        {
            var close = html.IndexOf('>', open + 1);
            if (close < 0)
            {
                break;
            }

            text.Append(html, position, open - position).Append(' ');
            position = close + 1;
            open = html.IndexOf('<', position);
        }

        return text.Append(html, position, html.Length - position).ToString();
    }

    private static string OneLine(string text)
    {
        var clean = PostgresText.Clean(text)!;
        return PostgresText.Truncate(string.Join(' ', clean.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)), MaxDescriptionLength)!;
    }
}
