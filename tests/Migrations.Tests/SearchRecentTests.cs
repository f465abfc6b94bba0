using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>search_recent (033): the newest published items' search vectors, kept by triggers and trimmed by trim_search_recent.</summary>
public class SearchRecentTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    private Task<Guid> AddItemAsync(Guid creator, string title, string status = "published", string publishedAt = "now()") =>
        db.ScalarAsync<Guid>(
            $"INSERT INTO content_item (creator_id, platform, external_id, title, url, status, published_at) " +
            $"VALUES ('{creator}', 'youtube', '{Guid.NewGuid():N}', '{title}', 'https://example.com/{Guid.NewGuid():N}', '{status}', {publishedAt}) RETURNING id");

    /// <summary>A creator whose items visitors may see: public, with a username (034 holds no one else's items).</summary>
    private async Task<Guid> PublicCreatorAsync()
    {
        var creator = Guid.NewGuid();
        await db.ScalarAsync<int>($"SELECT 1 FROM ensure_user('{creator}')");
        await db.ScalarAsync<int>($"UPDATE users SET username = 'sr_{creator:N}', is_public = true WHERE id = '{creator}'");
        return creator;
    }

    private Task<bool> HeldAsync(Guid id) => db.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM search_recent WHERE id = '{id}')");

    private Task<bool> MatchesAsync(Guid id, string q) =>
        db.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM search_recent WHERE id = '{id}' AND search_vector @@ websearch_to_tsquery('english', '{q}'))");

    [Fact]
    public async Task Published_items_are_held_and_follow_every_change_of_status_date_and_text()
    {
        var creator = await PublicCreatorAsync();
        var published = await AddItemAsync(creator, "Kettlebell swings for beginners");
        var draft = await AddItemAsync(creator, "Kettlebell draft", status: "unpublished");

        Assert.True(await HeldAsync(published));
        Assert.True(await MatchesAsync(published, "kettlebell swing"));
        Assert.False(await HeldAsync(draft));

        await db.ScalarAsync<int>($"UPDATE content_item SET title = 'Sourdough starter' WHERE id = '{published}'");
        Assert.True(await MatchesAsync(published, "sourdough"));
        Assert.False(await MatchesAsync(published, "kettlebell"));

        await db.ScalarAsync<int>($"UPDATE content_item SET status = 'removed' WHERE id = '{published}'");
        Assert.False(await HeldAsync(published));
        await db.ScalarAsync<int>($"UPDATE content_item SET status = 'published' WHERE id = '{draft}'");
        Assert.True(await HeldAsync(draft));
        await db.ScalarAsync<int>($"UPDATE content_item SET published_at = '2020-01-02T03:04:05Z' WHERE id = '{draft}'");
        Assert.True(await db.ScalarAsync<bool>($"SELECT published_at = '2020-01-02T03:04:05Z' FROM search_recent WHERE id = '{draft}'"));

        await db.ScalarAsync<int>($"DELETE FROM content_item WHERE id = '{draft}'");
        Assert.False(await HeldAsync(draft));
    }

    [Fact]
    public async Task Trim_keeps_the_newest_rows_and_refuses_a_negative_count()
    {
        var creator = await PublicCreatorAsync();
        var day = DateTimeOffset.UtcNow.AddYears(1); // newer than every other row of this database
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await AddItemAsync(creator, "Trim " + i, publishedAt: $"'{day.AddHours(i):O}'::timestamptz"));
        }

        var before = await db.ScalarAsync<long>("SELECT count(*) FROM search_recent");

        Assert.Equal((int)before - 2, await db.ScalarAsync<int>("SELECT trim_search_recent(2)"));
        var held = await Task.WhenAll(ids.Select(HeldAsync));
        Assert.Equal([false, false, true, true], held);
        Assert.Equal(0, await db.ScalarAsync<int>("SELECT trim_search_recent(2)"));
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.ScalarAsync<int>("SELECT trim_search_recent(-1)"));
        Assert.Equal("22023", error.SqlState);
    }

    /// <summary>
    /// 034: only a public creator's (with a username) items are held, so a private creator's matches cannot take the
    /// search's candidate slots; turning private removes them, public again copies them back (not older than the
    /// oldest row held), and an item moved to another creator follows that creator's visibility.
    /// </summary>
    [Fact]
    public async Task Only_items_of_public_creators_are_held_and_they_follow_the_creators_visibility()
    {
        var creator = await PublicCreatorAsync();
        var other = Guid.NewGuid();
        await db.ScalarAsync<int>($"SELECT 1 FROM ensure_user('{other}')"); // private, no username
        // Newer than every other row of this database: turning public copies back only items not older than the
        // oldest row held, which the trim test may have moved a year ahead.
        var future = $"'{DateTimeOffset.UtcNow.AddYears(5):O}'::timestamptz";
        var item = await AddItemAsync(creator, "Zeppelin flights", publishedAt: future);
        var hidden = await AddItemAsync(other, "Zeppelin secrets", publishedAt: future);
        Assert.True(await HeldAsync(item));
        Assert.False(await HeldAsync(hidden));

        await db.ScalarAsync<int>($"UPDATE users SET is_public = false WHERE id = '{creator}'");
        Assert.False(await HeldAsync(item));
        await db.ScalarAsync<int>($"UPDATE content_item SET title = 'Zeppelin flights, edited' WHERE id = '{item}'");
        Assert.False(await HeldAsync(item)); // an edit while private does not copy it back
        await db.ScalarAsync<int>($"UPDATE users SET is_public = true WHERE id = '{creator}'");
        Assert.True(await MatchesAsync(item, "edited"));
        await db.ScalarAsync<int>($"UPDATE users SET username = NULL WHERE id = '{creator}'");
        Assert.False(await HeldAsync(item));
        await db.ScalarAsync<int>($"UPDATE users SET username = 'sr_{creator:N}' WHERE id = '{creator}'");
        Assert.True(await HeldAsync(item));

        await db.ScalarAsync<int>($"UPDATE content_item SET creator_id = '{other}' WHERE id = '{item}'");
        Assert.False(await HeldAsync(item));
        await db.ScalarAsync<int>($"UPDATE content_item SET creator_id = '{creator}' WHERE id = '{hidden}'");
        Assert.True(await HeldAsync(hidden));
        await db.ScalarAsync<int>($"DELETE FROM content_item WHERE id IN ('{item}', '{hidden}')"); // the trim test's rows stay the newest
    }

    /// <summary>
    /// An item published while its creator turns private in another transaction: the change of visibility waits for the
    /// item's transaction (the trigger locks the creator's row FOR SHARE) and then removes the item it can now see.
    /// </summary>
    [Fact]
    public async Task A_creator_turning_private_while_an_item_is_being_published_leaves_no_row_behind()
    {
        var creator = await PublicCreatorAsync();
        await using var writer = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var insert = new Npgsql.NpgsqlCommand(
            $"INSERT INTO content_item (creator_id, platform, external_id, title, url, status, published_at) " +
            $"VALUES ('{creator}', 'youtube', 'race-{Guid.NewGuid():N}', 'Racing zeppelin', 'https://example.com/race', 'published', now())",
            writer, transaction))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var turnPrivate = db.ScalarAsync<int>($"UPDATE users SET is_public = false WHERE id = '{creator}'");
        var finished = await Task.WhenAny(turnPrivate, Task.Delay(500));
        Assert.NotSame(turnPrivate, finished); // waits for the item's transaction
        await transaction.CommitAsync();
        await turnPrivate;

        Assert.Equal(0L, await db.ScalarAsync<long>(
            $"SELECT count(*) FROM search_recent r JOIN content_item c ON c.id = r.id WHERE c.creator_id = '{creator}'"));
    }

    [Theory]
    [InlineData("app_anonymous")]
    [InlineData("app_user")]
    public async Task The_app_roles_may_read_search_recent_but_neither_write_it_nor_trim_it(string role)
    {
        Assert.True(await db.ScalarAsync<bool>($"SELECT has_table_privilege('{role}', 'search_recent', 'SELECT')"));
        Assert.False(await db.ScalarAsync<bool>(
            $"SELECT has_table_privilege('{role}', 'search_recent', 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')"));
        Assert.False(await db.ScalarAsync<bool>($"SELECT has_function_privilege('{role}', 'trim_search_recent(integer)', 'EXECUTE')"));
    }
}
