using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Limits;

public sealed class SearchLimitsHost : DiscoveryHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Database:AnonymousStatementTimeoutMs"] = "500";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var creator = await data.CreatorAsync("search_limits");
        await data.ItemAsync(creator, "Guitar piano drums violin cello lesson", publishedAt: DateTimeOffset.UtcNow.AddDays(-1));
    }
}

public sealed class SearchLimitsTests(SearchLimitsHost api) : IClassFixture<SearchLimitsHost>
{
    private async Task<System.Text.Json.JsonElement> SearchAsync(string q)
    {
        using var client = api.CreateClient();
        return await client.GetJsonAsync("/api/public/search?q=" + Uri.EscapeDataString(q));
    }

    [Fact]
    public async Task At_most_three_unknown_words_are_corrected()
    {
        var result = await SearchAsync("guitarr pianoo drumss violinn celloo");

        Assert.Equal("fuzzy", result.GetProperty("mode").GetString());
        Assert.Equal("guitar piano drums violinn celloo", result.GetProperty("corrected_query").GetString());
    }

    [Fact]
    public async Task Repeated_words_are_searched_once()
    {
        var result = await SearchAsync("guitarr Guitarr guitarr  guitarr");

        Assert.Equal("guitarr", result.GetProperty("query").GetString());
        Assert.Equal("guitar", result.GetProperty("corrected_query").GetString());
        Assert.Single(result.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Long_queries_are_cut_to_eight_words_so_a_changing_tail_is_the_same_query()
    {
        var head = string.Join(' ', Enumerable.Range(0, 8).Select(i => $"nonsense{i}"));
        var first = await SearchAsync(head + " " + string.Join(' ', Enumerable.Range(0, 40).Select(i => $"tail{i}a")));
        var second = await SearchAsync(head + " " + string.Join(' ', Enumerable.Range(0, 40).Select(i => $"tail{i}b")));

        Assert.Equal(head, first.GetProperty("query").GetString());
        Assert.Equal(head, second.GetProperty("query").GetString());
    }

    [Fact]
    public async Task Or_terms_are_capped()
    {
        var result = await SearchAsync("or guitar or or piano or drums or violin or cello or");

        Assert.Equal("guitar or piano or drums or violin cello", result.GetProperty("query").GetString());
    }

    [Theory]
    [InlineData("/api/public/search?q=")]
    [InlineData("/search?q=")]
    public async Task A_read_cut_off_by_the_statement_timeout_is_503_with_retry_after_not_500(string path)
    {
        // A lock held elsewhere (a migration, a long maintenance statement) makes the public read wait past the anonymous
        // role's statement_timeout: PostgreSQL cancels it with 57014 (query_canceled). That is the server being
        // temporarily unable to answer (RFC 9110 15.6.4), not a bug in the request.
        await using var blocker = await api.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE content_item, search_word IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        using var client = api.CreateClient();
        using var response = await client.GetAsync(path + "timeout" + Guid.NewGuid().ToString("N")[..8]);
        await transaction.RollbackAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Anonymous_statements_time_out()
    {
        var anonymous = api.Services.GetRequiredService<AnonymousDataSource>().DataSource;
        await using var command = anonymous.CreateCommand("SELECT pg_sleep(3)");

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.QueryCanceled, error.SqlState);
    }
}

public sealed class SearchRateLimitHost : DiscoveryHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["RateLimits:SearchPermits"] = "3";
        settings["RateLimits:SearchWindowSeconds"] = "60";
    }
}

public sealed class SearchRateLimitTests(SearchRateLimitHost api) : IClassFixture<SearchRateLimitHost>
{
    [Fact]
    public async Task Search_has_its_own_lower_budget_per_client()
    {
        using var client = api.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await client.GetAsync($"/api/public/search?q=word{i}");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await client.GetAsync("/api/public/search?q=word9");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);

        using var other = await client.GetAsync("/api/public/categories");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }
}
