using System.Net;
using AngleSharp.Html.Parser;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Seo;

/// <summary>
/// One creator whose item carries the free-text tags a platform or the AI tagger can give: a slash, markup, dot
/// segments, a percent sign, a question mark, non-ASCII letters.
/// </summary>
public sealed class OddTagsFixture : DiscoveryHost
{
    public static readonly string[] Tags = ["ac/dc", "<b>x</b>", "c#", "100%", "what?", "été", "a b", "x.css", "100%2f", ".", ".."];

    public (Guid Id, string Slug) Item { get; private set; }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var rosa = await data.CreatorAsync("rosa", displayName: "Rosa");
        Item = await data.ItemAsync(rosa, "Tagged every which way", category: "music", tags: Tags);
    }
}

/// <summary>What a link checker, a crawler and a visitor clicking a tag do to the site (review of issue 13).</summary>
public sealed class SiteReviewTests(OddTagsFixture api) : IClassFixture<OddTagsFixture>
{
    [Fact]
    public async Task Every_tag_link_on_an_item_page_opens_that_tags_page()
    {
        using var client = api.CreateClient();
        var itemUrl = new Uri(api.BaseAddress, "/c/" + api.Item.Slug);
        var page = new HtmlParser().ParseDocument(await client.GetStringAsync(itemUrl));

        var links = page.QuerySelectorAll("ul.tags a[rel=tag]").ToList();
        Assert.Equal(OddTagsFixture.Tags.Length - 2, links.Count);
        foreach (var link in links)
        {
            var target = new Uri(itemUrl, link.GetAttribute("href")); // resolved as a browser does (dot segments too)
            using var response = await client.GetAsync(target);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{target} answered {(int)response.StatusCode}");
            var tagPage = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
            Assert.Equal("#" + link.TextContent, tagPage.QuerySelector("h1")!.TextContent);
            Assert.Equal(target.AbsoluteUri, tagPage.QuerySelector("link[rel=canonical]")!.GetAttribute("href"));
        }

        // "." and ".." cannot be a path segment (every URL parser resolves them): shown, not linked.
        var unlinked = page.QuerySelectorAll("ul.tags li").Where(li => li.QuerySelector("a") is null).Select(li => li.TextContent).ToList();
        Assert.Equal([".", ".."], unlinked.Order().ToList());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/category/music")]
    [InlineData("/tag/c%23")]
    [InlineData("/search?q=tagged")]
    [InlineData("/@rosa")]
    [InlineData("/robots.txt")]
    [InlineData("/sitemap.xml")]
    [InlineData("/api/public/content")]
    public async Task Head_answers_as_get_does_without_the_body(string path)
    {
        using var client = api.CreateClient();
        using var get = await client.GetAsync(path);
        var getBody = await get.Content.ReadAsByteArrayAsync();
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(get.StatusCode, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        if (!path.EndsWith(".txt", StringComparison.Ordinal)) // robots.txt is written as it goes (chunked), the rest from cached bytes
        {
            Assert.Equal(getBody.Length, head.Content.Headers.ContentLength);
        }

        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Equal(get.Headers.CacheControl, head.Headers.CacheControl);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        using var conditional = new HttpRequestMessage(HttpMethod.Head, path);
        if (get.Headers.ETag is { } etag)
        {
            conditional.Headers.IfNoneMatch.Add(etag);
            using var notModified = await client.SendAsync(conditional);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }
    }

    [Fact]
    public async Task Head_of_the_stylesheet_and_of_an_item_answers_200_and_of_an_unknown_page_404()
    {
        using var client = api.CreateClient();
        var home = new HtmlParser().ParseDocument(await client.GetStringAsync("/"));
        var stylesheet = home.QuerySelector("link[rel=stylesheet]")!.GetAttribute("href")!;

        using var css = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, stylesheet));
        using var item = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/c/" + api.Item.Slug));
        using var missing = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/c/no-such-item"));
        using var missingApi = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/public/content/no-such-item"));

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.OK, item.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("text/html", missing.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, missingApi.StatusCode);
    }

    [Theory]
    [InlineData("/@rosa?sort=popular", HttpStatusCode.BadRequest)]
    [InlineData("/@rosa?sort=trending", HttpStatusCode.BadRequest)]
    [InlineData("/@rosa?sort=recent", HttpStatusCode.OK)]
    [InlineData("/category/music?sort=popular", HttpStatusCode.OK)]
    public async Task A_profile_lists_newest_first_only_so_no_unlinked_sorted_copy_of_it_is_a_page(string path, HttpStatusCode expected)
    {
        using var client = api.CreateClient();
        using var response = await client.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("/category/music")]
    [InlineData("/tag/c%23")]
    [InlineData("/@rosa")]
    public async Task A_page_past_the_end_of_a_list_is_noindex_and_links_back_to_page_one(string basePath)
    {
        var pastTheEnd = $"{basePath}?cursor={new FeedCursor('r', 1, 0, Guid.Empty).Encode()}"; // older than anything
        using var client = api.CreateClient();

        var first = new HtmlParser().ParseDocument(await client.GetStringAsync(basePath));
        using var response = await client.GetAsync(pastTheEnd);
        var empty = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());

        Assert.Null(first.QuerySelector("meta[name=robots]"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(empty.QuerySelectorAll("ul.grid > li"));
        Assert.Equal("noindex", empty.QuerySelector("meta[name=robots]")?.GetAttribute("content"));
        Assert.Equal(basePath, empty.QuerySelector("a[rel=prev]")!.GetAttribute("href"));
    }
}
