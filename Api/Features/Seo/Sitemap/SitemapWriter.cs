using System.Text;
using System.Xml;

namespace Platform.Api.Features.Seo.Sitemap;

/// <summary>sitemaps.org XML, written with XmlWriter (escaping is the writer's job).</summary>
public static class SitemapWriter
{
    public const string Namespace = "http://www.sitemaps.org/schemas/sitemap/0.9";

    public static byte[] Index(IEnumerable<(string Loc, DateTimeOffset LastModified)> sitemaps) =>
        Write("sitemapindex", "sitemap", sitemaps);

    public static byte[] UrlSet(IEnumerable<(string Loc, DateTimeOffset LastModified)> urls) => Write("urlset", "url", urls);

    private static byte[] Write(string root, string element, IEnumerable<(string Loc, DateTimeOffset LastModified)> entries)
    {
        using var stream = new MemoryStream();
        using (var xml = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
        {
            xml.WriteStartDocument();
            xml.WriteStartElement(root, Namespace);
            foreach (var (loc, lastModified) in entries)
            {
                xml.WriteStartElement(element, Namespace);
                xml.WriteElementString("loc", Namespace, loc);
                xml.WriteElementString("lastmod", Namespace, lastModified.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
            xml.WriteEndDocument();
        }

        return stream.ToArray();
    }
}
