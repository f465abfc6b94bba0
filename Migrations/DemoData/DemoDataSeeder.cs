using Npgsql;

namespace Platform.Migrations.DemoData;

/// <summary>What <see cref="DemoDataSeeder.SeedAsync"/> did: rows added (0 when the demo data was already there) and the trending rows now.</summary>
public sealed record DemoDataOutcome(int CreatorsAdded, int ItemsAdded, int ClicksAdded, long ClicksRolledUp, int TrendingRows)
{
    public override string ToString() => CreatorsAdded == 0
        ? $"Demo data already present; trending recomputed ({TrendingRows} rows)."
        : $"Added {CreatorsAdded} creators, {ItemsAdded} items, {ClicksAdded} clicks; trending recomputed ({TrendingRows} rows).";
}

/// <summary>
/// Demo data for a local run (the dashboard's "Seed demo data" command, <c>Migrations seed-demo</c>): 300 public
/// creators, 3,000 published items with thumbnails and 30,000 clicks of the last 30 days (<see cref="DemoDataWriter"/>,
/// fixed random seed), then the click rollup, trending (24h and 7d), the search's word list and 12 featured creators.
/// Idempotent: a second run (or a concurrent one, under an advisory lock) adds nothing and only recomputes trending.
/// The database must be migrated.
/// </summary>
public static class DemoDataSeeder
{
    public const int Creators = 300;
    public const int Items = 3_000;
    public const int Clicks = 30_000;

    /// <summary>The e-mail domain of the demo creators (how a run recognises earlier ones).</summary>
    public const string EmailDomain = "@seed.example";

    private const long LockKey = 0x5EED_DE30;

    public static async Task<DemoDataOutcome> SeedAsync(string connectionString, CancellationToken ct = default)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
        {
            take.Parameters.AddWithValue("key", LockKey);
            await take.ExecuteNonQueryAsync(ct);
        }

        try
        {
            var existing = await ScalarAsync<long>(dataSource, $"SELECT count(*) FROM users WHERE email LIKE '%{EmailDomain}'", ct);
            int creators = 0, items = 0, clicks = 0;
            if (existing == 0)
            {
                var random = new Random(42);
                var now = DateTimeOffset.UtcNow;
                var creatorIds = await DemoDataWriter.CopyCreatorsAsync(dataSource, Creators, random, now);
                var itemIds = await DemoDataWriter.CopyItemsAsync(dataSource, creatorIds, Items, random, now);
                await DemoDataWriter.CopyClicksAsync(dataSource, itemIds, Clicks, random, now);
                (creators, items, clicks) = (Creators, Items, Clicks);
            }

            var rolledUp = await ScalarAsync<long>(dataSource, "SELECT rollup_content_clicks(interval '0', 1000000000)", ct);
            var trending = await ScalarAsync<int>(dataSource, "SELECT refresh_trending('24h') + refresh_trending('7d')", ct);
            await ScalarAsync<int>(dataSource, "SELECT refresh_search_words()", ct);
            await using (var featured = dataSource.CreateCommand($"""
                INSERT INTO featured_creator (user_id, position)
                SELECT id, row_number() OVER (ORDER BY username)
                FROM (SELECT id, username FROM users WHERE is_public AND email LIKE '%{EmailDomain}' ORDER BY username LIMIT 12) u
                WHERE NOT EXISTS (SELECT 1 FROM featured_creator)
                """))
            {
                await featured.ExecuteNonQueryAsync(ct);
            }

            return new DemoDataOutcome(creators, items, clicks, rolledUp, trending);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection);
            release.Parameters.AddWithValue("key", LockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync(ct))!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
