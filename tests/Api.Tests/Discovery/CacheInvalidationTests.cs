using System.Diagnostics;
using System.Text.RegularExpressions;
using Platform.Core.Discovery;
using Platform.Core.Ingestion;
using Platform.TestSupport;
using StackExchange.Redis;

namespace Platform.Api.Tests.Discovery;

public sealed class CacheInvalidationHost : DiscoveryHost
{
    public const int ListFlushSeconds = 2;

    public Guid Anna { get; private set; }

    public Guid Ben { get; private set; }

    public string BenSlug { get; private set; } = string.Empty;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:ListFlushSeconds"] = ListFlushSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Discovery:SitemapShardSize"] = "2";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        Anna = await data.CreatorAsync("anna", displayName: "Anna");
        Ben = await data.CreatorAsync("ben", displayName: "Ben");
        await data.ItemAsync(Anna, "Anna one", publishedAt: DateTimeOffset.UtcNow.AddDays(-3), category: "music", tags: ["guitar"]);
        await data.ItemAsync(Anna, "Anna two", publishedAt: DateTimeOffset.UtcNow.AddDays(-2));
        BenSlug = (await data.ItemAsync(Ben, "Ben one", publishedAt: DateTimeOffset.UtcNow.AddDays(-1))).Slug;
        await data.ItemAsync(Ben, "Ben two", publishedAt: DateTimeOffset.UtcNow.AddHours(-1));
    }

    /// <summary>Publishes tags on the invalidation channel the way the Workers do (their own Redis connection).</summary>
    public async Task PublishAsync(IEnumerable<string> tags)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConnectionString);
        var subscriber = redis.GetSubscriber();
        foreach (var tag in tags)
        {
            await subscriber.PublishAsync(RedisChannel.Literal(DiscoveryInvalidation.Channel), tag);
        }
    }
}

/// <summary>
/// Issue 15, "Cache invalidation": a creator's change evicts that creator's pages only; the lists follow through a
/// debounced flush (bounded per replica however many changes arrive); the sitemap plan is on a timer, not per flush.
/// </summary>
public sealed class CacheInvalidationTests(CacheInvalidationHost api) : IClassFixture<CacheInvalidationHost>
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(CacheInvalidationHost.ListFlushSeconds);

    [Fact]
    public async Task One_creators_sync_evicts_their_pages_and_not_another_creators_cached_pages()
    {
        using var client = api.CreateClient();
        string Name(System.Text.Json.JsonElement page) => page.GetProperty("creator").GetProperty("display_name").GetString()!;
        Assert.Equal("Anna", Name(await client.GetJsonAsync("/api/public/creators/anna")));
        Assert.Equal("Ben", Name(await client.GetJsonAsync("/api/public/creators/ben")));
        Assert.Equal("Ben one", (await client.GetJsonAsync($"/api/public/content/{api.BenSlug}")).GetProperty("title").GetString());
        Assert.Contains("Ben one", await client.GetStringAsync($"/c/{api.BenSlug}"));

        // Both creators change behind the Api's back; only Anna's sync is announced (what the Workers publish).
        await api.Data.ExecuteAsync("UPDATE users SET display_name = 'Anna Renamed', profile_updated_at = now() WHERE id = @id", ("id", api.Anna));
        await api.Data.ExecuteAsync("UPDATE users SET display_name = 'Ben Renamed', profile_updated_at = now() WHERE id = @id", ("id", api.Ben));
        await api.Data.ExecuteAsync("UPDATE content_item SET title = 'Ben changed' WHERE slug = @slug", ("slug", api.BenSlug));
        await api.PublishAsync(DiscoveryInvalidation.ContentChanged(api.Anna));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Name(await client.GetJsonAsync("/api/public/creators/anna")) != "Anna Renamed")
        {
            Assert.True(DateTime.UtcNow < deadline, "Anna's page was not evicted by her creator tag");
            await Task.Delay(50);
        }

        // Wait out the debounced list flush too: it must not take Ben's pages with it.
        await Task.Delay(Period + TimeSpan.FromMilliseconds(500));
        Assert.Equal("Ben", Name(await client.GetJsonAsync("/api/public/creators/ben")));
        Assert.Equal("Ben one", (await client.GetJsonAsync($"/api/public/content/{api.BenSlug}")).GetProperty("title").GetString());
        Assert.Contains("Ben one", await client.GetStringAsync($"/c/{api.BenSlug}"));

        // Ben's own announcement evicts his profile and his items' pages (they show his creator card).
        await api.PublishAsync(DiscoveryInvalidation.ContentChanged(api.Ben));
        deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await client.GetJsonAsync($"/api/public/content/{api.BenSlug}")).GetProperty("title").GetString() != "Ben changed")
        {
            Assert.True(DateTime.UtcNow < deadline, "Ben's item page was not evicted by his creator tag");
            await Task.Delay(50);
        }

        Assert.Equal("Ben Renamed", Name(await client.GetJsonAsync("/api/public/creators/ben")));
        Assert.Contains("Ben changed", await client.GetStringAsync($"/c/{api.BenSlug}"));
    }

    [Fact]
    public async Task A_burst_of_1000_creator_changes_recomputes_a_cached_list_a_bounded_number_of_times_and_it_ends_fresh()
    {
        using var client = api.CreateClient();
        const string feed = "/api/public/content?sort=recent&limit=10";
        await client.GetJsonAsync(feed);
        await Task.Delay(Period + TimeSpan.FromMilliseconds(200)); // start outside any earlier flush period

        using var queries = new SqlCommandCounter(api.ConnectionString, "content_item");
        var newcomer = await api.Data.CreatorAsync($"burst_{Guid.NewGuid():N}"[..20]);
        var fresh = await api.Data.ItemAsync(newcomer, "Fresh after the burst", publishedAt: DateTimeOffset.UtcNow);
        queries.Reset();

        // 1,000 syncs of different creators over about two flush periods, the feed read every 20 changes.
        var clock = Stopwatch.StartNew();
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString))
        {
            var subscriber = redis.GetSubscriber();
            for (var i = 0; i < 1000; i++)
            {
                await subscriber.PublishAsync(RedisChannel.Literal(DiscoveryInvalidation.Channel), DiscoveryInvalidation.CreatorTag(Guid.NewGuid()));
                if (i % 20 == 19)
                {
                    await client.GetJsonAsync(feed);
                    await Task.Delay(Period / 25);
                }
            }
        }

        var burst = clock.Elapsed;
        var recomputedDuringBurst = queries.Count;

        Assert.True(recomputedDuringBurst >= 1, "the first change of the burst flushes the lists at once (leading edge)");

        // Without the debounce every flush would make the next read recompute: up to 50 times here.
        var bound = (int)Math.Ceiling(burst / Period) + 2;
        Assert.True(recomputedDuringBurst <= bound,
            $"the feed was recomputed {recomputedDuringBurst} times in a {burst.TotalSeconds:0.0} s burst (bound {bound}):\n"
            + string.Join("\n---\n", Enumerable.Take(queries.Statements, 3)));

        // The trailing flush makes the lists fresh within one period after the burst.
        await Task.Delay(Period + TimeSpan.FromMilliseconds(500));
        Assert.Contains(fresh.Slug, (await client.GetJsonAsync(feed)).Slugs());
    }

    [Fact]
    public async Task The_sitemap_plan_is_not_recomputed_by_a_flush()
    {
        using var client = api.CreateClient();
        static int ContentShards(string index) => Regex.Matches(index, @"/sitemaps/content-\d+\.xml").Count;
        var before = ContentShards(await client.GetStringAsync("/sitemap.xml"));
        Assert.True(before >= 2);

        // Enough new public content for more shards of 2, then a global flush (admin curation) and creator changes.
        for (var i = 0; i < 4; i++)
        {
            await api.Data.ItemAsync(api.Anna, $"Anna extra {i}", publishedAt: DateTimeOffset.UtcNow.AddMinutes(-i));
        }

        await api.PublishAsync([DiscoveryCacheTags.Content, .. DiscoveryInvalidation.ContentChanged(api.Anna)]);
        await Task.Delay(Period + TimeSpan.FromMilliseconds(500));
        Assert.Equal(before, ContentShards(await client.GetStringAsync("/sitemap.xml")));
    }

    [Fact]
    public async Task The_category_and_tag_sitemap_files_follow_their_plan_not_each_flush()
    {
        // Each is one grouped pass over every public item (seconds at a million items): a caller fetching it after every
        // list flush must not make the database redo it.
        using var client = api.CreateClient();
        var files = new[] { "/sitemaps/categories-1.xml", "/sitemaps/tags-1.xml" };
        foreach (var file in files)
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(file)).StatusCode);
        }

        using var queries = new SqlCommandCounter(api.ConnectionString, "GROUP BY");
        for (var flush = 0; flush < 3; flush++)
        {
            await api.PublishAsync([DiscoveryCacheTags.Content, DiscoveryCacheTags.Categories]);
            await Task.Delay(Period + TimeSpan.FromMilliseconds(500));
            foreach (var file in files)
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync(file)).StatusCode);
            }
        }

        Assert.Empty(queries.Statements);
    }

    [Fact]
    public async Task A_creator_pages_owner_lookup_is_index_backed_as_the_anonymous_role()
    {
        await using var connection = new Npgsql.NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using (var setup = new Npgsql.NpgsqlCommand("SET ROLE app_anonymous; SET enable_seqscan = off", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        await using var explain = new Npgsql.NpgsqlCommand("EXPLAIN " + Platform.Api.Caching.PublicPageTags.CreatorOwnerSql, connection);
        explain.Parameters.AddWithValue("name", "anna");
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        // No scan of users under the caller's row-level security at all (with it, PostgreSQL cannot use an index on the
        // username and reads every user): the lookup runs inside the SECURITY DEFINER function.
        Assert.DoesNotContain(plan, line => line.Contains(" on users", StringComparison.Ordinal));
        await using var lookup = new Npgsql.NpgsqlCommand(Platform.Api.Caching.PublicPageTags.CreatorOwnerSql, connection);
        lookup.Parameters.AddWithValue("name", "anna");
        Assert.Equal(api.Anna, await ReadOwnerAsync(lookup));
    }

    [Fact]
    public async Task A_pages_owner_lookup_is_cached_in_memory_only_and_the_page_itself_in_redis()
    {
        using var client = api.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync($"/api/public/content/{api.BenSlug}")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/@anna")).StatusCode);

        // The owner lookup (about 0.1 ms in PostgreSQL) costs less than the Redis read and write around it, which made
        // two of an uncached page's six sequential round trips: it stays in this replica's memory.
        var prefix = api.Settings["Discovery:CacheKeyPrefix"];
        await using var redis = await ConnectionMultiplexer.ConnectAsync(api.RedisConnectionString);
        var server = redis.GetServers().Single();
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
        {
            keys.Add(key.ToString()[prefix!.Length..]);
        }

        Assert.Contains("pub:content:" + api.BenSlug, keys);
        Assert.DoesNotContain(keys, key => key.StartsWith("pub:owner:", StringComparison.Ordinal));
    }

    private static async Task<Guid> ReadOwnerAsync(Npgsql.NpgsqlCommand lookup)
    {
        await using var reader = await lookup.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.True(reader.IsDBNull(0));
        return reader.GetGuid(1);
    }
}
