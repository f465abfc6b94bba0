using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>refresh_search_words() (009): the typo dictionary of the search, built from published titles.</summary>
public class SearchVocabularyTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    private Task AddItemAsync(Guid creator, string title, string status = "published") =>
        db.ScalarAsync<int>(
            $"INSERT INTO content_item (creator_id, platform, external_id, title, url, status, published_at) " +
            $"VALUES ('{creator}', 'youtube', '{Guid.NewGuid():N}', '{title}', 'https://example.com/{Guid.NewGuid():N}', '{status}', now())");

    private Task<long?> DocumentsAsync(string word) =>
        db.ScalarAsync<long?>($"SELECT documents::bigint FROM search_word WHERE word = '{word}'");

    [Fact]
    public async Task Words_of_published_titles_come_in_incrementally_and_a_rebuild_recounts_and_drops()
    {
        var creator = Guid.NewGuid();
        await db.ScalarAsync<int>($"SELECT 1 FROM ensure_user('{creator}')");
        await AddItemAsync(creator, "Sourdough Bread at home");
        await AddItemAsync(creator, "Bread rolls, quick");
        await AddItemAsync(creator, "Secret draft recipe", status: "unpublished");

        Assert.True(await db.ScalarAsync<int>("SELECT refresh_search_words()") >= 5); // first call: a full build
        Assert.Equal(2L, await DocumentsAsync("bread"));
        Assert.Equal(1L, await DocumentsAsync("sourdough"));
        Assert.Null(await DocumentsAsync("at"));     // under 3 letters
        Assert.Null(await DocumentsAsync("secret")); // not published

        await AddItemAsync(creator, "Focaccia with bread flour");
        await db.ScalarAsync<int>("SELECT refresh_search_words()"); // incremental: new words in, counts kept
        Assert.Equal(1L, await DocumentsAsync("focaccia"));
        Assert.Equal(2L, await DocumentsAsync("bread"));

        await db.ScalarAsync<int>("DELETE FROM content_item WHERE title = 'Bread rolls, quick'");
        await db.ScalarAsync<int>("SELECT refresh_search_words(interval '0')"); // due for a rebuild: recount
        Assert.Equal(2L, await DocumentsAsync("bread"));
        Assert.Null(await DocumentsAsync("rolls"));
        Assert.Equal("bread", await db.ScalarAsync<string>(
            "SELECT word FROM search_word WHERE word % 'bred' ORDER BY similarity(word, 'bred') DESC LIMIT 1"));
    }
}
