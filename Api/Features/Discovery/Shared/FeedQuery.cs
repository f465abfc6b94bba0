using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>
/// The public feed as one keyset-paginated, index-backed query. Each sort walks an index in order
/// (recent: idx_content_item_feed_recent / _category / _platform / creator, and for a tag idx_content_tag_feed_recent;
/// popular: idx_content_item_feed_popular / 003's per-category index; trending:
/// idx_trending_content_window[_category]_score) and stops after limit+1 rows.
/// With <see cref="Backward"/> the same index is walked the other way from the cursor: the page before it (the
/// site's <c>rel="prev"</c> links), returned in display order.
/// </summary>
public sealed record FeedQuery(
    string Sort,
    string? Category,
    string? Tag,
    string? Platform,
    string? Creator,
    string Window,
    FeedCursor? Cursor,
    int Limit,
    bool Backward = false)
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
        $"feed:{Sort}:{Window}:{Category}:{Tag}:{Platform}:{Creator?.ToLowerInvariant()}:{Cursor?.Encode()}:{Limit}{(Backward ? ":before" : "")}";

    public async Task<FeedPage> ExecuteAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        (await ExecuteSliceAsync(dataSource, ct)).ToPage();

    /// <summary>
    /// The page with the cursors of its first and last rows. <see cref="FeedSlice.HasMore"/>: rows follow in the
    /// direction walked (after the last row forward; before the first row with <see cref="Backward"/>).
    /// </summary>
    public async Task<FeedSlice> ExecuteSliceAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await ExecuteSliceAsync(connection, ct);
    }

    /// <summary>As <see cref="ExecuteSliceAsync(NpgsqlDataSource, CancellationToken)"/>, on an open connection (its role applies).</summary>
    public async Task<FeedSlice> ExecuteSliceAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        Guid? creatorId = null;
        if (Creator is not null && !IsCreatorList)
        {
            // Resolved first so the planner sees the actual creator id: for a prolific creator it then walks
            // idx_content_item_creator_feed (018: public items only) in order instead of sorting all of their items.
            await using var lookup = new NpgsqlCommand("SELECT public_creator_id(@creator)", connection);
            lookup.Parameters.AddWithValue("creator", Creator);
            if (await lookup.ExecuteScalarAsync(ct) is not Guid id)
            {
                return new FeedSlice([], false, null, null);
            }

            creatorId = id;
        }

        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { Build(creatorId) } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await ReadSliceAsync(reader, ct);
    }

    /// <summary>
    /// Several queries in one round trip, prepared (<see cref="PreparedBatch"/>), their slices in the same order. For
    /// queries whose good plan does not hang on their parameters' values (a generic plan is planned without them): a
    /// creator's own list (<see cref="IsCreatorList"/>), the newest of a tag (one ordered walk of
    /// idx_content_tag_feed_recent) or of a category (the category is looked up inside).
    /// </summary>
    public static async Task<FeedSlice[]> ExecuteBatchAsync(NpgsqlConnection connection, IReadOnlyList<FeedQuery> queries, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var query in queries)
        {
            batch.BatchCommands.Add(query.Statement());
        }

        await using var reader = await batch.ExecutePreparedAsync(ct);
        var slices = new FeedSlice[queries.Count];
        for (var i = 0; i < queries.Count; i++)
        {
            if (i > 0)
            {
                await reader.NextResultAsync(ct);
            }

            slices[i] = await queries[i].ReadSliceAsync(reader, ct);
        }

        return slices;
    }

    /// <summary>
    /// A creator's own list, newest first with no other filter (their profile, "more from" on an item page):
    /// one statement that resolves the username inside (<c>public_creator_id()</c>) and walks
    /// idx_content_item_creator_feed in order, reading at most <see cref="Limit"/>+1 rows of theirs whatever
    /// their number, with the parameter's value known to the planner or not (so it may be prepared).
    /// </summary>
    public bool IsCreatorList => Creator is not null && Sort == "recent" && Category is null && Tag is null && Platform is null;

    /// <summary>
    /// This query as one statement for an <see cref="NpgsqlBatch"/> (read its result with <see cref="ReadSliceAsync"/>),
    /// so a page sends it with its other statements in one round trip and may prepare it. Any query without a creator
    /// filter, or a creator's own list (<see cref="IsCreatorList"/>); other creator filters resolve the creator first
    /// (<see cref="ExecuteSliceAsync(NpgsqlConnection, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">A creator filter combined with another filter or sort.</exception>
    public NpgsqlBatchCommand Statement() => Creator is null || IsCreatorList
        ? Build(null)
        : throw new InvalidOperationException("A creator filter with other filters or sorts resolves the creator first: use ExecuteSliceAsync.");

    /// <summary>Reads this query's result set, where <paramref name="reader"/> stands (<see cref="Statement"/>'s).</summary>
    public async Task<FeedSlice> ReadSliceAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var trending = Sort == "trending";
        var rows = new List<(ContentCard Card, double Score)>(Limit + 1);
        while (await reader.ReadAsync(ct))
        {
            rows.Add((ContentCardReader.Read(reader), trending ? reader.GetDouble(ContentCardReader.ColumnCount) : 0));
        }

        var hasMore = rows.Count > Limit;
        if (hasMore)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        if (Backward)
        {
            rows.Reverse();
        }

        if (rows.Count == 0)
        {
            return new FeedSlice([], hasMore, null, null);
        }

        return new FeedSlice(rows.ConvertAll(r => r.Card), hasMore, CursorOf(rows[0]), CursorOf(rows[^1]));
    }

    /// <param name="creatorId">The resolved creator of a creator filter that is not <see cref="IsCreatorList"/>.</param>
    private NpgsqlBatchCommand Build(Guid? creatorId)
    {
        var command = new NpgsqlBatchCommand();
        var sql = new StringBuilder("SELECT ").Append(ContentCardReader.Columns);
        var trending = Sort == "trending";
        var tagWalk = Sort == "recent" && Tag is not null;
        // Forward: rows after the cursor in display order; backward: rows before it, read nearest first.
        var (after, before) = Backward ? (">", "<") : ("<", ">");
        var order = Backward ? "c.published_at, c.id" : "c.published_at DESC, c.id DESC";
        if (IsCreatorList)
        {
            // The creator's page of rows is cut from their index before the joins: the creator is one user (visible
            // or not as a whole), so the join cannot drop rows. Joined first, the page's order rested on the plan: a
            // generic plan (prepared statement) joined the creator, then sorted every one of their items (40 ms for
            // 5,000 items); cut first, any plan reads at most limit+1 rows.
            sql.Append(" FROM (SELECT c.* FROM content_item c WHERE c.creator_id = (SELECT public_creator_id(@creator)) AND c.status = 'published'");
            command.Parameters.AddWithValue("creator", Creator!);
            if (Cursor is { } own)
            {
                sql.Append($" AND (c.published_at, c.id) {after} (@after_date, @after_id)");
                command.Parameters.AddWithValue("after_id", own.Id);
                command.Parameters.Add(new NpgsqlParameter("after_date", NpgsqlDbType.TimestampTz) { Value = own.PublishedAt });
            }

            sql.Append(" ORDER BY ").Append(order).Append(" LIMIT @limit) c")
               .Append(" JOIN users u ON u.id = c.creator_id LEFT JOIN content_category cat ON cat.id = c.category_id WHERE ")
               .Append(ContentCardReader.Visible).Append(" ORDER BY ").Append(order);
            command.Parameters.AddWithValue("limit", Limit + 1);
            command.CommandText = sql.ToString();
            return command;
        }

        if (trending)
        {
            sql.Append(", tc.score FROM trending_content tc JOIN ").Append(ContentCardReader.From)
               .Append(" ON c.id = tc.content_id WHERE tc.time_window = @window AND ");
            command.Parameters.AddWithValue("window", Window);
        }
        else if (tagWalk)
        {
            // Newest by tag: the tag's rows of content_tag in feed order (idx_content_tag_feed_recent, migration 030:
            // item_published_at is the item's date while it is published), joined row by row to the item, so the page
            // is one ordered walk that stops after limit+1 visible items whatever the tag's size (an EXISTS probe per
            // item instead leaves the plan to the tag's estimated size, which PostgreSQL cannot know). An item tagged
            // the same by two sources is listed once: by its row of the first source.
            sql.Append(" FROM content_tag t JOIN ").Append(ContentCardReader.From).Append(" ON c.id = t.content_id")
               .Append(" WHERE t.tag = @tag AND t.item_published_at IS NOT NULL")
               .Append(" AND NOT EXISTS (SELECT 1 FROM content_tag d WHERE d.content_id = t.content_id AND d.tag = t.tag AND d.source < t.source)");
            if (Cursor is { } tagCursor)
            {
                sql.Append($" AND (t.item_published_at, t.content_id) {after} (@after_date, @after_id)");
                command.Parameters.AddWithValue("after_id", tagCursor.Id);
                command.Parameters.Add(new NpgsqlParameter("after_date", NpgsqlDbType.TimestampTz) { Value = tagCursor.PublishedAt });
            }

            sql.Append(" AND ");
        }
        else
        {
            sql.Append(" FROM ").Append(ContentCardReader.From).Append(" WHERE ");
        }

        sql.Append(ContentCardReader.Visible);

        if (Category is not null)
        {
            // The trending table carries the category (denormalized) so its own index serves the filter.
            sql.Append(trending ? " AND tc.category_id = " : " AND c.category_id = ")
               .Append("(SELECT id FROM content_category WHERE slug = @category)");
            command.Parameters.AddWithValue("category", Category);
        }

        if (Tag is not null)
        {
            if (!tagWalk)
            {
                sql.Append(" AND EXISTS (SELECT 1 FROM content_tag t WHERE t.content_id = c.id AND t.tag = @tag)");
            }

            command.Parameters.AddWithValue("tag", Tag.Trim().ToLowerInvariant());
        }

        if (Platform is not null)
        {
            sql.Append(" AND c.platform = @platform");
            command.Parameters.AddWithValue("platform", Platform);
        }

        if (creatorId is { } creator)
        {
            sql.Append(" AND c.creator_id = @creator_id");
            command.Parameters.AddWithValue("creator_id", creator);
        }

        if (Cursor is { } cursor && !tagWalk)
        {
            command.Parameters.AddWithValue("after_id", cursor.Id);
            switch (Sort)
            {
                case "recent":
                    sql.Append($" AND (c.published_at, c.id) {after} (@after_date, @after_id)");
                    command.Parameters.Add(new NpgsqlParameter("after_date", NpgsqlDbType.TimestampTz) { Value = cursor.PublishedAt });
                    break;
                case "popular":
                    sql.Append($" AND (c.click_count, c.id) {after} (@after_clicks, @after_id)");
                    command.Parameters.AddWithValue("after_clicks", cursor.Number);
                    break;
                default:
                    sql.Append($" AND (tc.score {after} @after_score OR (tc.score = @after_score AND tc.content_id {before} @after_id))");
                    command.Parameters.AddWithValue("after_score", cursor.Score);
                    break;
            }
        }

        sql.Append((Sort, Backward) switch
        {
            _ when tagWalk => Backward ? " ORDER BY t.item_published_at, t.content_id" : " ORDER BY t.item_published_at DESC, t.content_id DESC",
            ("recent", _) => " ORDER BY " + order,
            ("popular", false) => " ORDER BY c.click_count DESC, c.id DESC",
            ("popular", true) => " ORDER BY c.click_count, c.id",
            (_, false) => " ORDER BY tc.score DESC, tc.content_id",
            (_, true) => " ORDER BY tc.score, tc.content_id DESC",
        });
        // The limit is part of the text, not a parameter: planned without its value (a generic plan assumes a tenth of
        // the rows), a walk looked dearer than the custom plans, so a prepared tag walk was planned again on every
        // execution (1.1 ms, five times what it takes to run). A creator's list above keeps it a parameter: its generic
        // plan is chosen anyway, and the JSON API's 100 limits would be 100 prepared statements a connection.
        sql.Append(" LIMIT ").Append((Limit + 1).ToString(CultureInfo.InvariantCulture));
        command.CommandText = sql.ToString();
        return command;
    }

    private string CursorOf((ContentCard Card, double Score) row) => (Sort switch
    {
        "recent" => FeedCursor.Recent(row.Card.PublishedAt, row.Card.Id),
        "popular" => FeedCursor.Popular(row.Card.ClickCount, row.Card.Id),
        _ => FeedCursor.Trending(row.Score, row.Card.Id),
    }).Encode();
}

/// <summary>A page of the feed in display order, with the cursors of its first and last rows (null when empty).</summary>
public sealed record FeedSlice(IReadOnlyList<ContentCard> Items, bool HasMore, string? FirstCursor, string? LastCursor)
{
    /// <summary>As the JSON API pages: <c>next_cursor</c> only when more rows follow.</summary>
    public FeedPage ToPage() => new(Items, HasMore ? LastCursor : null);
}
