using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Seo;

public sealed class SeoFixture : DiscoveryHost
{
    public const string EvilTitle = "Tricks & \"quotes\" <img src=x onerror=\"document.title='pwned'\"></title><script>document.title='pwned'</script>";

    public (Guid Id, string Slug) Video { get; private set; }
    public (Guid Id, string Slug) Evil { get; private set; }
    public (Guid Id, string Slug) Article { get; private set; }
    public (Guid Id, string Slug) Hidden { get; private set; }
    public (Guid Id, string Slug) Private { get; private set; }
    public List<string> PublicSlugs { get; } = [];

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:SitemapShardSize"] = "2";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var maya = await data.CreatorAsync("maya", displayName: "Maya <Makes> Things", bio: "I build \"robots\" & film it.");
        await data.ExecuteAsync(
            "UPDATE users SET avatar_url = 'https://img.example/maya.png', website_url = 'https://maya.example', social_links = '{\"youtube\":\"https://youtube.example/@maya\",\"bad\":\"javascript:alert(1)\"}' WHERE username = 'maya'");
        var hidden = await data.CreatorAsync("ghost", isPublic: false);
        var at = new DateTimeOffset(2026, 4, 2, 9, 30, 0, TimeSpan.Zero);
        Video = await data.ItemAsync(maya, "Building a walking robot", publishedAt: at, category: "technology", tags: ["robots", "diy"],
            description: "Six legs, two motors and a lot of patience.\nPart one of the series.");
        await data.ExecuteAsync("UPDATE content_item SET duration_seconds = 754, view_count = 12345 WHERE id = @id", ("id", Video.Id));
        Evil = await data.ItemAsync(maya, EvilTitle, publishedAt: at.AddDays(1), category: "technology",
            description: "</script><script>document.title='pwned'</script> \"quoted\" & more");
        Article = await data.ItemAsync(maya, "Notes on servo motors", publishedAt: at.AddDays(2), platform: "feed", category: "science",
            description: "A written deep dive.");
        await data.ExecuteAsync(
            "UPDATE content_item SET duration_seconds = NULL, url = 'https://blog.example/servo', canonical_url = 'https://elsewhere.example/servo' WHERE id = @id",
            ("id", Article.Id));
        Hidden = await data.ItemAsync(maya, "Unpublished draft", status: "unpublished", publishedAt: at, category: "gaming", tags: ["drafts"]);
        Private = await data.ItemAsync(hidden, "Ghost video", publishedAt: at, category: "entertainment", tags: ["ghosts"]);
        PublicSlugs.AddRange([Video.Slug, Evil.Slug, Article.Slug]);
        for (var i = 0; i < 4; i++)
        {
            PublicSlugs.Add((await data.ItemAsync(maya, $"Filler {i}", publishedAt: at.AddDays(-i - 1))).Slug);
        }
    }
}

public sealed class SeoPagesTests(SeoFixture api) : IClassFixture<SeoFixture>
{
    private static IDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    private static string? Meta(IDocument document, string key) =>
        document.QuerySelector($"meta[property='{key}'], meta[name='{key}']")?.GetAttribute("content");

    private static JsonElement JsonLd(IDocument document) =>
        JsonDocument.Parse(document.QuerySelector("script[type='application/ld+json']")!.TextContent).RootElement.Clone();

    private async Task<(HttpResponseMessage Response, IDocument Document)> GetPageAsync(string path)
    {
        using var client = api.CreateClient();
        var response = await client.GetAsync(path);
        return (response, Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Content_page_has_title_description_canonical_open_graph_twitter_and_video_json_ld()
    {
        var (response, page) = await GetPageAsync("/c/" + api.Video.Slug);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal("Building a walking robot – Maya <Makes> Things", page.Title);
        Assert.Equal("Six legs, two motors and a lot of patience. Part one of the series.", Meta(page, "description"));
        var canonical = page.QuerySelector("link[rel=canonical]")!.GetAttribute("href");
        Assert.Equal($"{api.BaseAddress.ToString().TrimEnd('/')}/c/{api.Video.Slug}", canonical);
        Assert.Equal(canonical, Meta(page, "og:url"));
        Assert.Equal("video.other", Meta(page, "og:type"));
        Assert.Equal(page.Title, Meta(page, "og:title"));
        Assert.StartsWith("https://img.example/", Meta(page, "og:image"));
        Assert.Equal("summary_large_image", Meta(page, "twitter:card"));
        Assert.Equal("Building a walking robot", page.QuerySelector("h1")!.TextContent);
        Assert.Contains(page.QuerySelectorAll("ul.tags li"), li => li.TextContent == "robots");

        var ld = JsonLd(page);
        Assert.Equal("VideoObject", ld.GetProperty("@type").GetString());
        Assert.Equal("Building a walking robot", ld.GetProperty("name").GetString());
        Assert.Equal("2026-04-02T09:30:00Z", ld.GetProperty("uploadDate").GetString());
        Assert.Equal("PT12M34S", ld.GetProperty("duration").GetString());
        Assert.Equal("Maya <Makes> Things", ld.GetProperty("author").GetProperty("name").GetString());
        Assert.Equal(12345, ld.GetProperty("interactionStatistic").GetProperty("userInteractionCount").GetInt64());
    }

    [Fact]
    public async Task Feed_items_are_articles_and_text_from_the_database_is_encoded_everywhere()
    {
        var (_, article) = await GetPageAsync("/c/" + api.Article.Slug);
        Assert.Equal("Article", JsonLd(article).GetProperty("@type").GetString());
        Assert.Equal("article", Meta(article, "og:type"));

        using var client = api.CreateClient();
        var raw = await client.GetStringAsync("/c/" + api.Evil.Slug);
        var page = Parse(raw);
        Assert.All(page.QuerySelectorAll("script"), script => Assert.Equal("application/ld+json", script.GetAttribute("type"))); // only our JSON-LD
        Assert.Empty(page.QuerySelectorAll("img[onerror]"));
        Assert.DoesNotContain("<script>document.title", raw);
        Assert.Equal(SeoFixture.EvilTitle, page.QuerySelector("h1")!.TextContent);
        Assert.Equal(SeoFixture.EvilTitle, JsonLd(page).GetProperty("name").GetString());
        Assert.StartsWith(SeoFixture.EvilTitle, Meta(page, "og:title"));
    }

    [Theory]
    [InlineData("/c/{article}")]
    [InlineData("/@maya")]
    [InlineData("/c/no-such-page")]
    public async Task Html_pages_send_csp_nosniff_and_referrer_policy_and_no_hsts_over_http(string path)
    {
        var (response, page) = await GetPageAsync(path.Replace("{article}", api.Article.Slug, StringComparison.Ordinal));

        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("style-src 'self'", csp);
        Assert.Contains("form-action 'self'", csp);
        Assert.Empty(page.QuerySelectorAll("script:not([type='application/ld+json'])"));
        Assert.Empty(page.QuerySelectorAll("[style]"));
        Assert.Single(page.QuerySelectorAll("link[rel=stylesheet]"));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task The_canonical_url_is_always_ours_and_user_links_are_ugc_nofollow_noopener()
    {
        var (_, article) = await GetPageAsync("/c/" + api.Article.Slug);
        var (_, creator) = await GetPageAsync("/@maya");

        Assert.Equal($"{api.BaseAddress.ToString().TrimEnd('/')}/c/{api.Article.Slug}", article.QuerySelector("link[rel=canonical]")!.GetAttribute("href"));
        var original = article.QuerySelector("a.original")!;
        Assert.Equal("https://blog.example/servo", original.GetAttribute("href"));
        Assert.Equal("ugc nofollow noopener", original.GetAttribute("rel"));
        var outbound = creator.QuerySelectorAll("a[href^='http']").Where(a => !a.GetAttribute("href")!.StartsWith(api.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(outbound);
        Assert.All(outbound, a => Assert.Equal("ugc nofollow noopener", a.GetAttribute("rel")));
    }

    [Fact]
    public async Task Creator_page_has_person_json_ld_safe_links_and_content_links()
    {
        var (response, page) = await GetPageAsync("/@maya");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Maya <Makes> Things (@maya) – Creator Discovery", page.Title);
        Assert.Equal("I build \"robots\" & film it.", Meta(page, "description"));
        Assert.Equal("profile", Meta(page, "og:type"));
        Assert.EndsWith("/@maya", page.QuerySelector("link[rel=canonical]")!.GetAttribute("href"));
        var ld = JsonLd(page);
        Assert.Equal("ProfilePage", ld.GetProperty("@type").GetString());
        var person = ld.GetProperty("mainEntity");
        Assert.Equal("Person", person.GetProperty("@type").GetString());
        var sameAs = person.GetProperty("sameAs").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("https://maya.example/", sameAs);
        Assert.DoesNotContain(sameAs, s => s!.StartsWith("javascript", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(page.QuerySelectorAll("a[href^='javascript']"));
        var links = page.QuerySelectorAll("ul.content a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(api.PublicSlugs.Count, links.Count);
        Assert.DoesNotContain("/c/" + api.Hidden.Slug, links);
    }

    [Theory]
    [InlineData("/c/{hidden}")]
    [InlineData("/c/{private}")]
    [InlineData("/c/no-such-page")]
    [InlineData("/@ghost")]
    [InlineData("/@nobody")]
    public async Task Hidden_or_unknown_pages_are_404_html_with_noindex(string template)
    {
        var path = template.Replace("{hidden}", api.Hidden.Slug).Replace("{private}", api.Private.Slug);

        var (response, page) = await GetPageAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("noindex", Meta(page, "robots"));
        Assert.Equal("Not found", page.QuerySelector("h1")!.TextContent);
    }

    [Fact]
    public async Task Sitemap_index_points_to_shards_of_at_most_the_shard_size_covering_every_public_url_once()
    {
        using var client = api.CreateClient();
        XNamespace ns = "http://www.sitemaps.org/schemas/sitemap/0.9";

        using var indexResponse = await client.GetAsync("/sitemap.xml");
        Assert.Equal(HttpStatusCode.OK, indexResponse.StatusCode);
        Assert.Equal("application/xml", indexResponse.Content.Headers.ContentType?.MediaType);
        var index = XDocument.Parse(await indexResponse.Content.ReadAsStringAsync());
        Assert.Equal(ns + "sitemapindex", index.Root!.Name);
        var shards = index.Root.Elements(ns + "sitemap").ToList();
        Assert.All(shards, s => Assert.True(DateTimeOffset.TryParse(s.Element(ns + "lastmod")!.Value, out _)));

        var urls = new List<string>();
        foreach (var loc in shards.Select(s => new Uri(s.Element(ns + "loc")!.Value)))
        {
            var shard = XDocument.Parse(await client.GetStringAsync(loc.PathAndQuery));
            var entries = shard.Root!.Elements(ns + "url").ToList();
            Assert.InRange(entries.Count, 1, 2);
            Assert.All(entries, e => Assert.NotNull(e.Element(ns + "lastmod")));
            urls.AddRange(entries.Select(e => new Uri(e.Element(ns + "loc")!.Value).AbsolutePath));
        }

        Assert.Equal(urls.Count, urls.Distinct().Count());
        // The category and tag pages with a public item are listed too; not those of only the draft (gaming, drafts)
        // or only the private creator's item (entertainment, ghosts).
        var expected = api.PublicSlugs.Select(s => "/c/" + s)
            .Concat(["/@maya", "/category/technology", "/category/science", "/tag/robots", "/tag/diy"]).Order().ToList();
        Assert.Equal(expected, urls.Order().ToList());
        Assert.Equal(7, shards.Count); // 7 items in shards of 2 -> 4, 1 creator shard, 1 category file, 1 tag file

        using var missing = await client.GetAsync("/sitemaps/content-99.xml");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Robots_txt_opens_pages_closes_the_api_and_names_the_sitemap()
    {
        using var client = api.CreateClient();

        var robots = await client.GetStringAsync("/robots.txt");

        Assert.Contains("User-agent: *", robots);
        Assert.Contains("Disallow: /api/", robots);
        Assert.Contains($"Sitemap: {api.BaseAddress.ToString().TrimEnd('/')}/sitemap.xml", robots);
    }

    [Fact]
    public async Task Headless_chromium_sees_the_page_a_crawler_and_a_link_preview_read_and_runs_no_injected_script()
    {
        var dom = Parse(await Chromium.DumpDomAsync(new Uri(api.BaseAddress, "/c/" + api.Video.Slug)));

        Assert.Equal("Building a walking robot – Maya <Makes> Things", dom.Title);
        Assert.Equal("Building a walking robot", dom.QuerySelector("h1")?.TextContent);
        Assert.Equal("video.other", Meta(dom, "og:type"));
        Assert.Equal("summary_large_image", Meta(dom, "twitter:card"));
        Assert.Equal("VideoObject", JsonLd(dom).GetProperty("@type").GetString());
        Assert.Contains("Six legs", dom.QuerySelector("article")!.TextContent);

        // The page whose title and description try to run script: in a real browser, the title stays the text.
        var evil = Parse(await Chromium.DumpDomAsync(new Uri(api.BaseAddress, "/c/" + api.Evil.Slug)));
        Assert.NotEqual("pwned", evil.Title);
        Assert.StartsWith(SeoFixture.EvilTitle, evil.Title);
        Assert.Equal(SeoFixture.EvilTitle, evil.QuerySelector("h1")?.TextContent);

        var profile = Parse(await Chromium.DumpDomAsync(new Uri(api.BaseAddress, "/@maya")));
        Assert.Equal("Person", JsonLd(profile).GetProperty("mainEntity").GetProperty("@type").GetString());
        Assert.Equal(api.PublicSlugs.Count, profile.QuerySelectorAll("ul.content a").Length);
    }
}
