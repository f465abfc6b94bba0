using Npgsql;

namespace Platform.Api.Tests.Discovery;

/// <summary>Inserts creators and content straight into the test database (the importer's job in production).</summary>
public sealed class DiscoveryData(NpgsqlDataSource dataSource)
{
    private int counter;

    public async Task<Guid> CreatorAsync(string username, bool isPublic = true, string? displayName = null, string? bio = null)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO users (username, display_name, bio, is_public, email) VALUES (@u, @d, @b, @p, @u || '@example.test') RETURNING id");
        command.Parameters.AddWithValue("u", username);
        command.Parameters.AddWithValue("d", (object?)displayName ?? username);
        command.Parameters.AddWithValue("b", (object?)bio ?? DBNull.Value);
        command.Parameters.AddWithValue("p", isPublic);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public async Task<(Guid Id, string Slug)> ItemAsync(
        Guid creatorId,
        string title,
        string status = "published",
        DateTimeOffset? publishedAt = null,
        string? category = null,
        string platform = "youtube",
        string[]? tags = null,
        long clicks = 0,
        string description = "")
    {
        var n = Interlocked.Increment(ref counter);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO content_item (creator_id, platform, external_id, title, description, url, thumbnail_url, status,
                                      published_at, category_id, click_count, duration_seconds, view_count)
            VALUES (@creator, @platform, @external, @title, @description, 'https://video.example/' || @external,
                    'https://img.example/' || @external || '.jpg', @status, @published,
                    (SELECT id FROM content_category WHERE slug = @category), @clicks, 300, 1000)
            RETURNING id, slug
            """);
        command.Parameters.AddWithValue("creator", creatorId);
        command.Parameters.AddWithValue("platform", platform);
        command.Parameters.AddWithValue("external", $"ext-{Guid.NewGuid():N}-{n}");
        command.Parameters.AddWithValue("title", title);
        command.Parameters.AddWithValue("description", description);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("published", (object?)publishedAt ?? DBNull.Value);
        command.Parameters.AddWithValue("category", (object?)category ?? DBNull.Value);
        command.Parameters.AddWithValue("clicks", clicks);
        Guid id;
        string slug;
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            id = reader.GetGuid(0);
            slug = reader.GetString(1);
        }

        foreach (var tag in tags ?? [])
        {
            await using var tagCommand = dataSource.CreateCommand("INSERT INTO content_tag (content_id, tag, source) VALUES (@id, @tag, 'platform')");
            tagCommand.Parameters.AddWithValue("id", id);
            tagCommand.Parameters.AddWithValue("tag", tag);
            await tagCommand.ExecuteNonQueryAsync();
        }

        return (id, slug);
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }
}
