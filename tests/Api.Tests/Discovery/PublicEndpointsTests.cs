using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Tests.Discovery;

public sealed class PublicEndpointsFixture : DiscoveryHost
{
    public Dictionary<string, (Guid Id, string Slug)> Items { get; } = [];

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var chef = await data.CreatorAsync("chef_anna", displayName: "Anna Cooks", bio: "Pasta & <b>bread</b>");
        var gamer = await data.CreatorAsync("speedy");
        var secret = await data.CreatorAsync("secret_sam", isPublic: false);
        var at = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        Items["minecraft"] = await data.ItemAsync(gamer, "Minecraft speedrun world record", publishedAt: at, category: "gaming",
            description: "Any percent glitchless run");
        Items["guitar-title"] = await data.ItemAsync(chef, "Guitar lesson for beginners", publishedAt: at.AddDays(1), category: "music",
            description: "Chords and strumming");
        Items["guitar-description"] = await data.ItemAsync(chef, "Campfire evening", publishedAt: at.AddDays(2), category: "music",
            description: "We play some guitar songs by the fire");
        Items["carbonara"] = await data.ItemAsync(chef, "Pasta carbonara the Roman way", publishedAt: at.AddDays(3), category: "food",
            description: "Guanciale, pecorino, eggs");
        Items["hidden-minecraft"] = await data.ItemAsync(gamer, "Minecraft secret base", status: "unpublished", publishedAt: at, category: "gaming");
        Items["private-minecraft"] = await data.ItemAsync(secret, "Minecraft private server", publishedAt: at, category: "gaming");
    }
}

public sealed class PublicEndpointsTests(PublicEndpointsFixture api) : IClassFixture<PublicEndpointsFixture>
{
    /// <summary>Public reads run as app_anonymous: what a visitor may not see, their connections cannot read.</summary>
    [Fact]
    public async Task Public_reads_run_as_app_anonymous_which_cannot_reach_private_data()
    {
        var anonymous = api.Services.GetRequiredService<AnonymousDataSource>().DataSource;
        async Task<object?> ScalarAsync(string sql)
        {
            await using var command = anonymous.CreateCommand(sql);
            return await command.ExecuteScalarAsync();
        }

        Assert.Equal("app_anonymous", await ScalarAsync("SELECT current_user"));
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM users WHERE username = 'secret_sam'")); // RLS: private profile
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM users WHERE username = 'chef_anna'"));
        foreach (var forbidden in new[] { "SELECT email FROM users LIMIT 1", "SELECT count(*) FROM job_queue", "SELECT count(*) FROM subscription", "SELECT count(*) FROM content_click" })
        {
            var denied = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(forbidden));
            Assert.Equal("42501", denied.SqlState);
        }

        // The endpoints still answer through it (and a pooled connection keeps the role after its reset).
        using var client = api.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/public/creators/chef_anna?i={i}")).StatusCode);
        }

        Assert.Equal("app_anonymous", await ScalarAsync("SELECT current_user"));
    }

    [Fact]
    public async Task Search_ranks_title_matches_above_description_matches()
    {
        using var client = api.CreateClient();

        var result = await client.GetJsonAsync("/api/public/search?q=guitar");

        Assert.Equal("fulltext", result.GetProperty("mode").GetString());
        var slugs = result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("content").GetProperty("slug").GetString()).ToList();
        Assert.Equal([api.Items["guitar-title"].Slug, api.Items["guitar-description"].Slug], slugs);
        var ranks = result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("rank").GetDouble()).ToList();
        Assert.True(ranks[0] > ranks[1]);
    }

    [Fact]
    public async Task Search_shows_only_public_content()
    {
        using var client = api.CreateClient();

        var result = await client.GetJsonAsync("/api/public/search?q=minecraft");

        var slugs = result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("content").GetProperty("slug").GetString()).ToList();
        Assert.Equal([api.Items["minecraft"].Slug], slugs);
    }

    [Theory]
    [InlineData("minecrat", "minecraft", "minecraft")]
    [InlineData("carbonnara", "carbonara", "carbonara")]
    [InlineData("minecraf speedrun", "minecraft", "minecraft speedrun")]
    [InlineData("pasta carbonnara", "carbonara", "pasta carbonara")]
    public async Task Search_corrects_typos_to_title_words(string typo, string expected, string corrected)
    {
        using var client = api.CreateClient();

        var result = await client.GetJsonAsync("/api/public/search?q=" + Uri.EscapeDataString(typo));

        Assert.Equal("fuzzy", result.GetProperty("mode").GetString());
        Assert.Equal(corrected, result.GetProperty("corrected_query").GetString());
        Assert.Equal(api.Items[expected].Slug, result.GetProperty("items")[0].GetProperty("content").GetProperty("slug").GetString());
        Assert.DoesNotContain(result.GetProperty("items").EnumerateArray(),
            i => i.GetProperty("content").GetProperty("slug").GetString() == api.Items["private-minecraft"].Slug);
    }

    [Fact]
    public async Task A_search_with_nothing_to_correct_answers_empty_without_a_correction()
    {
        using var client = api.CreateClient();

        var stopWords = await client.GetJsonAsync("/api/public/search?q=how%20to");
        var unknown = await client.GetJsonAsync("/api/public/search?q=zzqxv");

        Assert.Empty(stopWords.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, stopWords.GetProperty("corrected_query").ValueKind);
        Assert.Empty(unknown.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, unknown.GetProperty("corrected_query").ValueKind);
    }

    [Theory]
    [InlineData("'; DROP TABLE content_item; --")]
    [InlineData("\" OR 1=1 --")]
    [InlineData("') OR ('1'='1")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("!!! & | ( ) :* <->")]
    [InlineData("%_\\")]
    [InlineData("nul\u0000byte")]
    [InlineData("   ")]
    [InlineData("")]
    [InlineData("😀 \ud800 lone surrogate")]
    public async Task Any_text_is_a_harmless_search(string q)
    {
        using var client = api.CreateClient();
        var before = await api.ScalarAsync<long>("SELECT count(*) FROM content_item");

        using var response = await client.GetAsync("/api/public/search?q=" + Uri.EscapeDataString(q));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(0, body.RootElement.GetProperty("items").GetArrayLength());
        Assert.Equal(before, await api.ScalarAsync<long>("SELECT count(*) FROM content_item"));
    }

    /// <summary>
    /// Characters outside the BMP are text like any other: styled titles ("𝐁𝐨𝐥𝐝", mathematical alphanumerics, common
    /// on YouTube) and CJK extension B (𠮷 of 𠮷野家) are indexed by PostgreSQL's parser, so the search box must keep
    /// them; only unpaired surrogates are dropped.
    /// </summary>
    [Theory]
    [InlineData("𝐁𝐨𝐥𝐝")]
    [InlineData("𠮷野家")]
    public async Task Search_keeps_characters_outside_the_basic_multilingual_plane(string word)
    {
        var slug = await api.ScalarAsync<string>($"""
            WITH creator AS (
                INSERT INTO users (username, display_name, is_public, email)
                VALUES ('astral_{Guid.NewGuid():N}'::text, 'Astral', true, 'astral_{Guid.NewGuid():N}@example.test')
                RETURNING id)
            INSERT INTO content_item (creator_id, platform, external_id, title, status, published_at)
            SELECT id, 'feed', 'astral-{Guid.NewGuid():N}', '{word} ramen night', 'published', now() FROM creator
            RETURNING slug
            """);
        using var client = api.CreateClient();

        var result = await client.GetJsonAsync("/api/public/search?q=" + Uri.EscapeDataString(word));

        Assert.Equal(word, result.GetProperty("query").GetString());
        Assert.Equal("fulltext", result.GetProperty("mode").GetString());
        Assert.Equal([slug], result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("content").GetProperty("slug").GetString()));
    }

    [Fact]
    public async Task A_very_long_query_is_cut_not_rejected_and_a_missing_one_is_400()
    {
        using var client = api.CreateClient();

        var result = await client.GetJsonAsync("/api/public/search?q=minecraft" + new string('x', 5000).Insert(0, " "));
        Assert.True(result.GetProperty("query").GetString()!.Length <= 200);

        using var missing = await client.GetAsync("/api/public/search");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        using var tooMany = await client.GetAsync("/api/public/search?q=a&limit=500");
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
    }

    [Fact]
    public async Task Creator_profile_has_public_fields_and_content_and_private_or_unknown_is_404()
    {
        using var client = api.CreateClient();

        var profile = await client.GetJsonAsync("/api/public/creators/Chef_Anna?limit=2");

        Assert.Equal("chef_anna", profile.GetProperty("creator").GetProperty("username").GetString());
        Assert.Equal("Anna Cooks", profile.GetProperty("creator").GetProperty("display_name").GetString());
        Assert.Equal(3, profile.GetProperty("creator").GetProperty("content_count").GetInt64());
        Assert.False(profile.GetProperty("creator").TryGetProperty("email", out _));
        Assert.Equal([api.Items["carbonara"].Slug, api.Items["guitar-description"].Slug], profile.Slugs());
        var next = await client.GetJsonAsync("/api/public/creators/chef_anna?limit=2&cursor=" + profile.NextCursor());
        Assert.Equal([api.Items["guitar-title"].Slug], next.Slugs());
        Assert.Null(next.NextCursor());

        await client.GetJsonAsync("/api/public/creators/secret_sam", HttpStatusCode.NotFound);
        await client.GetJsonAsync("/api/public/creators/nobody_here", HttpStatusCode.NotFound);
        await client.GetJsonAsync("/api/public/creators/chef_anna?cursor=garbage", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Trending_lists_the_computed_ranking_per_window_and_category()
    {
        using var client = api.CreateClient();
        // Clicks: carbonara 5 an hour ago, minecraft 2 an hour ago and 30 three days ago; hidden items get clicks too.
        await api.Data.ExecuteAsync("""
            INSERT INTO content_click (content_id, clicked_at, visitor_hash)
            SELECT v.id, now() - make_interval(hours => v.h), decode(md5(random()::text || s::text), 'hex')
            FROM (VALUES (@carbonara::uuid, 1, 5), (@minecraft::uuid, 1, 2), (@minecraft::uuid, 72, 30),
                         (@hidden::uuid, 1, 50), (@private::uuid, 1, 50)) AS v(id, h, n)
            CROSS JOIN generate_series(1, v.n) AS s
            """,
            ("carbonara", api.Items["carbonara"].Id), ("minecraft", api.Items["minecraft"].Id),
            ("hidden", api.Items["hidden-minecraft"].Id), ("private", api.Items["private-minecraft"].Id));
        await api.Data.ExecuteAsync("SELECT rollup_content_clicks(interval '0'); SELECT refresh_trending('24h'); SELECT refresh_trending('7d');");

        var day = await client.GetJsonAsync("/api/public/trending?window=24h");
        var week = await client.GetJsonAsync("/api/public/trending?window=7d");
        var gaming = await client.GetJsonAsync("/api/public/trending?window=7d&category=gaming");

        List<string?> Slugs(JsonElement e) => e.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("content").GetProperty("slug").GetString()).ToList();
        Assert.Equal([api.Items["carbonara"].Slug, api.Items["minecraft"].Slug], Slugs(day));
        Assert.Equal(1, day.GetProperty("items")[0].GetProperty("rank").GetInt32());
        Assert.Equal(5, day.GetProperty("items")[0].GetProperty("window_clicks").GetInt32());
        Assert.Equal(2, day.GetProperty("items")[1].GetProperty("window_clicks").GetInt32());
        Assert.Equal(32, week.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("content").GetProperty("slug").GetString() == api.Items["minecraft"].Slug).GetProperty("window_clicks").GetInt32());
        Assert.Equal([api.Items["minecraft"].Slug], Slugs(gaming));

        var popular = await client.GetJsonAsync("/api/public/content?sort=popular&limit=2");
        Assert.Equal([api.Items["minecraft"].Slug, api.Items["carbonara"].Slug], popular.Slugs());
        var trendingFeed = await client.GetJsonAsync("/api/public/content?sort=trending&window=24h&limit=1");
        Assert.Equal([api.Items["carbonara"].Slug], trendingFeed.Slugs());
        var trendingNext = await client.GetJsonAsync("/api/public/content?sort=trending&window=24h&limit=1&cursor=" + trendingFeed.NextCursor());
        Assert.Equal([api.Items["minecraft"].Slug], trendingNext.Slugs());

        await client.GetJsonAsync("/api/public/trending?window=30d", HttpStatusCode.BadRequest);
        await client.GetJsonAsync("/api/public/trending?limit=0", HttpStatusCode.BadRequest);
    }
}
