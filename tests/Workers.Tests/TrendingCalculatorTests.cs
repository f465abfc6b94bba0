using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.TestSupport;
using Platform.Workers.Trending;

namespace Platform.Workers.Tests;

public sealed class TrendingCalculatorTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly MigratedDatabase db = new();
    private Guid creator;

    public async Task InitializeAsync()
    {
        await db.InitializeAsync();
        creator = await ScalarAsync<Guid>("INSERT INTO users (username, is_public) VALUES ('trend_maker', true) RETURNING id");
    }

    public Task DisposeAsync() => db.DisposeAsync();

    private TrendingCalculator Calculator(double gravity = 1.8) => new(
        db.DataSource, Options.Create(new TrendingOptions { Gravity = gravity, SettleSeconds = 0 }), NullLogger<TrendingCalculator>.Instance);

    /// <summary>The documented formula, computed independently of the SQL: sum over hours of n / (age_h - 0.5 + 2)^g.</summary>
    private static double ExpectedScore(IEnumerable<DateTimeOffset> clicks, DateTimeOffset now, TimeSpan window, double gravity = 1.8) =>
        clicks
            .Select(c => new DateTimeOffset(c.UtcTicks - c.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero))
            .Where(hour => hour >= now - window && hour <= now)
            .GroupBy(hour => hour)
            .Sum(g => g.Count() / Math.Pow(Math.Max((now - g.Key).TotalHours - 0.5, 0) + 2, gravity));

    [Fact]
    public async Task Scores_follow_the_decay_formula_and_rank_each_window()
    {
        var clicks = new Dictionary<string, List<DateTimeOffset>>
        {
            // Many old clicks vs. few fresh ones: gravity decides.
            ["old-burst"] = Enumerable.Repeat(Now.AddHours(-30), 40).ToList(),
            ["fresh-few"] = Enumerable.Repeat(Now.AddMinutes(-50), 3).ToList(),
            ["steady"] = Enumerable.Range(1, 20).Select(h => Now.AddHours(-h)).ToList(),
            ["yesterday"] = Enumerable.Repeat(Now.AddHours(-10), 6).ToList(),
            ["last-month"] = Enumerable.Repeat(Now.AddDays(-20), 100).ToList(),
        };
        var ids = new Dictionary<string, Guid>();
        foreach (var (name, times) in clicks)
        {
            ids[name] = await ItemAsync(name, category: (short)(name == "steady" ? 1 : 2));
            await ClicksAsync(ids[name], times);
        }

        var hidden = await ItemAsync("unpublished", status: "unpublished");
        await ClicksAsync(hidden, Enumerable.Repeat(Now.AddMinutes(-10), 50));

        var result = await Calculator().RecomputeAsync(Now);

        Assert.True(result.Ran);
        Assert.Equal(clicks.Values.Sum(c => c.Count) + 50, result.ClicksRolledUp);
        foreach (var (window, span) in new[] { ("24h", TimeSpan.FromHours(24)), ("7d", TimeSpan.FromDays(7)) })
        {
            var expected = clicks
                .Select(c => (Name: c.Key, Score: ExpectedScore(c.Value, Now, span)))
                .Where(e => e.Score > 0)
                .OrderByDescending(e => e.Score)
                .ToList();
            var actual = await TrendingAsync(window);
            Assert.Equal(expected.Select(e => ids[e.Name]), actual.Select(a => a.Id));
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Score, actual[i].Score, 9);
                Assert.Equal(i + 1, actual[i].Rank);
            }

            Assert.DoesNotContain(actual, a => a.Id == hidden);
        }

        // Gravity: 3 clicks an hour ago outrank 6 clicks ten hours ago; clicks older than the window do not count.
        var day = (await TrendingAsync("24h")).Select(a => a.Id).ToList();
        Assert.True(day.IndexOf(ids["fresh-few"]) < day.IndexOf(ids["yesterday"]));
        Assert.DoesNotContain(ids["old-burst"], day);
        Assert.DoesNotContain(ids["last-month"], (await TrendingAsync("7d")).Select(a => a.Id));
        Assert.Equal(219L, await ScalarAsync<long>("SELECT sum(click_count)::bigint FROM content_item"));

        // The tick also brings the search's typo dictionary up to date: words of published titles only.
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM search_word WHERE word = 'steady'"));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM search_word WHERE word = 'unpublished'"));
    }

    [Fact]
    public async Task Ticks_are_incremental_and_click_counts_are_not_counted_twice()
    {
        var item = await ItemAsync("incremental");
        await ClicksAsync(item, Enumerable.Repeat(Now.AddHours(-1), 5));
        var calculator = Calculator();

        await calculator.RecomputeAsync(Now);
        await calculator.RecomputeAsync(Now);
        Assert.Equal(5L, await ClickCountAsync(item));

        await ClicksAsync(item, Enumerable.Repeat(Now.AddMinutes(-5), 2));
        var second = await calculator.RecomputeAsync(Now);
        Assert.Equal(2, second.ClicksRolledUp);
        Assert.Equal(7L, await ClickCountAsync(item));
        Assert.Equal(7, (await TrendingAsync("24h")).Single().Clicks);

        // Two days later the item has left the 24h window (row deleted) but is still in the 7d one.
        await calculator.RecomputeAsync(Now.AddDays(2));
        Assert.Empty(await TrendingAsync("24h"));
        Assert.Single(await TrendingAsync("7d"));
    }

    [Fact]
    public async Task Only_one_replica_computes_while_another_holds_the_lock()
    {
        var item = await ItemAsync("locked");
        await ClicksAsync(item, Enumerable.Repeat(Now.AddHours(-1), 3));

        await using (var holder = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await holder.BeginTransactionAsync())
        {
            await using var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({TrendingCalculator.LockKey})", holder, transaction);
            await take.ExecuteNonQueryAsync();

            var skipped = await Calculator().RecomputeAsync(Now);

            Assert.False(skipped.Ran);
            Assert.Equal(0L, await ClickCountAsync(item));
        }

        // Racing replicas: each tick either runs or skips; the clicks are counted exactly once.
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Calculator().RecomputeAsync(Now)));
        Assert.Contains(results, r => r.Ran);
        Assert.Equal(3, results.Sum(r => r.ClicksRolledUp));
        Assert.Equal(3L, await ClickCountAsync(item));
    }

    private async Task<Guid> ItemAsync(string title, string status = "published", short category = 1)
    {
        await using var command = db.DataSource.CreateCommand("""
            INSERT INTO content_item (creator_id, platform, external_id, title, status, published_at, category_id)
            VALUES (@creator, 'youtube', @external, @title, @status, @published, @category) RETURNING id
            """);
        command.Parameters.AddWithValue("creator", creator);
        command.Parameters.AddWithValue("external", Guid.NewGuid().ToString("N"));
        command.Parameters.AddWithValue("title", title);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("published", Now.AddDays(-30));
        command.Parameters.AddWithValue("category", category);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    private async Task ClicksAsync(Guid item, IEnumerable<DateTimeOffset> times)
    {
        foreach (var at in times)
        {
            await using var command = db.DataSource.CreateCommand(
                "INSERT INTO content_click (content_id, clicked_at, visitor_hash, source) VALUES (@id, @at, @visitor, 'test')");
            command.Parameters.AddWithValue("id", item);
            command.Parameters.AddWithValue("at", at);
            command.Parameters.AddWithValue("visitor", RandomNumberGenerator.GetBytes(16));
            await command.ExecuteNonQueryAsync();
        }
    }

    private async Task<List<(Guid Id, double Score, int Rank, int Clicks)>> TrendingAsync(string window)
    {
        await using var command = db.DataSource.CreateCommand(
            "SELECT content_id, score, rank, click_count FROM trending_content WHERE time_window = @w ORDER BY score DESC, content_id");
        command.Parameters.AddWithValue("w", window);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(Guid, double, int, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetGuid(0), reader.GetDouble(1), reader.GetInt32(2), reader.GetInt32(3)));
        }

        return rows;
    }

    private Task<long> ClickCountAsync(Guid item) => ScalarAsync<long>($"SELECT click_count FROM content_item WHERE id = '{item}'");

    private async Task<T> ScalarAsync<T>(string sql) => (await db.ScalarAsync<T>(sql))!;
}
