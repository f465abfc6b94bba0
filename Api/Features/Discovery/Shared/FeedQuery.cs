using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// The public feed as one keyset-paginated, index-backed query. Each sort walks an index in order
/// (recent: idx_content_item_feed_recent / _category / _platform / creator; popular: idx_content_item_feed_popular
/// / 003's per-category index; trending: idx_trending_content_window[_category]_score) and stops after limit+1 rows.
/// </summary>
public sealed record FeedQuery(
    string Sort,
    string? Category,
    string? Tag,
    string? Platform,
    string? Creator,
    string Window,
    FeedCursor? Cursor,
    int Limit)
{
    public static readonly string[] Sorts = ["recent", "popular", "trending"];

    public static char SortCode(string? sort) => (sort ?? "recent") switch
    {
        "popular" => 'p',
        "trending" => 't',
        _ => 'r',
    };

    /// <summary>A cache key that identifies the page exactly (normalized values only).</summary>
    public string CacheKey() =>
        $"feed:{Sort}:{Window}:{Category}:{Tag}:{Platform}:{Creator?.ToLowerInvariant()}:{Cursor?.Encode()}:{Limit}";

    public async Task<FeedPage> ExecuteAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT ").Append(ContentCardReader.Columns);
        var trending = Sort == "trending";
        if (trending)
        {
            sql.Append(", tc.score FROM trending_content tc JOIN ").Append(ContentCardReader.From)
               .Append(" ON c.id = tc.content_id WHERE tc.time_window = @window AND ");
        }
        else
        {
            sql.Append(" FROM ").Append(ContentCardReader.From).Append(" WHERE ");
        }

        sql.Append(ContentCardReader.Visible);
        await using var command = dataSource.CreateCommand();
        if (trending)
        {
            command.Parameters.AddWithValue("window", Window);
        }

        if (Category is not null)
        {
            // The trending table carries the category (denormalized) so its own index serves the filter.
            sql.Append(trending ? " AND tc.category_id = " : " AND c.category_id = ")
               .Append("(SELECT id FROM content_category WHERE slug = @category)");
            command.Parameters.AddWithValue("category", Category);
        }

        if (Tag is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM content_tag t WHERE t.content_id = c.id AND t.tag = @tag)");
            command.Parameters.AddWithValue("tag", Tag.Trim().ToLowerInvariant());
        }

        if (Platform is not null)
        {
            sql.Append(" AND c.platform = @platform");
            command.Parameters.AddWithValue("platform", Platform);
        }

        if (Creator is not null)
        {
            // Resolved first so the planner sees the actual creator id: for a prolific creator it then walks
            // idx_content_item_creator_published in order instead of sorting all of their items.
            await using var lookup = dataSource.CreateCommand(
                "SELECT public_creator_id(@creator)");
            lookup.Parameters.AddWithValue("creator", Creator);
            if (await lookup.ExecuteScalarAsync(ct) is not Guid creatorId)
            {
                return new FeedPage([], null);
            }

            sql.Append(" AND c.creator_id = @creator_id");
            command.Parameters.AddWithValue("creator_id", creatorId);
        }

        if (Cursor is { } cursor)
        {
            command.Parameters.AddWithValue("after_id", cursor.Id);
            switch (Sort)
            {
                case "recent":
                    sql.Append(" AND (c.published_at, c.id) < (@after_date, @after_id)");
                    command.Parameters.Add(new NpgsqlParameter("after_date", NpgsqlDbType.TimestampTz) { Value = cursor.PublishedAt });
                    break;
                case "popular":
                    sql.Append(" AND (c.click_count, c.id) < (@after_clicks, @after_id)");
                    command.Parameters.AddWithValue("after_clicks", cursor.Number);
                    break;
                default:
                    sql.Append(" AND (tc.score < @after_score OR (tc.score = @after_score AND tc.content_id > @after_id))");
                    command.Parameters.AddWithValue("after_score", cursor.Score);
                    break;
            }
        }

        sql.Append(Sort switch
        {
            "recent" => " ORDER BY c.published_at DESC, c.id DESC",
            "popular" => " ORDER BY c.click_count DESC, c.id DESC",
            _ => " ORDER BY tc.score DESC, tc.content_id",
        });
        sql.Append(" LIMIT @limit");
        command.Parameters.AddWithValue("limit", Limit + 1);
        command.CommandText = sql.ToString();

        var items = new List<ContentCard>(Limit + 1);
        double lastScore = 0;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                items.Add(ContentCardReader.Read(reader));
                if (trending && items.Count == Limit)
                {
                    lastScore = reader.GetDouble(ContentCardReader.ColumnCount);
                }
            }
        }

        string? next = null;
        if (items.Count > Limit)
        {
            items.RemoveAt(items.Count - 1);
            var last = items[^1];
            next = (Sort switch
            {
                "recent" => FeedCursor.Recent(last.PublishedAt, last.Id),
                "popular" => FeedCursor.Popular(last.ClickCount, last.Id),
                _ => FeedCursor.Trending(lastScore, last.Id),
            }).Encode();
        }

        return new FeedPage(items, next);
    }
}
