using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Platform.Api.Tests.Limits;

/// <summary>The Api as deployed: Production, with its public origin configured.</summary>
public sealed class ProductionHost : ApiHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["environment"] = "Production";
        settings["Discovery:PublicBaseUrl"] = "https://public.example";
        settings["Discovery:CacheKeyPrefix"] = $"test:{Guid.NewGuid():N}:";
    }
}

public sealed class PublicHostTests(ProductionHost api) : IClassFixture<ProductionHost>
{
    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, string? host)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Outside_development_a_foreign_host_is_refused_and_robots_names_the_configured_origin()
    {
        var foreign = await GetAsync("/robots.txt", "evil.example");
        Assert.Equal(HttpStatusCode.BadRequest, foreign.Status);
        Assert.DoesNotContain("evil.example", foreign.Body);

        var longHost = await GetAsync("/sitemap.xml", new string('a', 200) + ".example");
        Assert.Equal(HttpStatusCode.BadRequest, longHost.Status);

        var own = await GetAsync("/robots.txt", "public.example");
        Assert.Equal(HttpStatusCode.OK, own.Status);
        Assert.Contains("Sitemap: https://public.example/sitemap.xml", own.Body);
    }

    [Fact]
    public async Task Probes_answer_whatever_the_host()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/alive", "10.0.0.5:8080")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("/health", "10.0.0.5:8080")).Status);
    }

    [Fact]
    public void Outside_development_the_api_refuses_to_start_without_a_public_base_url()
    {
        using var factory = new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseSetting("ConnectionStrings:platformdb", "Host=127.0.0.1;Port=1;Username=nobody");
            web.UseSetting("ConnectionStrings:cache", "127.0.0.1:1,abortConnect=false");
            web.UseSetting("Auth:SigningKey", TestTokens.SigningKey);
        });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Discovery:PublicBaseUrl (environment Discovery__PublicBaseUrl) must be set outside Development", error.ToString());
    }
}
