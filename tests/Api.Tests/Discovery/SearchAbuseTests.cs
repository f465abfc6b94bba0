using System.Net;
using System.Text.Json;

namespace Platform.Api.Tests.Discovery;

/// <summary>
/// 2,000 filler items (so that no test word is common: each is in far under 4 % of the rows), five older "zeppelin"
/// items of a public creator, and eighty newer ones of another creator whose titles repeat the word (a higher
/// ts_rank), still public when seeded.
/// </summary>
public sealed class SearchAbuseFixture : DiscoveryHost
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public Guid Stuffer { get; private set; }

    public List<string> PublicSlugs { get; } = [];

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["RateLimits:SearchPermits"] = "100000"; // dozens of searches per test
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var honest = await data.CreatorAsync("honest_hal");
        Stuffer = await data.CreatorAsync("stuffer_stan");
        await data.ExecuteAsync(
            """
            INSERT INTO content_item (creator_id, platform, external_id, title, description, status, published_at, category_id)
            SELECT @honest, 'youtube', 'filler-' || n, 'Garden diary ' || n, 'Tomatoes and beans', 'published',
                   @start + n * interval '1 minute', (SELECT id FROM content_category WHERE slug = 'food')
            FROM generate_series(1, 2000) AS n;
            INSERT INTO content_item (creator_id, platform, external_id, title, status, published_at)
            SELECT @stuffer, 'youtube', 'stuffed-' || n, 'Zeppelin zeppelin zeppelin ' || n, 'published', @start + interval '60 days' + n * interval '1 hour'
            FROM generate_series(1, 80) AS n;
            """,
            ("honest", honest), ("stuffer", Stuffer), ("start", Start));
        for (var i = 1; i <= 5; i++)
        {
            PublicSlugs.Insert(0, (await data.ItemAsync(honest, $"Zeppelin history part {i}", publishedAt: Start.AddDays(30).AddHours(i))).Slug);
        }
    }
}

public sealed class SearchAbuseTests(SearchAbuseFixture api) : IClassFixture<SearchAbuseFixture>
{
    private static List<string> Slugs(JsonElement result) =>
        [.. result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("content").GetProperty("slug").GetString()!)];

    /// <summary>
    /// A creator whose eighty newest matches outrank everyone's turns private: search_recent still holds ≥ 4 × the page of
    /// their rows (it has no creator column), which used to fill every candidate slot and, dropped by the visibility join,
    /// left the page empty although five public items match. Public again, their items are found again.
    /// </summary>
    [Fact]
    public async Task A_private_creators_matches_neither_appear_nor_crowd_out_the_public_ones()
    {
        using var client = api.CreateClient();
        await api.Data.ExecuteAsync("UPDATE users SET is_public = false WHERE id = @id", ("id", api.Stuffer));
        try
        {
            var result = await client.GetJsonAsync("/api/public/search?limit=17&q=zeppelin");

            Assert.Equal("fulltext", result.GetProperty("mode").GetString());
            Assert.Equal(api.PublicSlugs, Slugs(result)); // (a limit no other test asks: not from the cache)
        }
        finally
        {
            await api.Data.ExecuteAsync("UPDATE users SET is_public = true WHERE id = @id", ("id", api.Stuffer));
        }

        var again = await client.GetJsonAsync("/api/public/search?limit=19&q=zeppelin");
        Assert.Equal(19, Slugs(again).Count);
        Assert.All(Slugs(again), s => Assert.StartsWith("zeppelin-zeppelin-zeppelin-", s));
    }

    /// <summary>
    /// The same through the walk of the newest items (the path of a common word: "zeppelin" passed as common): the
    /// private creator's eighty newest matches used to fill the walk's count and every candidate slot.
    /// </summary>
    [Fact]
    public async Task A_private_creators_matches_do_not_crowd_out_the_public_ones_on_the_newest_items_walk()
    {
        await api.Data.ExecuteAsync("UPDATE users SET is_public = false WHERE id = @id", ("id", api.Stuffer));
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(api.ConnectionString);
            await connection.OpenAsync();
            await using (var role = new Npgsql.NpgsqlCommand("SET ROLE app_anonymous", connection))
            {
                await role.ExecuteNonQueryAsync();
            }

            var response = await Platform.Api.Features.Discovery.Search.SearchQuery.ExecuteAsync(
                connection, "zeppelin", null, 17, ["zeppelin"], CancellationToken.None);

            Assert.Equal("fulltext", response.Mode);
            Assert.Equal(api.PublicSlugs, [.. response.Items.Select(i => i.Content.Slug)]);
        }
        finally
        {
            await api.Data.ExecuteAsync("UPDATE users SET is_public = true WHERE id = @id", ("id", api.Stuffer));
        }
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=-1")]
    [InlineData("limit=51")]
    [InlineData("limit=2147483648")]
    [InlineData("limit=99999999999999999999")]
    [InlineData("limit=abc")]
    [InlineData("limit=1.5")]
    [InlineData("limit=")]
    public async Task A_bad_limit_is_a_400_problem(string query)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync("/api/public/search?q=zeppelin&" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(400, body.RootElement.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("the a of")] // only stop words
    [InlineData("... !!! ???")]
    [InlineData("\"zeppelin")] // unbalanced quote
    [InlineData("\"zeppelin history\" -part")]
    [InlineData("-zeppelin")]
    [InlineData("or or or zeppelin or or or or or history or")]
    [InlineData("zeppelin or")]
    [InlineData("Цеппелин 飛行船 زيبلين 🚀🚀")]
    [InlineData("zeppelin\u0000history")]
    [InlineData("\udc00zeppelin\ud800")]
    [InlineData("zepelin")] // a typo of a word
    public async Task Any_query_in_any_category_and_on_the_page_answers_200(string q)
    {
        using var client = api.CreateClient();

        foreach (var url in new[] { "/api/public/search?q=", "/api/public/search?category=no-such-category&q=", "/search?q=" })
        {
            using var response = await client.GetAsync(url + Uri.EscapeDataString(q));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var huge = await client.GetAsync("/api/public/search?q=" + Uri.EscapeDataString(string.Concat(Enumerable.Repeat(q + " ", 1000 / q.Length + 1))));
        Assert.Equal(HttpStatusCode.OK, huge.StatusCode);
    }
}
