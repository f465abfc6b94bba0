using System.Net;
using System.Text.Json;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Seo;

/// <summary>
/// A small site: 30 technology items by "lena" (so the category has two pages of 24), tagged "robots" every other one,
/// one YouTube item with a real-looking id, a feed item with an audio enclosure, trending rows and a featured creator.
/// </summary>
public sealed class SiteFixture : DiscoveryHost
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public List<(Guid Id, string Slug)> Technology { get; } = [];
    public (Guid Id, string Slug) YouTube { get; private set; }
    public (Guid Id, string Slug) Podcast { get; private set; }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var lena = await data.CreatorAsync("lena", displayName: "Lena Lab", bio: "Robots, servos and solder.");
        var omar = await data.CreatorAsync("omar", displayName: "Omar Audio");
        for (var i = 0; i < 30; i++)
        {
            Technology.Add(await data.ItemAsync(lena, $"Servo build log part {i}", publishedAt: Start.AddHours(i), category: "technology",
                tags: i % 2 == 0 ? ["robots"] : [], clicks: i, description: $"Entry {i} of the build log."));
        }

        YouTube = await data.ItemAsync(lena, "Walking hexapod demo", publishedAt: Start.AddDays(5), category: "technology", tags: ["robots", "hexapod"]);
        await data.ExecuteAsync("UPDATE content_item SET external_id = 'dQw4w9WgXcQ' WHERE id = @id", ("id", YouTube.Id));
        Podcast = await data.ItemAsync(omar, "Episode 12: soldering", publishedAt: Start.AddDays(6), platform: "feed", category: "science", tags: ["soldering"]);
        await data.ExecuteAsync(
            "INSERT INTO content_media (content_id, kind, url, content_type, position) VALUES (@id, 'audio', 'https://cdn.example/ep12.mp3', 'audio/mpeg', 0)",
            ("id", Podcast.Id));
        await data.ExecuteAsync("""
            INSERT INTO trending_content (content_id, time_window, category_id, score, click_count, rank)
            SELECT id, '24h', category_id, click_count + 1, click_count, NULL FROM content_item WHERE creator_id = @creator
            """, ("creator", lena));
        await data.ExecuteAsync("INSERT INTO featured_creator (user_id, position) VALUES (@id, 1)", ("id", omar));
    }
}

public sealed class SitePagesTests(SiteFixture api) : IClassFixture<SiteFixture>
{
    private static IDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    private static string? Meta(IDocument document, string key) =>
        document.QuerySelector($"meta[property='{key}'], meta[name='{key}']")?.GetAttribute("content");

    private string Origin => api.BaseAddress.ToString().TrimEnd('/');

    private async Task<(HttpResponseMessage Response, IDocument Document)> GetPageAsync(string path)
    {
        using var client = api.CreateClient();
        var response = await client.GetAsync(path);
        return (response, Parse(await response.Content.ReadAsStringAsync()));
    }

    private static List<string> Hrefs(IDocument page, string selector = "main a[href^='/']") =>
        page.QuerySelectorAll(selector).Select(a => a.GetAttribute("href")!).ToList();

    [Fact]
    public async Task Home_shows_trending_featured_creators_categories_and_newest_in_the_layout()
    {
        var (response, page) = await GetPageAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        Assert.Contains("max-age", response.Headers.CacheControl!.ToString());
        Assert.Equal($"{Origin}/", page.QuerySelector("link[rel=canonical]")!.GetAttribute("href"));
        Assert.NotNull(page.QuerySelector("section#trending, h2#trending"));
        Assert.Contains("/@omar", Hrefs(page));
        Assert.Contains("/category/technology", Hrefs(page));
        Assert.Equal(15, page.QuerySelectorAll("section[aria-labelledby=categories] a").Length);
        Assert.Contains("/c/" + api.Podcast.Slug, Hrefs(page)); // newest
        Assert.Equal("/", page.QuerySelector("header a.brand")!.GetAttribute("href"));
        Assert.Equal("/search", page.QuerySelector("form[role=search]")!.GetAttribute("action"));
        Assert.NotNull(Meta(page, "og:image"));
        Assert.Equal("WebSite", JsonDocument.Parse(page.QuerySelector("script[type='application/ld+json']")!.TextContent).RootElement.GetProperty("@type").GetString());
    }

    [Fact]
    public async Task Category_pages_are_keyset_paginated_with_rel_next_and_prev_and_page_one_canonical_has_no_cursor()
    {
        var (first, page1) = await GetPageAsync("/category/technology");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal($"{Origin}/category/technology", page1.QuerySelector("link[rel=canonical]")!.GetAttribute("href"));
        Assert.Null(page1.QuerySelector("link[rel=prev]"));
        Assert.Equal(24, page1.QuerySelectorAll("ul.grid > li").Length);
        var next = page1.QuerySelector("a[rel=next]")!.GetAttribute("href")!;
        Assert.Equal(Origin + next, page1.QuerySelector("link[rel=next]")!.GetAttribute("href"));
        Assert.StartsWith("/category/technology?cursor=", next);

        var (_, page2) = await GetPageAsync(next);
        Assert.Equal(7, page2.QuerySelectorAll("ul.grid > li").Length); // 31 technology items
        Assert.Null(page2.QuerySelector("a[rel=next]"));
        Assert.Equal(Origin + next, page2.QuerySelector("link[rel=canonical]")!.GetAttribute("href"));
        var prev = page2.QuerySelector("a[rel=prev]")!.GetAttribute("href")!;
        Assert.StartsWith("/category/technology?before=", prev);

        var (_, back) = await GetPageAsync(prev);
        var firstTitles = page1.QuerySelectorAll("ul.grid .t").Select(t => t.TextContent).ToList();
        Assert.Equal(firstTitles, back.QuerySelectorAll("ul.grid .t").Select(t => t.TextContent).ToList());
        Assert.Null(back.QuerySelector("a[rel=prev]")); // walked back to the start: page 1 again
        Assert.Equal($"{Origin}/category/technology", back.QuerySelector("link[rel=canonical]")!.GetAttribute("href"));

        var (_, popular) = await GetPageAsync("/category/technology?sort=popular");
        Assert.Equal("Servo build log part 29", popular.QuerySelector("ul.grid .t")!.TextContent);
        var (_, trending) = await GetPageAsync("/category/technology?sort=trending");
        Assert.StartsWith("/category/technology?sort=trending&cursor=", trending.QuerySelector("a[rel=next]")!.GetAttribute("href"));
        Assert.Equal("BreadcrumbList", JsonDocument.Parse(page1.QuerySelectorAll("script[type='application/ld+json']").Last().TextContent)
            .RootElement.GetProperty("@type").GetString());
    }

    [Theory]
    [InlineData("/category/technology?cursor=not-a-cursor")]
    [InlineData("/category/technology?sort=bogus")]
    [InlineData("/category/technology?sort=popular&cursor=cnwxfDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA")]
    [InlineData("/tag/robots?before=%F0%9F%98%80")]
    [InlineData("/@lena?cursor=AAAA&before=AAAA")]
    public async Task A_bad_cursor_or_sort_is_a_400_page_in_the_layout(string path)
    {
        var (response, page) = await GetPageAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("noindex", Meta(page, "robots"));
        Assert.NotNull(page.QuerySelector("header a.brand"));
    }

    [Theory]
    [InlineData("/category/no-such-category")]
    [InlineData("/tag/nobody-uses-this")]
    [InlineData("/no/such/page")]
    [InlineData("/c/")]
    public async Task Unknown_pages_are_the_404_page_in_the_layout(string path)
    {
        var (response, page) = await GetPageAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("noindex", Meta(page, "robots"));
        Assert.Equal("Not found", page.QuerySelector("h1")!.TextContent);
        Assert.NotNull(page.QuerySelector("link[rel=stylesheet]"));
    }

    [Fact]
    public async Task Unknown_api_paths_stay_problem_details()
    {
        using var client = api.CreateClient();
        using var response = await client.GetAsync("/api/no-such-endpoint");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Tag_page_lists_tagged_items_and_tags_on_items_link_to_it()
    {
        var (response, page) = await GetPageAsync("/tag/robots");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("#robots", page.QuerySelector("h1")!.TextContent);
        Assert.Equal(16, page.QuerySelectorAll("ul.grid > li").Length); // 15 build logs + the hexapod

        // Nothing tagged soldering is trending, but the tag exists: its trending tab is an empty list, not a broken link.
        var (trending, empty) = await GetPageAsync("/tag/soldering?sort=trending");
        Assert.Equal(HttpStatusCode.OK, trending.StatusCode);
        Assert.Empty(empty.QuerySelectorAll("ul.grid > li"));
        Assert.NotNull(empty.QuerySelector("p.empty"));

        var (_, item) = await GetPageAsync("/c/" + api.YouTube.Slug);
        Assert.Equal(new[] { "/tag/hexapod", "/tag/robots" }, item.QuerySelectorAll("ul.tags a").Select(a => a.GetAttribute("href")!).ToArray());
        Assert.Contains(item.QuerySelectorAll("p.meta a"), a => a.GetAttribute("href") == "/category/technology");
    }

    [Fact]
    public async Task Item_page_embeds_youtube_nocookie_without_loading_it_and_shows_creator_card_related_and_breadcrumbs()
    {
        var (response, page) = await GetPageAsync("/c/" + api.YouTube.Slug);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var frame = page.QuerySelector(".player iframe")!;
        Assert.Null(frame.GetAttribute("src")); // nothing from YouTube loads until the visitor presses play
        Assert.False(string.IsNullOrEmpty(frame.GetAttribute("title")));
        var inner = Parse(frame.GetAttribute("srcdoc")!);
        Assert.Equal("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1", inner.QuerySelector("a")!.GetAttribute("href"));
        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-src https://www.youtube-nocookie.com", csp);

        Assert.Equal("/@lena", page.QuerySelector("section.creator a")!.GetAttribute("href"));
        Assert.Equal(6, page.QuerySelectorAll("section[aria-labelledby=more] ul.grid > li").Length);
        var related = page.QuerySelectorAll("section[aria-labelledby=related] a.item").Select(a => a.GetAttribute("href")).ToList();
        Assert.DoesNotContain("/c/" + api.YouTube.Slug, related);
        Assert.Equal(6, related.Count); // "hexapod" has no other item: filled from "robots", then technology

        var crumbs = page.QuerySelectorAll("script[type='application/ld+json']")
            .Select(s => JsonDocument.Parse(s.TextContent).RootElement)
            .Single(e => e.GetProperty("@type").GetString() == "BreadcrumbList");
        var names = crumbs.GetProperty("itemListElement").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal(new List<string?> { "Home", "Technology", "Walking hexapod demo" }, names);
        Assert.Equal(Origin + "/category/technology", crumbs.GetProperty("itemListElement")[1].GetProperty("item").GetString());
        Assert.Equal(["/", "/category/technology", "/c/" + api.YouTube.Slug], Hrefs(page, "nav.crumbs a"));
    }

    [Fact]
    public async Task A_feed_item_plays_its_enclosure_and_links_out()
    {
        var (_, page) = await GetPageAsync("/c/" + api.Podcast.Slug);

        Assert.Equal("https://cdn.example/ep12.mp3", page.QuerySelector("audio[controls]")!.GetAttribute("src"));
        Assert.Equal("ugc nofollow noopener", page.QuerySelector("a.original")!.GetAttribute("rel"));
        Assert.Empty(page.QuerySelectorAll("iframe"));
    }

    [Fact]
    public async Task Creator_page_paginates_their_content()
    {
        var (_, page1) = await GetPageAsync("/@lena");
        Assert.Equal(24, page1.QuerySelectorAll("ul.content > li").Length);
        var next = page1.QuerySelector("a[rel=next]")!.GetAttribute("href")!;
        Assert.StartsWith("/@lena?cursor=", next);

        var (response, page2) = await GetPageAsync(next);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(7, page2.QuerySelectorAll("ul.content > li").Length);
        Assert.NotNull(page2.QuerySelector("link[rel=prev]"));
    }

    [Fact]
    public async Task Search_page_ranks_results_shows_the_correction_and_is_noindex()
    {
        var (response, page) = await GetPageAsync("/search?q=hexapod");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("noindex", Meta(page, "robots"));
        Assert.Equal("/c/" + api.YouTube.Slug, page.QuerySelector("ul.grid a.item")!.GetAttribute("href"));
        Assert.Equal("hexapod", page.QuerySelector("#site-search")!.GetAttribute("value"));

        var (_, corrected) = await GetPageAsync("/search?q=hexapd");
        Assert.Contains("showing results for", corrected.QuerySelector("main")!.TextContent);
        Assert.Equal("hexapod", corrected.QuerySelector("main p strong")!.TextContent);

        var (_, empty) = await GetPageAsync("/search?q=zzzzqqqq");
        Assert.Contains("Nothing matches", empty.QuerySelector("main")!.TextContent);
        var (_, blank) = await GetPageAsync("/search");
        Assert.Equal("Search", blank.QuerySelector("h1")!.TextContent);
    }

    [Theory]
    [InlineData("/search?q=%00%00")]
    [InlineData("/search?q=%ED%A0%80")]
    [InlineData("/search?q=a&q=b&q=%22%22%22%20or%20or%20-")]
    [InlineData("/tag/%25%25%25")]
    [InlineData("/tag/%00")]
    [InlineData("/category/%E2%80%AE")]
    [InlineData("/@%F0%9F%98%80?cursor=%00")]
    public async Task Odd_input_never_makes_a_500(string path)
    {
        using var client = api.CreateClient();
        using var response = await client.GetAsync(path);

        Assert.True((int)response.StatusCode < 500, $"{path}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Long_query_strings_never_make_a_500()
    {
        using var client = api.CreateClient();
        foreach (var path in new[] { "/search?q=" + new string('x', 5000), "/category/technology?cursor=" + new string('A', 3000), "/tag/" + new string('t', 500) })
        {
            using var response = await client.GetAsync(path);
            Assert.True((int)response.StatusCode < 500, $"{path[..30]}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task The_one_style_sheet_is_content_hashed_and_cached_immutably_and_every_page_has_an_og_image()
    {
        using var client = api.CreateClient();
        var hrefs = new List<string>();
        foreach (var path in new[] { "/", "/category/science", "/tag/robots", "/search?q=servo", "/c/" + api.Podcast.Slug, "/@omar", "/nope" })
        {
            var (_, page) = await GetPageAsync(path);
            hrefs.Add(page.QuerySelector("link[rel=stylesheet]")!.GetAttribute("href")!);
            Assert.StartsWith("http", Meta(page, "og:image"));
        }

        var href = Assert.Single(hrefs.Distinct());
        Assert.Matches("^/assets/site\\.[0-9a-f]{12}\\.css$", href);
        using var css = await client.GetAsync(href);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Contains(css.Headers.CacheControl!.Extensions, e => e.Name == "immutable");
        Assert.Equal(TimeSpan.FromDays(365), css.Headers.CacheControl.MaxAge);
        Assert.Contains("prefers-color-scheme:dark", await css.Content.ReadAsStringAsync());

        var (_, search) = await GetPageAsync("/search"); // no picture of its own: the fixed 1200x630 share image
        Assert.Equal("1200", Meta(search, "og:image:width"));
        using var image = await client.GetAsync(new Uri(Meta(search, "og:image")!).PathAndQuery);
        Assert.Equal("image/png", image.Content.Headers.ContentType?.MediaType);
        using var stale = await client.GetAsync("/assets/site.000000000000.css");
        Assert.Equal(HttpStatusCode.NotFound, stale.StatusCode);
    }
}
