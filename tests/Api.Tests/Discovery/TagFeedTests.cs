using System.Text.RegularExpressions;
using Npgsql;
using Platform.Api.Features.Discovery.Shared;
using Platform.TestSupport;

namespace Platform.Api.Tests.Discovery;

/// <summary>
/// 20,000 items of one public creator, one a minute: <c>rare</c> tags the 20 oldest, <c>popular</c> every fifth (4,000;
/// every tenth of those also from a second source), 200 filler tags spread over all. A private creator's 5 items and
/// an unpublished item, all newer than everything else, carry both tags.
/// </summary>
public sealed class TagFeedDatabase : MigratedDatabase
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await using var seed = DataSource.CreateCommand(
            """
            INSERT INTO users (username, is_public, email) VALUES ('tagfan', true, 'tagfan@example.test'), ('hidden_tagger', false, 'hidden@example.test');
            INSERT INTO content_item (creator_id, platform, external_id, title, status, published_at, category_id)
            SELECT (SELECT id FROM users WHERE username = 'tagfan'), 'youtube', 'tag-' || i, 'Item ' || i, 'published',
                   @start + i * interval '1 minute', 1
            FROM generate_series(1, 20000) i;
            INSERT INTO content_item (creator_id, platform, external_id, title, status, published_at, category_id)
            SELECT (SELECT id FROM users WHERE username = 'hidden_tagger'), 'youtube', 'tag-' || i, 'Item ' || i, 'published',
                   @start + i * interval '1 minute', 1
            FROM generate_series(20001, 20005) i;
            INSERT INTO content_item (creator_id, platform, external_id, title, status, published_at, category_id)
            VALUES ((SELECT id FROM users WHERE username = 'tagfan'), 'youtube', 'tag-20006', 'Item 20006', 'unpublished',
                    @start + 20006 * interval '1 minute', 1);
            INSERT INTO content_tag (content_id, tag, source)
            SELECT c.id, t.tag, 'platform'
            FROM content_item c
            CROSS JOIN LATERAL (SELECT substr(c.external_id, 5)::int AS n) i
            CROSS JOIN LATERAL (VALUES ('filler-' || i.n % 200),
                                       (CASE WHEN i.n <= 20 OR i.n > 20000 THEN 'rare' END),
                                       (CASE WHEN i.n % 5 = 0 OR i.n > 20000 THEN 'popular' END)) t(tag)
            WHERE t.tag IS NOT NULL;
            INSERT INTO content_tag (content_id, tag, source, confidence)
            SELECT c.id, 'popular', 'ai', 0.9 FROM content_item c WHERE substr(c.external_id, 5)::int % 50 = 0;
            ANALYZE users; ANALYZE content_item; ANALYZE content_tag;
            """);
        seed.Parameters.AddWithValue("start", Start);
        await seed.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A connection as the Api's public reads have it (role <c>app_anonymous</c>) that reports each statement's executed
    /// plan (auto_explain, ANALYZE) into <paramref name="plans"/>.
    /// </summary>
    public async Task<NpgsqlConnection> AnonymousExplainingAsync(List<string> plans)
    {
        var connection = await DataSource.OpenConnectionAsync();
        connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        await using var setup = new NpgsqlCommand(
            """
            LOAD 'auto_explain';
            SET auto_explain.log_min_duration = 0;
            SET auto_explain.log_analyze = on;
            SET auto_explain.log_level = notice;
            SET client_min_messages = notice;
            SET ROLE app_anonymous;
            """, connection);
        await setup.ExecuteNonQueryAsync();
        return connection;
    }
}

/// <summary>
/// The feed by tag, newest first (FeedQuery; the item page's related lists, /tag/{tag}, ?tag=): one ordered walk of
/// idx_content_tag_feed_recent (migration 030) that reads about a page of a tag's rows whatever the tag's size. Before
/// 030 the plan followed the tag's estimated size: at 1M items a rare tag walked the whole feed index (seconds) and a
/// popular tag outside the statistics' common values fetched and sorted all its items (100-600 ms).
/// </summary>
public sealed class TagFeedTests(TagFeedDatabase db) : IClassFixture<TagFeedDatabase>
{
    private const int Limit = 6;

    [Theory]
    [InlineData("rare")]
    [InlineData("popular")]
    public async Task A_tags_newest_page_is_one_ordered_index_walk_of_about_a_page_as_the_anonymous_role(string tag)
    {
        var plans = new List<string>();
        await using var anonymous = await db.AnonymousExplainingAsync(plans);

        var page = await new FeedQuery("recent", null, tag, null, null, TrendingWindows.Day, null, Limit).ExecuteSliceAsync(anonymous, CancellationToken.None);

        var plan = Assert.Single(plans, p => p.Contains("content_item c", StringComparison.Ordinal));
        Assert.Contains("idx_content_tag_feed_recent", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort Key", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("idx_content_item_feed_recent", plan, StringComparison.Ordinal);
        // Rows read from the tag's index: the page and one more, plus the 5 newest (a private creator's) skipped.
        // (PostgreSQL 18 prints actual rows with two decimals.)
        // (Every tenth popular item has a second row from another source: at most one more.)
        var walked = Regex.Match(plan, @"idx_content_tag_feed_recent on content_tag t [^\n]*actual time=[^)]* rows=(\d+)(?:\.\d+)? loops=(\d+)");
        Assert.True(walked.Success, plan);
        Assert.InRange(int.Parse(walked.Groups[1].Value) * int.Parse(walked.Groups[2].Value), Limit + 1, Limit + 1 + 5 + 2);

        Assert.Equal(await ExpectedAsync(tag, Limit), page.Items.Select(i => i.Title));
        Assert.True(page.HasMore);
    }

    [Theory]
    [InlineData("rare", 4)]
    [InlineData("popular", 500)]
    public async Task Pages_forward_and_back_cover_the_tags_public_items_once_in_feed_order(string tag, int limit)
    {
        var expected = await ExpectedAsync(tag, int.MaxValue);
        var seen = new List<string>();
        var cursors = new List<FeedCursor?> { null };
        FeedSlice slice;
        do
        {
            slice = await new FeedQuery("recent", null, tag, null, null, TrendingWindows.Day, cursors[^1], limit).ExecuteSliceAsync(db.DataSource, CancellationToken.None);
            seen.AddRange(slice.Items.Select(i => i.Title));
            cursors.Add(slice.LastCursor is null ? null : FeedCursor.TryDecode(slice.LastCursor, out var next) ? next : null);
        }
        while (slice.HasMore);

        Assert.Equal(expected, seen);
        // Backward from the last page's first row: the page before it, in display order.
        var last = (await new FeedQuery("recent", null, tag, null, null, TrendingWindows.Day, cursors[^2], limit).ExecuteSliceAsync(db.DataSource, CancellationToken.None));
        Assert.True(FeedCursor.TryDecode(last.FirstCursor!, out var first));
        var before = await new FeedQuery("recent", null, tag, null, null, TrendingWindows.Day, first, limit, Backward: true).ExecuteSliceAsync(db.DataSource, CancellationToken.None);
        var lastStart = expected.IndexOf(last.Items[0].Title);
        Assert.Equal(expected.Skip(Math.Max(0, lastStart - limit)).Take(Math.Min(limit, lastStart)), before.Items.Select(i => i.Title));
    }

    [Fact]
    public async Task The_tag_rows_follow_their_items_status_and_date_whatever_their_writer_sends()
    {
        var item = await db.ScalarAsync<Guid>("SELECT id FROM content_item WHERE external_id = 'tag-15'");
        async Task<DateTimeOffset?[]> DatesAsync()
        {
            await using var command = db.DataSource.CreateCommand("SELECT item_published_at FROM content_tag WHERE content_id = @id ORDER BY tag");
            command.Parameters.AddWithValue("id", item);
            var dates = new List<DateTimeOffset?>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                dates.Add(reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0));
            }

            return [.. dates];
        }

        var published = TagFeedDatabase.Start.AddMinutes(15);
        Assert.Equal([published, published, published], await DatesAsync());
        Assert.Contains("Item 15", await ExpectedAsync("rare", int.MaxValue));

        await db.ScalarAsync<int>($"UPDATE content_item SET status = 'unpublished' WHERE id = '{item}'");
        Assert.Equal([null, null, null], await DatesAsync());
        Assert.DoesNotContain("Item 15", (await new FeedQuery("recent", null, "rare", null, null, TrendingWindows.Day, null, 100).ExecuteAsync(db.DataSource, CancellationToken.None)).Items.Select(i => i.Title));

        var republished = TagFeedDatabase.Start.AddDays(30);
        await using (var update = db.DataSource.CreateCommand("UPDATE content_item SET status = 'published', published_at = @at WHERE id = @id"))
        {
            update.Parameters.AddWithValue("at", republished);
            update.Parameters.AddWithValue("id", item);
            await update.ExecuteNonQueryAsync();
        }

        Assert.Equal([republished, republished, republished], await DatesAsync());
        Assert.Equal("Item 15", (await new FeedQuery("recent", null, "rare", null, null, TrendingWindows.Day, null, 1).ExecuteAsync(db.DataSource, CancellationToken.None)).Items[0].Title);

        // A writer's own value is replaced by the item's (an insert, and an update of the column).
        await db.ScalarAsync<int>($"INSERT INTO content_tag (content_id, tag, source, item_published_at) VALUES ('{item}', 'manual-tag', 'manual', '1999-01-01')");
        await db.ScalarAsync<int>($"UPDATE content_tag SET item_published_at = '1999-01-01' WHERE content_id = '{item}' AND tag = 'rare'");
        Assert.Equal([republished, republished, republished, republished], await DatesAsync());

        // Restore the fixture's data for the other tests.
        await using (var restore = db.DataSource.CreateCommand("UPDATE content_item SET published_at = @at WHERE id = @id; DELETE FROM content_tag WHERE content_id = @id AND tag = 'manual-tag'"))
        {
            restore.Parameters.AddWithValue("at", published);
            restore.Parameters.AddWithValue("id", item);
            await restore.ExecuteNonQueryAsync();
        }

        Assert.Equal([published, published, published], await DatesAsync());
    }

    /// <summary>The tag's visible items, newest first, by a plain query (the reference the feed must match).</summary>
    private async Task<List<string>> ExpectedAsync(string tag, int limit)
    {
        await using var command = db.DataSource.CreateCommand(
            """
            SELECT c.title FROM content_item c JOIN users u ON u.id = c.creator_id
            WHERE c.status = 'published' AND u.is_public AND EXISTS (SELECT 1 FROM content_tag t WHERE t.content_id = c.id AND t.tag = @tag)
            ORDER BY c.published_at DESC, c.id DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("tag", tag);
        command.Parameters.AddWithValue("limit", limit);
        var titles = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            titles.Add(reader.GetString(0));
        }

        return titles;
    }
}
