using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Api.Tests.Discovery;

/// <summary>Own database: the clicks here must not leak into the trending assertions of <see cref="PublicEndpointsTests"/>.</summary>
public sealed class ClickTests(PublicEndpointsFixture api) : IClassFixture<PublicEndpointsFixture>
{
    [Fact]
    public async Task Clicks_are_counted_once_per_visitor_and_window_with_a_hash_not_the_ip()
    {
        var item = api.Items["guitar-title"].Id;
        using var first = api.CreateClient();
        first.DefaultRequestHeaders.UserAgent.ParseAdd("VisitorOne/1.0");
        using var second = api.CreateClient();
        second.DefaultRequestHeaders.UserAgent.ParseAdd("VisitorTwo/1.0");

        async Task<bool> ClickAsync(HttpClient client)
        {
            using var response = await client.PostAsJsonAsync($"/api/public/content/{item}/click", new { source = "feed", referrer = "https://ref.example/page" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("counted").GetBoolean();
        }

        Assert.True(await ClickAsync(first));
        Assert.False(await ClickAsync(first));
        Assert.False(await ClickAsync(first));
        Assert.False(await ClickAsync(second)); // another User-Agent from the same address is the same visitor

        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM content_click WHERE content_id = '{item}'"));
        Assert.Equal(16, await api.ScalarAsync<int>($"SELECT min(octet_length(visitor_hash)) FROM content_click WHERE content_id = '{item}'"));
        Assert.Equal(0L, await api.ScalarAsync<long>(
            $"SELECT count(*) FROM content_click WHERE content_id = '{item}' AND position(convert_to('127.0.0.1', 'UTF8') in visitor_hash) > 0"));
        Assert.Equal("https://ref.example/page", await api.ScalarAsync<string>($"SELECT min(referrer) FROM content_click WHERE content_id = '{item}'"));

        foreach (var hidden in new[] { api.Items["hidden-minecraft"].Id, api.Items["private-minecraft"].Id, Guid.NewGuid() })
        {
            using var response = await first.PostAsJsonAsync($"/api/public/content/{hidden}/click", new { });
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        using var bad = await first.PostAsJsonAsync("/api/public/content/not-a-guid/click", new { });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
