using System.Data.Common;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>The creator shown with a content item.</summary>
public sealed record CreatorCard(string Username, string? DisplayName, string? AvatarUrl);

/// <summary>A content item in a list (feed, trending, search, creator page).</summary>
public sealed record ContentCard(
    Guid Id,
    string Slug,
    string Title,
    string? Url,
    string? ThumbnailUrl,
    string Platform,
    string? Category,
    DateTimeOffset PublishedAt,
    int? DurationSeconds,
    long? ViewCount,
    long ClickCount,
    CreatorCard Creator);

/// <summary>The SQL select list that <see cref="ContentCardReader.Read"/> reads, for <c>content_item c</c>, <c>users u</c>, <c>content_category cat</c>.</summary>
public static class ContentCardReader
{
    public const string Columns =
        "c.id, c.slug, c.title, c.url, c.thumbnail_url, c.platform, cat.slug, c.published_at, c.duration_seconds, " +
        "c.view_count, c.click_count, u.username, u.display_name, u.avatar_url";

    public const int ColumnCount = 14;

    public const string From =
        "content_item c JOIN users u ON u.id = c.creator_id LEFT JOIN content_category cat ON cat.id = c.category_id";

    /// <summary>What anonymous visitors may see (the <c>public_content</c> view's filter; matches the partial feed indexes).</summary>
    public const string Visible = "c.status = 'published' AND u.is_public AND u.username IS NOT NULL";

    /// <summary>
    /// <see cref="Visible"/>'s creator half for an item row <paramref name="item"/> not joined to <c>users</c>: true when
    /// its creator is public with a username. A scalar subquery, so it is one primary-key probe per row it is evaluated
    /// for, last among the row's conditions (an <c>EXISTS</c> may be planned as a hash of every user: 27-55 ms at 100,000).
    /// </summary>
    public static string CreatorIsPublic(string item) =>
        $"coalesce((SELECT creator.is_public AND creator.username IS NOT NULL FROM users creator WHERE creator.id = {item}.creator_id), false)";

    public static ContentCard Read(DbDataReader r, int offset = 0) => new(
        r.GetGuid(offset),
        r.GetString(offset + 1),
        r.GetString(offset + 2),
        r.IsDBNull(offset + 3) ? null : r.GetString(offset + 3),
        r.IsDBNull(offset + 4) ? null : r.GetString(offset + 4),
        r.GetString(offset + 5),
        r.IsDBNull(offset + 6) ? null : r.GetString(offset + 6),
        r.GetFieldValue<DateTimeOffset>(offset + 7),
        r.IsDBNull(offset + 8) ? null : r.GetInt32(offset + 8),
        r.IsDBNull(offset + 9) ? null : r.GetInt64(offset + 9),
        r.GetInt64(offset + 10),
        new CreatorCard(
            r.GetString(offset + 11),
            r.IsDBNull(offset + 12) ? null : r.GetString(offset + 12),
            r.IsDBNull(offset + 13) ? null : r.GetString(offset + 13)));
}
