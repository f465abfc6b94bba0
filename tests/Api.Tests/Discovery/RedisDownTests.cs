using System.Diagnostics;
using System.Net;
using Platform.TestSupport;

namespace Platform.Api.Tests.Discovery;

/// <summary>The Api on a Redis of its own, which the test stops.</summary>
public sealed class OwnRedisHost : DiscoveryHost
{
    public RedisServer Redis { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["ConnectionStrings:cache"] = Redis.ConnectionString + ",connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var creator = await data.CreatorAsync("resilient");
        for (var i = 0; i < 5; i++)
        {
            await data.ItemAsync(creator, $"Still here {i}", publishedAt: DateTimeOffset.UtcNow.AddHours(-i), category: "news");
        }
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

public sealed class RedisDownTests(OwnRedisHost api) : IClassFixture<OwnRedisHost>
{
    [Fact]
    public async Task Without_redis_the_api_answers_from_postgres_and_health_is_degraded()
    {
        using var client = api.CreateClient();
        Assert.Equal(5, (await client.GetJsonAsync("/api/public/content")).Slugs().Count);
        Assert.Equal("Healthy", (await client.GetJsonAsync("/health")).GetProperty("status").GetString());

        await api.Redis.DisposeAsync();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        string? status;
        do
        {
            await Task.Delay(200);
            status = (await client.GetJsonAsync("/health")).GetProperty("status").GetString();
        }
        while (status != "Degraded" && DateTime.UtcNow < deadline);
        Assert.Equal("Degraded", status);

        // Queries never cached before (so they must reach Postgres) answer, and fast: no Redis timeouts on the hot path.
        foreach (var url in new[] { "/api/public/content?category=news&limit=3", "/api/public/search?q=still", "/api/public/creators/resilient", "/api/public/trending" })
        {
            var stopwatch = Stopwatch.StartNew();
            using var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(stopwatch.ElapsedMilliseconds < 900, $"{url} took {stopwatch.ElapsedMilliseconds} ms");
        }

        // Changes still show on this replica (local invalidation) while Redis is away.
        var slug = (await client.GetJsonAsync("/api/public/content?limit=1")).Slugs()[0];
        var id = await api.ScalarAsync<Guid>($"SELECT id FROM content_item WHERE slug = '{slug}'");
        using var admin = api.CreateClient("admin");
        using (var unpublish = await admin.PostAsync($"/api/admin/content/{id}/unpublish", null))
        {
            Assert.Equal(HttpStatusCode.OK, unpublish.StatusCode);
        }

        Assert.DoesNotContain(slug, (await client.GetJsonAsync("/api/public/content")).Slugs());
    }
}
