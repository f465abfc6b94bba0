using System.Net;
using System.Text.Json;

namespace Platform.Api.Tests;

public class HealthTests(ApiHost api) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Health_checks_postgres_and_redis_and_alive_answers()
    {
        using var client = api.CreateClient();

        using var health = await client.GetAsync("/health");
        var body = await health.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks").EnumerateObject().Select(c => c.Name).ToList();
        Assert.Contains(checks, c => c.Contains("postgres", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(checks, c => c.Contains("redis", StringComparison.OrdinalIgnoreCase));

        using var alive = await client.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Unknown_paths_answer_404_problem_details()
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/api/does-not-exist");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
