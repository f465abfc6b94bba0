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

        // A browser over the limit on a site page sees the site's 429 page (with Retry-After), not raw JSON.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/category/news");
        request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        using var page = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, page.StatusCode);
        Assert.NotNull(page.Headers.RetryAfter?.Delta);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.True(page.Headers.CacheControl?.NoStore, "a 429 page must not be cached");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Too many requests</h1>", html);
        Assert.Contains("class=\"brand\"", html);

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}

/// <summary>The Api behind an ingress: ASP.NET Core's forwarded-headers switch on, as the deployment sets it.</summary>
public sealed class ForwardedRateLimitHost : DiscoveryHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Discovery:RateLimitPermits"] = "5";
        settings["Discovery:RateLimitWindowSeconds"] = "30";
        settings["ForwardedHeaders_Enabled"] = "true"; // ASPNETCORE_FORWARDEDHEADERS_ENABLED=true
    }
}

public sealed class ForwardedRateLimitTests(ForwardedRateLimitHost api) : IClassFixture<ForwardedRateLimitHost>
{
    [Fact]
    public async Task Clients_behind_the_ingress_get_a_bucket_each_keyed_by_the_address_the_ingress_saw()
    {
        using var first = ClientAt("203.0.113.10");
        for (var i = 0; i < 5; i++)
        {
            using var ok = await first.GetAsync("/api/public/categories");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var limited = await first.GetAsync("/api/public/categories"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        }

        // Another client through the same proxy connection has its own bucket.
        using var second = ClientAt("203.0.113.20");
        using (var other = await second.GetAsync("/api/public/categories"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // A client cannot pick a fresh bucket by sending its own X-Forwarded-For: the ingress appends the address it
        // saw, and only that last entry is trusted.
        using var spoofing = ClientAt("198.51.100.99, 203.0.113.10");
        using (var spoofed = await spoofing.GetAsync("/api/public/categories"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, spoofed.StatusCode);
        }
    }

    private HttpClient ClientAt(string forwardedFor)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        return client;
    }
}
