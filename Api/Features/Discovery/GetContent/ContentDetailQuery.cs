using Npgsql;
using Platform.Api.Features.Discovery.Shared;

namespace Platform.Api.Features.Discovery.GetContent;

/// <summary>
/// One public item by slug (unique index content_item_slug_key), with its tags, live media and creator: two statements,
/// sent as one prepared batch (<see cref="PreparedBatch"/>) alone or with a page's other statements.
/// </summary>
public static class ContentDetailQuery
{
    private const string ItemSql = """
        SELECT c.id, c.slug, c.title, c.description, c.url, c.thumbnail_url, c.og_image_url, c.platform, c.external_id,
               cat.slug, cat.name, c.published_at, c.updated_at, c.duration_seconds, c.view_count, c.like_count,
               c.click_count, c.meta_title, c.meta_description, c.canonical_url,
               u.username, u.display_name, u.avatar_url, u.bio, u.website_url,
               ARRAY(SELECT DISTINCT t.tag FROM content_tag t WHERE t.content_id = c.id ORDER BY t.tag) AS tags
        FROM content_item c
        JOIN users u ON u.id = c.creator_id
        LEFT JOIN content_category cat ON cat.id = c.category_id
        WHERE c.slug = @slug AND c.status = 'published' AND u.is_public AND u.username IS NOT NULL
        """;

    private const string MediaSql = """
        SELECT m.kind, m.url, m.width, m.height, m.content_type
        FROM content_media m
        JOIN content_item c ON c.id = m.content_id
        WHERE c.slug = @slug AND NOT m.is_dead
        ORDER BY m.position, m.created_at
        LIMIT 50
        """;

    public static async Task<Response?> ExecuteAsync(NpgsqlDataSource dataSource, string slug, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await ExecuteAsync(connection, slug, ct);
    }

    /// <summary>As <see cref="ExecuteAsync(NpgsqlDataSource, string, CancellationToken)"/>, on an open connection.</summary>
    public static async Task<Response?> ExecuteAsync(NpgsqlConnection connection, string slug, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        AddTo(batch, slug);
        await using var reader = await batch.ExecutePreparedAsync(ct);
        return await ReadAsync(reader, ct);
    }

    /// <summary>Adds the two statements to <paramref name="batch"/> (read them with <see cref="ReadAsync"/>).</summary>
    public static void AddTo(NpgsqlBatch batch, string slug)
    {
        foreach (var sql in (ReadOnlySpan<string>)[ItemSql, MediaSql])
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue("slug", slug);
            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>
    /// Reads the two result sets of <see cref="AddTo"/> where <paramref name="reader"/> stands, leaving it at the
    /// last of them; null when the item is not public (its media are not read then).
    /// </summary>
    public static async Task<Response?> ReadAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        if (!await reader.ReadAsync(ct))
        {
            await reader.NextResultAsync(ct);
            return null;
        }

        string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        var r = reader;
        var id = r.GetGuid(0);
        var category = r.IsDBNull(9) ? null : new Category(r.GetString(9), r.GetString(10));
        var creator = new Creator(r.GetString(20), S(21), S(22), S(23), S(24));
        var tags = r.GetFieldValue<string[]>(25);
        var partial = (
            id, slug: r.GetString(1), title: r.GetString(2), description: r.GetString(3), url: S(4), thumb: S(5), og: S(6),
            platform: r.GetString(7), externalId: S(8), published: r.GetFieldValue<DateTimeOffset>(11),
            updated: r.GetFieldValue<DateTimeOffset>(12), duration: r.IsDBNull(13) ? (int?)null : r.GetInt32(13),
            views: r.IsDBNull(14) ? (long?)null : r.GetInt64(14), likes: r.IsDBNull(15) ? (long?)null : r.GetInt64(15),
            clicks: r.GetInt64(16), metaTitle: S(17), metaDescription: S(18), canonical: S(19));

        var media = new List<Media>();
        await r.NextResultAsync(ct);
        while (await r.ReadAsync(ct))
        {
            media.Add(new Media(
                r.GetString(0), r.GetString(1),
                r.IsDBNull(2) ? null : r.GetInt32(2), r.IsDBNull(3) ? null : r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4)));
        }

        return new Response(
            partial.id, partial.slug, partial.title, partial.description, partial.url, partial.thumb, partial.og,
            partial.platform, partial.externalId, category, partial.published, partial.updated, partial.duration,
            partial.views, partial.likes, partial.clicks, partial.metaTitle, partial.metaDescription, partial.canonical,
            tags, media, creator);
    }
}
