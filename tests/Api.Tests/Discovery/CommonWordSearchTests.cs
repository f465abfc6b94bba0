using System.Text.Json;
using Npgsql;
using Platform.Api.Features.Discovery.Search;
using Platform.TestSupport;

namespace Platform.Api.Tests.Discovery;

/// <summary>
/// 300 items where "tutorial" is in two thirds of them (common by PostgreSQL's statistics once ANALYZE ran) and
/// "unicorn" in three: the newest matching rows are hidden ones (unpublished, removed, a private creator's), and the
/// newest visible matches hold the word only in their description (a lower rank than a title match).
/// </summary>
public sealed class CommonWordSearchFixture : DiscoveryHost
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public List<string> HiddenSlugs { get; } = [];

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var coach = await data.CreatorAsync("coach_kim");
        var secret = await data.CreatorAsync("secret_sue", isPublic: false);
        await data.ExecuteAsync(
            """
            INSERT INTO content_item (creator_id, platform, external_id, title, description, status, published_at, category_id)
            SELECT @coach, 'youtube', 'title-' || n, 'Kettlebell tutorial number ' || n, 'Swings and presses', 'published',
                   @start + n * interval '1 hour', (SELECT id FROM content_category WHERE slug = CASE WHEN n % 2 = 0 THEN 'fitness' ELSE 'food' END)
            FROM generate_series(1, 150) AS n;
            INSERT INTO content_item (creator_id, platform, external_id, title, description, status, published_at, category_id)
            SELECT @coach, 'youtube', 'description-' || n, 'Evening stretch ' || n, 'A short tutorial for the evening', 'published',
                   @start + interval '30 days' + n * interval '1 hour', (SELECT id FROM content_category WHERE slug = 'fitness')
            FROM generate_series(1, 40) AS n;
            INSERT INTO content_item (creator_id, platform, external_id, title, description, status, published_at, category_id)
            SELECT @coach, 'youtube', 'other-' || n, 'Pizza dough ' || n, CASE WHEN n <= 3 THEN 'A unicorn shaped crust' ELSE 'Flour and water' END,
                   'published', @start + n * interval '1 hour', (SELECT id FROM content_category WHERE slug = 'food')
            FROM generate_series(1, 100) AS n;
            INSERT INTO content_item (creator_id, platform, external_id, title, status, published_at)
            VALUES (@coach, 'youtube', 'hidden-1', 'Kettlebell tutorial unpublished', 'unpublished', @start + interval '90 days'),
                   (@coach, 'youtube', 'hidden-2', 'Kettlebell tutorial removed', 'removed', @start + interval '90 days'),
                   (@secret, 'youtube', 'hidden-3', 'Kettlebell tutorial private', 'published', @start + interval '90 days');
            ANALYZE content_item;
            """,
            ("coach", coach), ("secret", secret), ("start", Start));
        await using var hidden = DataSource.CreateCommand("SELECT slug FROM content_item WHERE external_id LIKE 'hidden-%'");
        await using var reader = await hidden.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            HiddenSlugs.Add(reader.GetString(0));
        }
    }
}

public sealed class CommonWordSearchTests(CommonWordSearchFixture api) : IClassFixture<CommonWordSearchFixture>
{
    /// <summary>Every visible match ranked by ts_rank, then newest: what the search documents, computed over all matches.</summary>
    private async Task<List<string>> FullRankingAsync(string q, string? category, int limit)
    {
        await using var command = api.DataSource.CreateCommand(
            """
            SELECT c.slug
            FROM content_item c JOIN users u ON u.id = c.creator_id LEFT JOIN content_category cat ON cat.id = c.category_id,
                 websearch_to_tsquery('english', @q) AS query(tsq)
            WHERE c.status = 'published' AND u.is_public AND u.username IS NOT NULL AND c.search_vector @@ query.tsq
              AND (@category::text IS NULL OR cat.slug = @category)
            ORDER BY ts_rank(c.search_vector, query.tsq) DESC, c.published_at DESC, c.id DESC
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("q", q);
        command.Parameters.AddWithValue("category", NpgsqlTypes.NpgsqlDbType.Text, (object?)category ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        var slugs = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            slugs.Add(reader.GetString(0));
        }

        return slugs;
    }

    private static List<string> Slugs(JsonElement result) =>
        [.. result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("content").GetProperty("slug").GetString()!)];

    [Theory]
    [InlineData("tutorial", null)] // common: the walk of the newest items
    [InlineData("tutorial", "fitness")] // common, in one category: the walk of that category's newest items
    [InlineData("kettlebell tutorial", null)] // both words common
    [InlineData("unicorn", null)] // rare: the GIN index
    [InlineData("tutorial unicorn", null)] // common and rare together: nothing, then corrected to nothing
    [InlineData("pizza", null)]
    public async Task Search_gives_the_full_rankings_top_results_and_never_a_hidden_item(string q, string? category)
    {
        using var client = api.CreateClient();

        var result = await client.GetJsonAsync("/api/public/search?limit=20&q=" + Uri.EscapeDataString(q) + (category is null ? "" : "&category=" + category));

        var slugs = Slugs(result);
        Assert.Equal(await FullRankingAsync(q, category, 20), slugs);
        Assert.DoesNotContain(slugs, api.HiddenSlugs.Contains);
    }

    [Fact]
    public async Task A_common_word_in_titles_ranks_its_newest_title_matches_above_newer_description_matches()
    {
        using var client = api.CreateClient();

        var slugs = Slugs(await client.GetJsonAsync("/api/public/search?limit=5&q=tutorial"));

        // The 40 newest visible matches hold "tutorial" only in their description: the title matches still come first,
        // newest first (numbers 150, 149, ...), as over all matches.
        Assert.Equal(5, slugs.Count);
        Assert.All(slugs, s => Assert.StartsWith("kettlebell-tutorial-number-", s));
        Assert.Equal(await FullRankingAsync("tutorial", null, 5), slugs);
    }

    /// <summary>
    /// The plan each kind of query ran (auto_explain with run-time figures on the connection, as app_anonymous like the
    /// public reads): a common word walks the newest items and never builds the GIN bitmap (which would hold every
    /// match); a rare word uses the GIN index and never walks.
    /// </summary>
    [Fact]
    public async Task A_common_word_walks_the_newest_items_and_a_rare_word_uses_the_full_text_index()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        var plans = await AutoExplain.EnableAsync(connection, analyze: true);
        await using (var role = new NpgsqlCommand("SET ROLE app_anonymous", connection))
        {
            await role.ExecuteNonQueryAsync();
        }

        var common = await CommonLexemes.ReadAsync(connection, CancellationToken.None);

        async Task<(bool Ran, bool Skipped)> NodeAsync(string q, string? category, string node, string[]? commonLexemes = null)
        {
            plans.Clear();
            var response = await SearchQuery.ExecuteAsync(connection, q, category, 20, commonLexemes ?? common, CancellationToken.None);
            Assert.NotEmpty(response.Items);
            var plan = Assert.Single(plans, p => p.Contains("content_item", StringComparison.Ordinal));
            Assert.DoesNotContain("pg_statistic", plan, StringComparison.Ordinal); // the statistics come from CommonLexemes, not every query
            var lines = plan.Split('\n').Where(l => l.Contains(node, StringComparison.Ordinal)).ToList();
            return (lines.Any(l => !l.Contains("never executed", StringComparison.Ordinal)), lines.Any(l => l.Contains("never executed", StringComparison.Ordinal)));
        }

        // The walk reads content_item as "newest", the GIN path as "matching" (on 300 rows the planner may read either by
        // a sequential scan; at scale they are the recency index and the GIN index).
        const string gin = "on content_item matching";
        const string walk = "on content_item newest";
        const string fresh = "on search_recent r";
        Assert.Equal((true, false), await NodeAsync("tutorial", null, walk));
        Assert.Equal((false, true), await NodeAsync("tutorial", null, gin));
        Assert.Equal((true, false), await NodeAsync("tutorial", "fitness", walk));
        Assert.Equal((false, true), await NodeAsync("tutorial", "fitness", gin));
        Assert.Equal((true, false), await NodeAsync("unicorn", null, gin));
        Assert.Equal((false, true), await NodeAsync("unicorn", null, walk));
        Assert.Equal((true, false), await NodeAsync("unicorn", null, fresh)); // 3 among the newest: too few, then all
        // "pizza" (100 of 300 rows) as if it were not common (at scale: a topic word in 1 % of a million items): 100
        // matches among the newest, enough for the page.
        Assert.Equal((true, false), await NodeAsync("pizza", null, fresh, commonLexemes: []));
        Assert.Equal((false, true), await NodeAsync("pizza", null, gin, commonLexemes: []));
        Assert.Equal((false, true), await NodeAsync("pizza", null, walk, commonLexemes: []));
    }

    /// <summary>
    /// A word with enough matches overall but fewer than 4 × the page among the newest items (search_recent cut back to
    /// 10 rows, then refilled) is ranked over the index of all items: the full ranking's results.
    /// </summary>
    [Fact]
    public async Task A_word_too_rare_among_the_newest_items_is_ranked_over_all_items()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        var expected = await FullRankingAsync("pizza", null, 20);
        await using (var trim = new NpgsqlCommand("SELECT trim_search_recent(10)", connection))
        {
            await trim.ExecuteScalarAsync();
        }

        try
        {
            var plans = await AutoExplain.EnableAsync(connection, analyze: true);
            plans.Clear();

            var response = await SearchQuery.ExecuteAsync(connection, "pizza", null, 20, [], CancellationToken.None);

            Assert.Equal(expected, [.. response.Items.Select(i => i.Content.Slug)]);
            var plan = Assert.Single(plans, p => p.Contains("content_item", StringComparison.Ordinal));
            Assert.Contains(plan.Split('\n'), l => l.Contains("on content_item matching", StringComparison.Ordinal) && !l.Contains("never executed", StringComparison.Ordinal));
        }
        finally
        {
            await using var refill = new NpgsqlCommand(
                """
                INSERT INTO search_recent (id, published_at, category_id, search_vector)
                SELECT id, published_at, category_id, search_vector FROM content_item WHERE status = 'published'
                ON CONFLICT (id) DO NOTHING
                """,
                connection);
            await refill.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// The best candidates are joined to the card columns best first and the join stops at the limit: of 100 visible
    /// "pizza" matches and limit 5, five rows are looked up, not the 4 × 5 candidates kept for hidden ones.
    /// </summary>
    [Fact]
    public async Task The_card_join_stops_after_the_limit_of_visible_results()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync(); // the plan of the full-scale seed on 300 rows: index lookups by id
        }

        var common = await CommonLexemes.ReadAsync(connection, CancellationToken.None);
        var plans = await AutoExplain.EnableAsync(connection, analyze: true);

        var response = await SearchQuery.ExecuteAsync(connection, "pizza", null, 5, common, CancellationToken.None);

        Assert.Equal(5, response.Items.Count);
        var plan = Assert.Single(plans, p => p.Contains("content_item", StringComparison.Ordinal));
        var lookup = Assert.Single(plan.Split('\n'), l => l.Contains("on content_item c ", StringComparison.Ordinal));
        Assert.Matches(@"rows=1(\.00)? loops=5\)", lookup); // PostgreSQL 18 prints rows=1.00
    }

    [Fact]
    public async Task The_common_lexemes_are_the_statistics_words_in_at_least_4_percent_and_are_reread_only_after_the_interval()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        var time = new ManualTime { Now = CommonWordSearchFixture.Start };
        var common = new CommonLexemes(time);

        var lexemes = await common.GetAsync(connection, CancellationToken.None);

        Assert.Contains("tutori", lexemes); // in 190 of 300 rows
        Assert.Contains("kettlebel", lexemes); // 150
        Assert.DoesNotContain("unicorn", lexemes); // 3
        await connection.CloseAsync();
        time.Now += CommonLexemes.RefreshInterval - TimeSpan.FromSeconds(1);
        Assert.Same(lexemes, await common.GetAsync(connection, CancellationToken.None)); // not read: the connection is closed
        time.Now += TimeSpan.FromSeconds(1);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await common.GetAsync(connection, CancellationToken.None));
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
