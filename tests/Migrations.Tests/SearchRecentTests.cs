using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>search_recent (033): the newest published items' search vectors, kept by triggers and trimmed by trim_search_recent.</summary>
public class SearchRecentTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    private Task<Guid> AddItemAsync(Guid creator, string title, string status = "published", string publishedAt = "now()") =>
        db.ScalarAsync<Guid>(
            $"INSERT INTO content_item (creator_id, platform, external_id, title, url, status, published_at) " +
            $"VALUES ('{creator}', 'youtube', '{Guid.NewGuid():N}', '{title}', 'https://example.com/{Guid.NewGuid():N}', '{status}', {publishedAt}) RETURNING id");

    private Task<bool> HeldAsync(Guid id) => db.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM search_recent WHERE id = '{id}')");

    private Task<bool> MatchesAsync(Guid id, string q) =>
        db.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM search_recent WHERE id = '{id}' AND search_vector @@ websearch_to_tsquery('english', '{q}'))");

    [Fact]
    public async Task Published_items_are_held_and_follow_every_change_of_status_date_and_text()
    {
        var creator = Guid.NewGuid();
        await db.ScalarAsync<int>($"SELECT 1 FROM ensure_user('{creator}')");
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
        var creator = Guid.NewGuid();
        await db.ScalarAsync<int>($"SELECT 1 FROM ensure_user('{creator}')");
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
}
