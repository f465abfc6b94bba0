using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Migrations.DemoData;

/// <summary>
/// Realistic public data written with binary COPY (shared by <c>seed-demo</c> and the bench's <c>seed</c>): public
/// creators with profiles, published items across the 15 categories (titles and descriptions from per-category
/// vocabularies, tags, a 1280×720 thumbnail each) and clicks over the last 30 days skewed to popular items and recent
/// hours. Deterministic for a given <see cref="Random"/> seed; appends (usernames and slugs continue after the rows
/// already there).
/// </summary>
public static class DemoDataWriter
{
    public static async Task<List<Guid>> CopyCreatorsAsync(NpgsqlDataSource dataSource, int count, Random random, DateTimeOffset now)
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

    public static async Task<Guid[]> CopyItemsAsync(NpgsqlDataSource dataSource, List<Guid> creators, int count, Random random, DateTimeOffset now)
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

    public static async Task CopyClicksAsync(NpgsqlDataSource dataSource, Guid[] items, int count, Random random, DateTimeOffset now)
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

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
