using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Xml.Linq;
using AngleSharp.Html.Parser;
using Platform.Api.Tests.Discovery;
using Xunit.Abstractions;

namespace Platform.Api.Tests.Seo;

/// <summary>
/// A seeded site of <see cref="Items"/> published items by 100 creators in the 15 categories, 40 tags, some of them
/// trending, one featured creator; plus unpublished items and a private creator's items that no page may link to.
/// The rate limits are lifted: the crawl is one client.
/// </summary>
public sealed class CrawlFixture : DiscoveryHost
{
    public const int Items = 2000;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:RateLimitPermits"] = "1000000";
        settings["RateLimits:SearchPermits"] = "1000000";
        settings["RateLimits:ProbePermits"] = "1000000";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        await data.ExecuteAsync("""
            INSERT INTO users (username, display_name, bio, is_public, email)
            SELECT 'creator' || n, 'Creator ' || n, 'Makes things, part ' || n, n <= 100, 'creator' || n || '@example.test'
            FROM generate_series(1, 101) n
            """);
        await data.ExecuteAsync("""
            INSERT INTO content_item (creator_id, platform, external_id, title, description, url, thumbnail_url, status,
                                      published_at, category_id, click_count, duration_seconds)
            SELECT u.id, CASE WHEN n % 4 = 0 THEN 'feed' ELSE 'youtube' END, 'crawl-' || n,
                   'Crawl item ' || n || ' on ' || (ARRAY['robots','cooking','travel','music','chess'])[1 + n % 5],
                   'Item number ' || n || '.', 'https://video.example/' || n, 'https://img.example/' || n || '.jpg',
                   CASE WHEN n > @items THEN 'unpublished' ELSE 'published' END,
                   timestamptz '2026-01-01 00:00Z' + n * interval '37 minutes',
                   (SELECT id FROM content_category ORDER BY sort_order, id OFFSET n % 15 LIMIT 1),
                   (n * 7919) % 1000, 300
            FROM generate_series(1, @items + 20) n
            JOIN users u ON u.username = 'creator' || (1 + n % 100)
            """, ("items", Items));
        await data.ExecuteAsync("""
            INSERT INTO content_item (creator_id, platform, external_id, title, url, status, published_at)
            SELECT u.id, 'youtube', 'private-' || n, 'Private item ' || n, 'https://video.example/p' || n, 'published',
                   timestamptz '2026-06-01 00:00Z' + n * interval '1 hour'
            FROM generate_series(1, 10) n JOIN users u ON u.username = 'creator101'
            """);
        await data.ExecuteAsync("""
            INSERT INTO content_tag (content_id, tag, source)
            SELECT id, 'tag' || (abs(hashtext(id::text)) % 40), 'platform' FROM content_item
            """);
        await data.ExecuteAsync("""
            INSERT INTO trending_content (content_id, time_window, category_id, score, click_count)
            SELECT id, '24h', category_id, click_count, click_count FROM content_item WHERE status = 'published' ORDER BY click_count DESC LIMIT 200
            """);
        await data.ExecuteAsync("INSERT INTO featured_creator (user_id, position) SELECT id, 1 FROM users WHERE username = 'creator7'");
    }
}

/// <summary>
/// Follows links from <c>/</c> the way a crawler does (never the sitemap): every internal link must answer 200, every
/// published public item must be reached, and it reports the click depth of the items and any page over 30 KB of
/// gzip-compressed HTML.
/// </summary>
public sealed class SiteCrawlTests(CrawlFixture api, ITestOutputHelper output) : IClassFixture<CrawlFixture>
{
    public const int MaxCompressedPageBytes = 30 * 1024;

    [Fact]
    public async Task A_crawl_from_home_reaches_every_published_item_through_links_alone_and_finds_no_broken_link()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = api.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        var parser = new HtmlParser();
        var depth = new ConcurrentDictionary<string, int>(StringComparer.Ordinal) { ["/"] = 0 };
        var broken = new ConcurrentBag<string>();
        var large = new ConcurrentBag<string>();
        var frontier = new List<string> { "/" };
        var pages = 0;
        for (var level = 0; frontier.Count > 0; level++)
        {
            var found = new ConcurrentBag<(string Url, string From)>();
            await Parallel.ForEachAsync(frontier, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (path, ct) =>
            {
                using var response = await client.GetAsync(path, ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    broken.Add($"{path} → {(int)response.StatusCode}");
                    return;
                }

                if (response.Content.Headers.ContentType?.MediaType != "text/html")
                {
                    return; // the style sheet, the sitemap (fetched as a link, never read for links)
                }

                Interlocked.Increment(ref pages);
                var body = await response.Content.ReadAsByteArrayAsync(ct);
                var compressed = Gzip(body);
                if (compressed > MaxCompressedPageBytes)
                {
                    large.Add($"{path}: {compressed / 1024.0:F1} KB gzip");
                }

                var document = parser.ParseDocument(System.Text.Encoding.UTF8.GetString(body));
                foreach (var href in document.QuerySelectorAll("a[href], link[rel=stylesheet], link[rel=prev], link[rel=next]")
                             .Select(a => a.GetAttribute("href")!))
                {
                    if (Internal(href) is { } next)
                    {
                        found.Add((next, path));
                    }
                }
            });

            frontier = [];
            foreach (var (url, _) in found)
            {
                if (depth.TryAdd(url, level + 1))
                {
                    frontier.Add(url);
                }
            }
        }

        var published = await PublishedSlugsAsync();
        var itemDepths = published.ToDictionary(slug => slug, slug => depth.TryGetValue("/c/" + slug, out var d) ? d : -1);
        var histogram = itemDepths.Values.Where(d => d >= 0).GroupBy(d => d).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} clicks: {g.Count()}");
        output.WriteLine($"Crawled {pages} HTML pages ({depth.Count} distinct URLs) from /, {published.Count} published items.");
        output.WriteLine("Click depth of the items: " + string.Join(", ", histogram));
        output.WriteLine(large.IsEmpty ? "No page over 30 KB of gzip-compressed HTML." : "Over 30 KB gzip: " + string.Join("; ", large));

        Assert.Empty(broken);
        Assert.Empty(itemDepths.Where(p => p.Value < 0).Select(p => p.Key));
        Assert.Equal(CrawlFixture.Items, published.Count);
        Assert.DoesNotContain(depth.Keys, url => url.StartsWith("/c/private-", StringComparison.Ordinal) || url.StartsWith("/@creator101", StringComparison.Ordinal));
        var withinFour = itemDepths.Values.Count(d => d <= 4);
        Assert.True(withinFour * 2 > published.Count, $"only {withinFour} of {published.Count} items are within 4 clicks of /");
        Assert.Empty(large);
    }

    [Fact]
    public async Task Every_url_in_the_sitemap_answers_200_and_it_lists_the_category_and_tag_pages()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = api.BaseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        XNamespace ns = SitemapNamespace;
        var index = XDocument.Parse(await client.GetStringAsync("/sitemap.xml"));
        var urls = new List<string>();
        foreach (var loc in index.Root!.Elements(ns + "sitemap").Select(s => new Uri(s.Element(ns + "loc")!.Value)))
        {
            var shard = XDocument.Parse(await client.GetStringAsync(loc.PathAndQuery));
            urls.AddRange(shard.Root!.Elements(ns + "url").Select(u => new Uri(u.Element(ns + "loc")!.Value).PathAndQuery));
        }

        var failed = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(urls, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (path, ct) =>
        {
            using var response = await client.GetAsync(path, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failed.Add($"{path} → {(int)response.StatusCode}");
            }
        });

        Assert.Empty(failed);
        Assert.Equal(urls.Count, urls.Distinct().Count());
        var published = await PublishedSlugsAsync();
        Assert.Equal(published.Select(s => "/c/" + s).Order(), urls.Where(u => u.StartsWith("/c/", StringComparison.Ordinal)).Order());
        Assert.Equal(100, urls.Count(u => u.StartsWith("/@", StringComparison.Ordinal))); // not the private creator101
        Assert.Equal(15, urls.Count(u => u.StartsWith("/category/", StringComparison.Ordinal))); // every category has public items
        Assert.Equal(40, urls.Count(u => u.StartsWith("/tag/", StringComparison.Ordinal))); // tag0 … tag39
        Assert.Contains("/category/technology", urls);
        Assert.Contains("/tag/tag7", urls);
    }

    private const string SitemapNamespace = "http://www.sitemaps.org/schemas/sitemap/0.9";

    private string? Internal(string href)
    {
        if (href.StartsWith("//", StringComparison.Ordinal))
        {
            return null;
        }

        if (href.StartsWith('/'))
        {
            return href.Split('#')[0];
        }

        return Uri.TryCreate(href, UriKind.Absolute, out var uri) && uri.Authority == api.BaseAddress.Authority ? uri.PathAndQuery : null;
    }

    private static int Gzip(byte[] body)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return (int)buffer.Length;
    }

    private async Task<List<string>> PublishedSlugsAsync()
    {
        await using var command = api.DataSource.CreateCommand("""
            SELECT c.slug FROM content_item c JOIN users u ON u.id = c.creator_id
            WHERE c.status = 'published' AND u.is_public AND u.username IS NOT NULL
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var slugs = new List<string>();
        while (await reader.ReadAsync())
        {
            slugs.Add(reader.GetString(0));
        }

        return slugs;
    }
}
