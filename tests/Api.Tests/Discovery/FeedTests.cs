using System.Net;
using System.Text.Json;

namespace Platform.Api.Tests.Discovery;

public sealed class FeedFixture : DiscoveryHost
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Slugs of the 25 visible items, newest first.</summary>
    public List<string> VisibleNewestFirst { get; } = [];

    public string HiddenUnpublished { get; private set; } = "";
    public string HiddenPrivate { get; private set; } = "";
    public string HiddenDraft { get; private set; } = "";

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var alice = await data.CreatorAsync("alice");
        var bob = await data.CreatorAsync("bob");
        var hidden = await data.CreatorAsync("hidden_creator", isPublic: false);
        var created = new List<(string Slug, DateTimeOffset At)>();
        for (var i = 0; i < 25; i++)
        {
            // Items 10-13 share one timestamp: the id breaks the tie, so pages must neither repeat nor skip them.
            var at = i is >= 10 and <= 13 ? Start.AddHours(10) : Start.AddHours(i);
            var (_, slug) = await data.ItemAsync(
                i % 2 == 0 ? alice : bob,
                $"Item number {i}",
                publishedAt: at,
                category: i % 3 == 0 ? "gaming" : "music",
                platform: i % 5 == 0 ? "feed" : "youtube",
                tags: i % 4 == 0 ? ["speedrun"] : ["chill"],
                clicks: (i * 7) % 11);
            created.Add((slug, at));
        }

        VisibleNewestFirst.AddRange(created.OrderByDescending(c => c.At).ThenByDescending(c => Guid.Empty).Select(c => c.Slug));
        HiddenUnpublished = (await data.ItemAsync(alice, "Unpublished thing", status: "unpublished", publishedAt: Start.AddDays(5), category: "gaming")).Slug;
        HiddenDraft = (await data.ItemAsync(alice, "Draft thing", status: "draft", category: "gaming")).Slug;
        HiddenPrivate = (await data.ItemAsync(hidden, "Private creator thing", publishedAt: Start.AddDays(5), category: "gaming")).Slug;
    }
}

public sealed class FeedTests(FeedFixture api) : IClassFixture<FeedFixture>
{
    private async Task<List<JsonElement>> AllPagesAsync(HttpClient client, string query, int limit)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = $"/api/public/content?{query}&limit={limit}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await client.GetJsonAsync(url);
            var pageItems = page.GetProperty("items").EnumerateArray().ToList();
            Assert.True(pageItems.Count <= limit);
            items.AddRange(pageItems);
            cursor = page.NextCursor();
            Assert.True(++pages < 100, "pagination does not end");
        }
        while (cursor is not null);
        return items;
    }

    [Theory]
    [InlineData("sort=recent", 4)]
    [InlineData("sort=recent", 7)]
    [InlineData("sort=popular", 3)]
    [InlineData("sort=recent&category=gaming", 2)]
    [InlineData("sort=popular&tag=speedrun", 2)]
    [InlineData("sort=recent&tag=speedrun", 2)]
    [InlineData("sort=recent&tag=chill", 3)]
    public async Task Pages_cover_every_visible_item_once_in_sort_order(string query, int limit)
    {
        using var client = api.CreateClient();

        var items = await AllPagesAsync(client, query, limit);

        var slugs = items.Select(i => i.GetProperty("slug").GetString()!).ToList();
        Assert.Equal(slugs.Count, slugs.Distinct().Count());
        var single = await client.GetJsonAsync($"/api/public/content?{query}&limit=100");
        Assert.Equal(single.Slugs(), slugs);
        Assert.Null(single.NextCursor());

        if (query.Contains("popular"))
        {
            var clicks = items.Select(i => i.GetProperty("click_count").GetInt64()).ToList();
            Assert.Equal(clicks.OrderByDescending(c => c), clicks);
        }
        else
        {
            var dates = items.Select(i => i.GetProperty("published_at").GetDateTimeOffset()).ToList();
            Assert.Equal(dates.OrderByDescending(d => d), dates);
        }
    }

    [Fact]
    public async Task Recent_feed_is_exactly_the_visible_items_newest_first()
    {
        using var client = api.CreateClient();

        var items = await AllPagesAsync(client, "sort=recent", 5);

        var slugs = items.Select(i => i.GetProperty("slug").GetString()!).ToList();
        Assert.Equal(25, slugs.Count);
        Assert.Equal(api.VisibleNewestFirst.ToHashSet(), slugs.ToHashSet());
        Assert.DoesNotContain(api.HiddenUnpublished, slugs);
        Assert.DoesNotContain(api.HiddenPrivate, slugs);
        Assert.DoesNotContain(api.HiddenDraft, slugs);
        var first = items[0];
        Assert.Equal("Item number 24", first.GetProperty("title").GetString());
        Assert.Equal("alice", first.GetProperty("creator").GetProperty("username").GetString());
        Assert.Equal("gaming", first.GetProperty("category").GetString());
    }

    [Theory]
    [InlineData("category=gaming", 9)]
    [InlineData("category=music", 16)]
    [InlineData("category=no-such-category", 0)]
    [InlineData("tag=speedrun", 7)]
    [InlineData("tag=SPEEDRUN", 7)]
    [InlineData("platform=feed", 5)]
    [InlineData("creator=alice", 13)]
    [InlineData("creator=Bob", 12)]
    [InlineData("creator=hidden_creator", 0)]
    [InlineData("category=gaming&creator=alice&platform=youtube", 4)]
    public async Task Filters_narrow_the_feed(string query, int expected)
    {
        using var client = api.CreateClient();

        var page = await client.GetJsonAsync($"/api/public/content?{query}&limit=100");

        Assert.Equal(expected, page.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("sort=newest")]
    [InlineData("sort=trending&window=1y")]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=abc")]
    [InlineData("cursor=not-a-cursor!!")]
    [InlineData("cursor=eA")]
    [InlineData("platform=tiktok")]
    public async Task Bad_parameters_are_400_problem_details(string query)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/api/public/content?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_cursor_of_another_sort_is_rejected()
    {
        using var client = api.CreateClient();
        var recent = await client.GetJsonAsync("/api/public/content?sort=recent&limit=2");

        using var response = await client.GetAsync("/api/public/content?sort=popular&cursor=" + recent.NextCursor());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Content_by_slug_has_media_tags_and_creator_and_hidden_items_are_404()
    {
        using var client = api.CreateClient();
        var slug = api.VisibleNewestFirst[0];
        await api.Data.ExecuteAsync(
            "INSERT INTO content_media (content_id, kind, url, position) SELECT id, 'image', 'https://img.example/extra.png', 1 FROM content_item WHERE slug = @s",
            ("s", slug));

        var item = await client.GetJsonAsync("/api/public/content/" + slug);

        Assert.Equal(slug, item.GetProperty("slug").GetString());
        Assert.Equal("alice", item.GetProperty("creator").GetProperty("username").GetString());
        Assert.Equal("speedrun", item.GetProperty("tags")[0].GetString());
        Assert.Equal("https://img.example/extra.png", item.GetProperty("media")[0].GetProperty("url").GetString());
        Assert.Equal("gaming", item.GetProperty("category").GetProperty("slug").GetString());

        foreach (var hidden in new[] { api.HiddenUnpublished, api.HiddenPrivate, api.HiddenDraft, "no-such-slug" })
        {
            using var response = await client.GetAsync("/api/public/content/" + hidden);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("/api/public/content?sort=recent&limit=3")]
    [InlineData("/api/public/categories")]
    public async Task ETag_revalidation_answers_304_without_a_body(string url)
    {
        using var client = api.CreateClient();
        using var first = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Contains("public", first.Headers.CacheControl!.ToString());
        Assert.NotNull(first.Headers.CacheControl.SharedMaxAge);

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, second.Headers.ETag);

        using var stale = new HttpRequestMessage(HttpMethod.Get, url);
        stale.Headers.TryAddWithoutValidation("If-None-Match", "\"something-else\"");
        using var third = await client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    [Fact]
    public async Task Categories_are_the_fifteen_in_order()
    {
        using var client = api.CreateClient();

        var body = await client.GetJsonAsync("/api/public/categories");

        var slugs = body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("slug").GetString()).ToList();
        Assert.Equal(15, slugs.Count);
        Assert.Equal("gaming", slugs[0]);
        Assert.Equal(10, body.GetProperty("items")[0].GetProperty("sort_order").GetInt32());
    }
}
