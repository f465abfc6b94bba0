using System.Net;
using System.Text.Json;

namespace Platform.Api.Tests.Discovery;

public sealed class TightRateLimitHost : DiscoveryHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:RateLimitPermits"] = "5";
        settings["Discovery:RateLimitWindowSeconds"] = "30";
    }
}

public sealed class RateLimitTests(TightRateLimitHost api) : IClassFixture<TightRateLimitHost>
{
    [Fact]
    public async Task A_client_over_its_limit_gets_429_with_retry_after_and_health_is_not_limited()
    {
        using var client = api.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            using var ok = await client.GetAsync("/api/public/categories");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await client.GetAsync("/api/public/content");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 30);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
        Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
