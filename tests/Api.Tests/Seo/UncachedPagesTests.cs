using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Tests.Discovery;
using Platform.TestSupport;

namespace Platform.Api.Tests.Seo;

/// <summary>
/// The Api with <c>Discovery:CacheEnabled=false</c> (as <c>bench -- public</c> runs "cold"), so every request runs its SQL.
/// "ada" has 40 public science items, the newest ten tagged "alpha"; "bo" has eight older "alpha" items and two "beta"
/// ones. Items that must never show carry the same tags and category and are newer than anything visible: ada's
/// unpublished, removed and draft ones, bo's removed one and one of "cy", a private creator.
/// </summary>
public sealed partial class UncachedPagesFixture : DiscoveryHost
{
    public static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>ada's public items, newest first.</summary>
    public List<(Guid Id, string Slug)> Ada { get; } = [];

    /// <summary>bo's public "alpha" items, newest first.</summary>
    public List<(Guid Id, string Slug)> BoAlpha { get; } = [];

    /// <summary>Items that are never shown anywhere public.</summary>
    public List<(Guid Id, string Slug)> Hidden { get; } = [];

    /// <summary>bo's public "beta" items, newest first.</summary>
    public List<(Guid Id, string Slug)> BoBeta { get; } = [];

    /// <summary>ada's oldest item, tagged "aardvark" (no other public item) and "beta": related fills from beta, then science.</summary>
    public (Guid Id, string Slug) Lonely { get; private set; }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:CacheEnabled"] = "false";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var ada = await data.CreatorAsync("ada", displayName: "Ada");
        var bo = await data.CreatorAsync("bo", displayName: "Bo");
        var cy = await data.CreatorAsync("cy", isPublic: false);
        for (var i = 0; i < 40; i++)
        {
            Ada.Insert(0, await data.ItemAsync(ada, $"Ada item {i}", publishedAt: Start.AddHours(i), category: "science",
                tags: i >= 30 ? ["alpha"] : []));
        }

        for (var i = 0; i < 8; i++)
        {
            BoAlpha.Insert(0, await data.ItemAsync(bo, $"Bo alpha {i}", publishedAt: Start.AddHours(i * 3 + 0.5), category: "music", tags: ["alpha"]));
        }

        for (var i = 0; i < 2; i++)
        {
            BoBeta.Insert(0, await data.ItemAsync(bo, $"Bo beta {i}", publishedAt: Start.AddHours(-10 + i), category: "music", tags: ["beta"]));
        }

        Lonely = await data.ItemAsync(ada, "Ada lonely", publishedAt: Start.AddMinutes(-30), category: "science", tags: ["aardvark", "beta"]);
        var later = Start.AddDays(30);
        Hidden.Add(await data.ItemAsync(ada, "Ada unpublished", status: "unpublished", publishedAt: later, category: "science", tags: ["alpha", "beta", "aardvark"]));
        Hidden.Add(await data.ItemAsync(ada, "Ada removed", status: "removed", publishedAt: later, category: "science", tags: ["alpha", "beta", "aardvark"]));
        Hidden.Add(await data.ItemAsync(ada, "Ada draft", status: "draft", category: "science", tags: ["alpha", "beta", "aardvark"]));
        Hidden.Add(await data.ItemAsync(bo, "Bo removed", status: "removed", publishedAt: later, category: "science", tags: ["alpha", "beta", "aardvark"]));
        Hidden.Add(await data.ItemAsync(cy, "Cy private", publishedAt: later, category: "science", tags: ["alpha", "beta", "aardvark"]));
        // 3,000 creators of one item each: as at full scale (100,000 creators, 10 items each on average), a generic
        // plan expects a creator to have about one item, and ada is the prolific exception.
        await data.ExecuteAsync("""
            WITH creators AS (
                INSERT INTO users (username, display_name, is_public, email)
                SELECT 'many' || n, 'Many ' || n, true, 'many' || n || '@example.test' FROM generate_series(1, 3000) n
                RETURNING id, username)
            INSERT INTO content_item (creator_id, platform, external_id, title, url, status, published_at, category_id)
            SELECT id, 'feed', 'many-' || username, 'One of many ' || username, 'https://feed.example/' || username, 'published',
                   @published, (SELECT id FROM content_category WHERE slug = 'news')
            FROM creators
            """, ("published", Start.AddYears(-1)));
        await data.ExecuteAsync("ANALYZE");
    }
}

public sealed partial class UncachedPagesTests(UncachedPagesFixture api) : IClassFixture<UncachedPagesFixture>
{
    private static IDocument Parse(string html) => new HtmlParser().ParseDocument(html);

    private async Task<IDocument> GetPageAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return Parse(body);
    }

    private static List<string> Links(IDocument page, string section) =>
        page.QuerySelectorAll($"section[aria-labelledby={section}] a.item").Select(a => a.GetAttribute("href")!).ToList();

    private static List<string> Paths(IEnumerable<(Guid Id, string Slug)> items) => items.Select(i => "/c/" + i.Slug).ToList();

    [Fact]
    public async Task An_item_page_lists_its_creators_newest_and_its_tags_newest_and_never_a_hidden_item()
    {
        using var client = api.CreateClient();
        var item = api.Ada[3];

        var page = await GetPageAsync(client, "/c/" + item.Slug);

        // More from ada: her six newest public items but this one, newest first; none of her hidden newer ones.
        Assert.Equal(Paths(api.Ada.Where(a => a != item).Take(6)), Links(page, "more"));
        // Related ("alpha", newest first, 13 asked): the newest alpha items not shown above: ada's three older alpha
        // ones, then bo's; no removed item, no private creator's.
        Assert.Equal(Paths(api.Ada.Skip(7).Take(3).Concat(api.BoAlpha.Take(3))), Links(page, "related"));
        Assert.DoesNotContain(Links(page, "more").Concat(Links(page, "related")), href => api.Hidden.Any(h => href == "/c/" + h.Slug));
    }

    [Fact]
    public async Task Related_fills_from_the_next_tag_then_the_category_while_short()
    {
        using var client = api.CreateClient();

        var page = await GetPageAsync(client, "/c/" + api.Lonely.Slug);

        // "aardvark" has only hidden items besides this one, "beta" bo's two, then science (newest first) fills the
        // list with ada's items not already in "more from"; never a hidden one.
        Assert.Equal(Paths(api.Ada.Take(6)), Links(page, "more"));
        Assert.Equal(Paths(api.BoBeta.Concat(api.Ada.Skip(6).Take(4))), Links(page, "related"));
    }

    [Fact]
    public async Task The_creator_page_and_json_walk_her_items_both_ways_and_never_show_a_hidden_one()
    {
        using var client = api.CreateClient();
        var all = Paths(api.Ada.Append(api.Lonely));

        var page1 = await GetPageAsync(client, "/@ada");
        var next = page1.QuerySelector("a[rel=next]")!.GetAttribute("href")!;
        var page2 = await GetPageAsync(client, next);
        var prev = page2.QuerySelector("a[rel=prev]")!.GetAttribute("href")!;
        var back = await GetPageAsync(client, prev);

        List<string> Grid(IDocument page) => page.QuerySelectorAll("ul.content > li a.item").Select(a => a.GetAttribute("href")!).ToList();
        Assert.Equal(all.Take(24), Grid(page1));
        Assert.Equal(all.Skip(24), Grid(page2));
        Assert.Equal(Grid(page1), Grid(back));
        Assert.Contains("41 videos and posts", page1.QuerySelector("p.handle")!.TextContent);

        var json1 = await client.GetJsonAsync("/api/public/creators/ADA?limit=30");
        var json2 = await client.GetJsonAsync("/api/public/creators/ada?limit=30&cursor=" + json1.NextCursor());
        Assert.Equal(41, json1.GetProperty("creator").GetProperty("content_count").GetInt64());
        Assert.Equal(all, json1.Slugs().Concat(json2.Slugs()).Select(s => "/c/" + s));
        Assert.Null(json2.NextCursor());
        await client.GetJsonAsync("/api/public/creators/cy", HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/@cy")).StatusCode);
    }

    /// <summary>
    /// Round trips to PostgreSQL per uncached request (each a command the driver traces), once the pooled connections have
    /// prepared their statements: the item page two (the item; its creator's and its first tag's newest together), the
    /// JSON item one, a profile page or JSON one (profile, count and the page of items together), the home page one
    /// (trending, newest, featured and categories together), a search one (its common words are read every 5 minutes).
    /// </summary>
    [Theory]
    [InlineData("item page", 2)]
    [InlineData("item json", 1)]
    [InlineData("profile page", 1)]
    [InlineData("profile json", 1)]
    [InlineData("home page", 1)]
    [InlineData("search json", 1)]
    [InlineData("search page", 1)]
    public async Task An_uncached_request_makes_few_round_trips(string what, int roundTrips)
    {
        using var client = api.CreateClient();
        var path = what switch
        {
            "item page" => "/c/" + api.Ada[5].Slug,
            "item json" => "/api/public/content/" + api.Ada[5].Slug,
            "profile page" => "/@ada",
            "home page" => "/",
            "search json" => "/api/public/search?q=alpha",
            "search page" => "/search?q=alpha",
            _ => "/api/public/creators/ada",
        };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        }

        using var commands = new SqlCommandCounter(api.ConnectionString, " FROM ");
        for (var i = 0; i < 5; i++)
        {
            commands.Reset();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
            Assert.True(commands.Count <= roundTrips, $"{what}: {commands.Count} round trips:\n" + string.Join("\n---\n", commands.Statements));
        }
    }

    /// <summary>
    /// A creator's list is prepared, so PostgreSQL may run it with a generic plan, made without knowing whose list it is.
    /// Whatever the plan, it reads at most a page of the creator's rows (plus one): the page is cut from her index
    /// before any join. Joined first, a generic plan read and sorted all of a prolific creator's items (40 ms at 5,000).
    /// </summary>
    [Fact]
    public async Task A_creators_list_reads_one_page_of_her_items_even_with_a_generic_plan()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        var plans = await AutoExplain.EnableAsync(connection, analyze: true); // as the superuser, before the role
        await using (var setup = new NpgsqlCommand(
            "SET ROLE app_anonymous; SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; SET enable_bitmapscan = off", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var query = new FeedQuery("recent", null, null, null, "ada", TrendingWindows.Day, null, 10);
        var slice = await query.ExecuteSliceAsync(connection, CancellationToken.None);

        Assert.Equal(api.Ada.Take(10).Select(a => a.Id), slice.Items.Select(i => i.Id));
        var plan = Assert.Single(plans, p => p.Contains("content_item c", StringComparison.Ordinal) && p.Contains("Limit", StringComparison.Ordinal));
        var itemRowsRead = ScanOfItems().Matches(plan).Select(m => int.Parse(m.Groups["rows"].Value)).ToList();
        Assert.True(itemRowsRead.Count > 0, plan);
        Assert.True(itemRowsRead.All(rows => rows <= 11), $"read {string.Join(", ", itemRowsRead)} rows of content_item for a page of 10:\n{plan}");
        // What makes it so for any creator and any plan: the page's limit sits right on her index scan, under no join.
        var lines = plan.Split('\n');
        var scan = Array.FindIndex(lines, l => ScanOfItems().IsMatch(l));
        var depth = lines[scan].IndexOf("->", StringComparison.Ordinal);
        var parent = lines.Take(scan).Last(l => l.Contains("->", StringComparison.Ordinal) && l.IndexOf("->", StringComparison.Ordinal) < depth);
        Assert.True(parent.TrimStart().StartsWith("->  Limit", StringComparison.Ordinal), $"the scan of content_item is under {parent.Trim()}:\n{plan}");
    }

    /// <summary>A scan of content_item with its actual row count (auto_explain with analyze).</summary>
    [GeneratedRegex(@"Scan[^\n]* on content_item c(_\d+)? [^\n]*actual time=[\d.]+\.\.[\d.]+ rows=(?<rows>\d+)")]
    private static partial Regex ScanOfItems();
}
