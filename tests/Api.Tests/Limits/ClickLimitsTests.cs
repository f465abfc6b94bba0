using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Limits;

/// <summary>Behind the ingress (forwarded headers on), so each test picks its client address.</summary>
public sealed class ClickLimitsHost : DiscoveryHost
{
    public Guid First { get; private set; }

    public Guid Second { get; private set; }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["ForwardedHeaders_Enabled"] = "true";
        settings["RateLimits:ClickPermits"] = "4";
        settings["RateLimits:ClickWindowSeconds"] = "3600";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var creator = await data.CreatorAsync("click_limits");
        First = (await data.ItemAsync(creator, "First clicked item", publishedAt: DateTimeOffset.UtcNow.AddDays(-1))).Id;
        Second = (await data.ItemAsync(creator, "Second clicked item", publishedAt: DateTimeOffset.UtcNow.AddDays(-1))).Id;
    }
}

public sealed class ClickLimitsTests(ClickLimitsHost api) : IClassFixture<ClickLimitsHost>
{
    private async Task<(HttpStatusCode Status, bool Counted)> ClickAsync(Guid item, string address, string userAgent)
    {
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Forwarded-For", address);
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await client.PostAsJsonAsync($"/api/public/content/{item}/click", new { source = "feed" });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, false);
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.GetProperty("counted").GetBoolean());
    }

    [Fact]
    public async Task A_client_rotating_its_user_agent_or_its_ipv6_address_within_a_64_counts_once_per_item()
    {
        Assert.True((await ClickAsync(api.First, "203.0.113.5", "Agent/1")).Counted);
        Assert.False((await ClickAsync(api.First, "203.0.113.5", "Agent/2")).Counted);
        Assert.False((await ClickAsync(api.First, "203.0.113.5", "Agent/3")).Counted);

        Assert.True((await ClickAsync(api.First, "2001:db8:1:2::1", "Agent/1")).Counted);
        Assert.False((await ClickAsync(api.First, "2001:db8:1:2:ffff:ffff:ffff:ffff", "Agent/2")).Counted);
        Assert.True((await ClickAsync(api.First, "2001:db8:1:3::1", "Agent/1")).Counted); // another /64

        Assert.Equal(3L, await api.ScalarAsync<long>($"SELECT count(*) FROM content_click WHERE content_id = '{api.First}'"));
    }

    [Fact]
    public async Task Clicks_per_address_are_capped_per_hour()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await ClickAsync(api.Second, "198.51.100.7", $"Agent/{i}")).Status);
        }

        Assert.All(statuses.Take(4), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[4]);
        Assert.Equal(HttpStatusCode.OK, (await ClickAsync(api.Second, "198.51.100.8", "Agent/1")).Status);
    }
}
