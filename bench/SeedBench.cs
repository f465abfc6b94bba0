using System.Diagnostics;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.Core.Audit;
using Platform.Migrations;
using Platform.Migrations.DemoData;

namespace Platform.Bench;

/// <summary>
/// <c>seed --creators N --items M --clicks K</c>: realistic public data in the database of ConnectionStrings__platformdb
/// (migrated first, the audit schema included), loaded with binary COPY: public creators, published items across the 15 categories (titles and
/// descriptions from per-category vocabularies, tags, a thumbnail each), and clicks over the last 30 days skewed to
/// popular items and recent hours; then the click rollup and trending are computed once. Secondary indexes of the
/// big tables are dropped for the load and rebuilt from their own definitions afterwards (much faster than
/// maintaining them row by row). Deterministic for a given --seed.
/// </summary>
public static class SeedBench
{
    private static readonly string[] BigTables = ["content_item", "content_tag", "content_media", "content_click"];

    public static async Task RunAsync(string connectionString, string[] args)
    {
        var creators = Option(args, "--creators", 10_000);
        var items = Option(args, "--items", 100_000);
        var clicks = Option(args, "--clicks", 1_000_000);
        var random = new Random(Option(args, "--seed", 42));
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0, Timeout = 60 };
        connectionString = builder.ConnectionString;

        var total = Stopwatch.StartNew();
        // As the Migrations runner does: the scripts, then Marten's audit schema (the Api is unready until it exists).
        await new MigrationRunner(connectionString, MigrationScriptSource.Embedded(), afterMigrations: ct => AuditStore.ApplySchemaAsync(connectionString, ct)).ApplyAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var version = (string)(await dataSource.CreateCommand("SHOW server_version").ExecuteScalarAsync())!;
        var system = BenchReport.System(version);
        Console.Error.WriteLine($"seed: {creators:N0} creators, {items:N0} items, {clicks:N0} clicks into {builder.Database}");

        var indexes = await DropSecondaryIndexesAsync(dataSource);
        var now = DateTimeOffset.UtcNow;

        var stopwatch = Stopwatch.StartNew();
        var creatorIds = await DemoDataWriter.CopyCreatorsAsync(dataSource, creators, random, now);
        Report("seed.creators", system, creators, stopwatch);

        stopwatch.Restart();
        var itemIds = await DemoDataWriter.CopyItemsAsync(dataSource, creatorIds, items, random, now);
        Report("seed.items", system, items, stopwatch);

        stopwatch.Restart();
        await DemoDataWriter.CopyClicksAsync(dataSource, itemIds, clicks, random, now);
        Report("seed.clicks", system, clicks, stopwatch);

        stopwatch.Restart();
        await RebuildIndexesAsync(dataSource, indexes);
        Report("seed.indexes", system, indexes.Count, stopwatch);

        stopwatch.Restart();
        var rolledUp = await ScalarAsync<long>(dataSource, "SELECT rollup_content_clicks(interval '0', 1000000000)");
        var trending = await ScalarAsync<int>(dataSource, "SELECT refresh_trending('24h') + refresh_trending('7d')");
        await ExecuteAsync(dataSource, """
            INSERT INTO featured_creator (user_id, position)
            SELECT id, row_number() OVER (ORDER BY id) FROM (SELECT id FROM users WHERE is_public ORDER BY random() LIMIT 20) u
            """);
        await ExecuteAsync(dataSource, "ANALYZE");
        BenchReport.Print("seed.trending", system, new JsonObject
        {
            ["clicks_rolled_up"] = rolledUp,
            ["trending_rows"] = trending,
            ["ms"] = stopwatch.ElapsedMilliseconds,
        });

        stopwatch.Restart();
        var words = await ScalarAsync<int>(dataSource, "SELECT refresh_search_words()"); // the search's typo dictionary
        BenchReport.Print("seed.search_words", system, new JsonObject { ["words"] = words, ["ms"] = stopwatch.ElapsedMilliseconds });
        BenchReport.Print("seed.total", system, new JsonObject
        {
            ["creators"] = creators,
            ["items"] = items,
            ["clicks"] = clicks,
            ["seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1),
            ["database_size"] = await ScalarAsync<string>(dataSource, "SELECT pg_size_pretty(pg_database_size(current_database()))"),
        });
    }

    private static void Report(string bench, string system, long rows, Stopwatch stopwatch)
    {
        BenchReport.Print(bench, system, new JsonObject
        {
            ["rows"] = rows,
            ["seconds"] = Math.Round(stopwatch.Elapsed.TotalSeconds, 2),
            ["rows_per_second"] = Math.Round(rows / Math.Max(stopwatch.Elapsed.TotalSeconds, 0.001)),
        });
    }

    private sealed record IndexDefinition(string Name, string Definition, string? Comment);

    private static async Task<List<IndexDefinition>> DropSecondaryIndexesAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class')
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(@tables) AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """);
        command.Parameters.AddWithValue("tables", BigTables);
        var indexes = new List<IndexDefinition>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                indexes.Add(new IndexDefinition(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }
        }

        foreach (var index in indexes)
        {
            await ExecuteAsync(dataSource, $"DROP INDEX {index.Name}");
        }

        return indexes;
    }

    private static async Task RebuildIndexesAsync(NpgsqlDataSource dataSource, List<IndexDefinition> indexes)
    {
        foreach (var index in indexes)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using (var settings = new NpgsqlCommand("SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2", connection))
            {
                await settings.ExecuteNonQueryAsync();
            }

            await using (var create = new NpgsqlCommand(index.Definition, connection))
            {
                await create.ExecuteNonQueryAsync();
            }

            if (index.Comment is not null)
            {
                await using var comment = new NpgsqlCommand($"COMMENT ON INDEX {index.Name} IS {Literal(index.Comment)}", connection);
                await comment.ExecuteNonQueryAsync();
            }
        }
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) && value >= 0 ? value : fallback;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
