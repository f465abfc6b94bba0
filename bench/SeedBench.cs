using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.Migrations;

namespace Platform.Bench;

/// <summary>
/// <c>seed --creators N --items M --clicks K</c>: realistic public data in the database of ConnectionStrings__platformdb
/// (migrated first), loaded with binary COPY: public creators, published items across the 15 categories (titles and
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
        await new MigrationRunner(connectionString, MigrationScriptSource.Embedded()).ApplyAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var version = (string)(await dataSource.CreateCommand("SHOW server_version").ExecuteScalarAsync())!;
        var system = BenchReport.System(version);
        Console.Error.WriteLine($"seed: {creators:N0} creators, {items:N0} items, {clicks:N0} clicks into {builder.Database}");

        var indexes = await DropSecondaryIndexesAsync(dataSource);
        var now = DateTimeOffset.UtcNow;

        var stopwatch = Stopwatch.StartNew();
        var creatorIds = await CopyCreatorsAsync(dataSource, creators, random, now);
        Report("seed.creators", system, creators, stopwatch);

        stopwatch.Restart();
        var itemIds = await CopyItemsAsync(dataSource, creatorIds, items, random, now);
        Report("seed.items", system, items, stopwatch);

        stopwatch.Restart();
        await CopyClicksAsync(dataSource, itemIds, clicks, random, now);
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

    private static async Task<List<Guid>> CopyCreatorsAsync(NpgsqlDataSource dataSource, int count, Random random, DateTimeOffset now)
    {
        var ids = new List<Guid>(count);
        await using var connection = await dataSource.OpenConnectionAsync();
        var offset = await ScalarAsync<long>(dataSource, "SELECT count(*) FROM users");
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY users (id, email, display_name, username, bio, avatar_url, website_url, is_public, created_at, profile_updated_at) FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < count; i++)
        {
            var id = Guid.CreateVersion7();
            ids.Add(id);
            var first = Vocabulary.FirstNames[random.Next(Vocabulary.FirstNames.Length)];
            var last = Vocabulary.Crafts[random.Next(Vocabulary.Crafts.Length)];
            var username = $"{first.ToLowerInvariant()}_{last.ToLowerInvariant()}{offset + i}";
            var created = now.AddDays(-random.Next(30, 1500));
            await writer.StartRowAsync();
            await writer.WriteAsync(id, NpgsqlDbType.Uuid);
            await writer.WriteAsync(username + "@seed.example", NpgsqlDbType.Text);
            await writer.WriteAsync($"{first} {last}", NpgsqlDbType.Text);
            await writer.WriteAsync(username, NpgsqlDbType.Text);
            await writer.WriteAsync($"{first} makes {last.ToLowerInvariant()} videos. New uploads every week.", NpgsqlDbType.Text);
            await writer.WriteAsync($"https://img.seed.example/avatars/{id:N}.jpg", NpgsqlDbType.Text);
            await writer.WriteAsync($"https://{username.Replace('_', '-')}.seed.example/", NpgsqlDbType.Text);
            await writer.WriteAsync(true, NpgsqlDbType.Boolean);
            await writer.WriteAsync(created, NpgsqlDbType.TimestampTz);
            await writer.WriteAsync(created.AddDays(random.Next(0, 30)), NpgsqlDbType.TimestampTz);
        }

        await writer.CompleteAsync();
        return ids;
    }

    private static async Task<Guid[]> CopyItemsAsync(NpgsqlDataSource dataSource, List<Guid> creators, int count, Random random, DateTimeOffset now)
    {
        var ids = new Guid[count];
        var offset = await ScalarAsync<long>(dataSource, "SELECT count(*) FROM content_item");
        var tags = new List<(Guid, string)>(count * 3);
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var writer = await connection.BeginBinaryImportAsync("""
            COPY content_item (id, creator_id, platform, external_id, title, description, url, thumbnail_url, published_at,
                               duration_seconds, view_count, like_count, status, slug, category_id, created_at, updated_at)
            FROM STDIN (FORMAT BINARY)
            """))
        {
            for (var i = 0; i < count; i++)
            {
                var id = Guid.CreateVersion7();
                ids[i] = id;
                // Creators are not equally prolific: a power law over the creator list.
                var creator = creators[(int)(creators.Count * Math.Pow(random.NextDouble(), 2.2))];
                var category = random.Next(1, 16);
                var words = Vocabulary.Topics[category - 1];
                var topic = words[random.Next(words.Length)];
                var format = Vocabulary.Formats[random.Next(Vocabulary.Formats.Length)];
                var title = random.Next(3) switch
                {
                    0 => $"{topic} {format}",
                    1 => $"{format}: {topic} in {random.Next(3, 60)} minutes",
                    _ => $"The {Vocabulary.Adjectives[random.Next(Vocabulary.Adjectives.Length)]} {topic} {format}",
                };
                var youtube = random.Next(10) < 8;
                var published = now.AddMinutes(-Math.Pow(random.NextDouble(), 1.5) * 730 * 24 * 60);
                var external = youtube ? $"yt{offset + i:x10}" : $"https://blog.seed.example/post/{offset + i}";
                var description = new StringBuilder()
                    .Append("In this ").Append(format.ToLowerInvariant()).Append(" we look at ").Append(topic.ToLowerInvariant())
                    .Append(". ").Append(Vocabulary.Sentences[random.Next(Vocabulary.Sentences.Length)])
                    .Append(' ').Append(Vocabulary.Sentences[random.Next(Vocabulary.Sentences.Length)]).ToString();
                await writer.StartRowAsync();
                await writer.WriteAsync(id, NpgsqlDbType.Uuid);
                await writer.WriteAsync(creator, NpgsqlDbType.Uuid);
                await writer.WriteAsync(youtube ? "youtube" : "feed", NpgsqlDbType.Text);
                await writer.WriteAsync(external, NpgsqlDbType.Text);
                await writer.WriteAsync(title, NpgsqlDbType.Text);
                await writer.WriteAsync(description, NpgsqlDbType.Text);
                await writer.WriteAsync(youtube ? $"https://www.youtube.com/watch?v={external}" : external, NpgsqlDbType.Text);
                await writer.WriteAsync($"https://img.seed.example/thumbs/{id:N}.jpg", NpgsqlDbType.Text);
                await writer.WriteAsync(published, NpgsqlDbType.TimestampTz);
                if (youtube)
                {
                    await writer.WriteAsync(random.Next(45, 3600), NpgsqlDbType.Integer);
                }
                else
                {
                    await writer.WriteNullAsync();
                }

                var views = (long)(Math.Pow(random.NextDouble(), 4) * 2_000_000);
                await writer.WriteAsync(views, NpgsqlDbType.Bigint);
                await writer.WriteAsync(views / random.Next(20, 80), NpgsqlDbType.Bigint);
                await writer.WriteAsync("published", NpgsqlDbType.Text);
                await writer.WriteAsync(Slug(title, offset + i), NpgsqlDbType.Text);
                await writer.WriteAsync((short)category, NpgsqlDbType.Smallint);
                await writer.WriteAsync(published, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(published, NpgsqlDbType.TimestampTz);

                // The topic, plus up to two of a category's 400 narrower tags (distinct per item: the primary key).
                tags.Add((id, topic.ToLowerInvariant()));
                var first = random.Next(400);
                var extra = random.Next(0, 3);
                for (var t = 0; t < extra; t++)
                {
                    tags.Add((id, $"{Vocabulary.Categories[category - 1]}-{(first + t * 7) % 400}"));
                }
            }

            await writer.CompleteAsync();
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var writer = await connection.BeginBinaryImportAsync("COPY content_tag (content_id, tag, source) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (id, tag) in tags)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(id, NpgsqlDbType.Uuid);
                await writer.WriteAsync(tag, NpgsqlDbType.Text);
                await writer.WriteAsync("platform", NpgsqlDbType.Text);
            }

            await writer.CompleteAsync();
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY content_media (content_id, kind, url, width, height, content_type, position) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var id in ids)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(id, NpgsqlDbType.Uuid);
                await writer.WriteAsync("thumbnail", NpgsqlDbType.Text);
                await writer.WriteAsync($"https://img.seed.example/thumbs/{id:N}.jpg", NpgsqlDbType.Text);
                await writer.WriteAsync(1280, NpgsqlDbType.Integer);
                await writer.WriteAsync(720, NpgsqlDbType.Integer);
                await writer.WriteAsync("image/jpeg", NpgsqlDbType.Text);
                await writer.WriteAsync((short)0, NpgsqlDbType.Smallint);
            }

            await writer.CompleteAsync();
        }

        return ids;
    }

    private static async Task CopyClicksAsync(NpgsqlDataSource dataSource, Guid[] items, int count, Random random, DateTimeOffset now)
    {
        // Times over the last 30 days, denser towards now, written in time order (the BRIN index on clicked_at stays tight).
        var offsets = new double[count];
        for (var i = 0; i < count; i++)
        {
            offsets[i] = Math.Pow(random.NextDouble(), 1.7) * 30 * 24 * 3600;
        }

        Array.Sort(offsets);
        Array.Reverse(offsets);
        var hash = new byte[16];
        string[] sources = ["feed", "search", "trending", "profile", "share"];
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY content_click (content_id, clicked_at, visitor_hash, referrer, source) FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < count; i++)
        {
            // Zipf-like popularity: a few items get most clicks.
            var item = items[(int)(items.Length * Math.Pow(random.NextDouble(), 3))];
            random.NextBytes(hash);
            await writer.StartRowAsync();
            await writer.WriteAsync(item, NpgsqlDbType.Uuid);
            await writer.WriteAsync(now.AddSeconds(-offsets[i]), NpgsqlDbType.TimestampTz);
            await writer.WriteAsync(hash, NpgsqlDbType.Bytea);
            if (random.Next(3) == 0)
            {
                await writer.WriteAsync("https://social.seed.example/", NpgsqlDbType.Text);
            }
            else
            {
                await writer.WriteNullAsync();
            }

            await writer.WriteAsync(sources[random.Next(sources.Length)], NpgsqlDbType.Text);
        }

        await writer.CompleteAsync();
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

    /// <summary>Like the schema's slugify(): lowercase, runs of other characters become '-', at most 80, plus a unique suffix.</summary>
    private static string Slug(string title, long n)
    {
        var slug = new StringBuilder(96);
        foreach (var ch in title.ToLowerInvariant())
        {
            if (ch is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                slug.Append(ch);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        var text = slug.ToString(0, Math.Min(slug.Length, 80)).Trim('-');
        return (text.Length == 0 ? "content" : text) + "-" + n.ToString("x", CultureInfo.InvariantCulture);
    }

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
