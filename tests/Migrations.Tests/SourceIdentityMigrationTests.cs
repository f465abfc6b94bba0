using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>
/// Migration 024: a feed verified twice under two spellings (possible before its one-identity index) keeps its earliest
/// verified owner; the later one becomes unverified and its published items wait for verification, so the unique index
/// on <c>platform_source_key()</c> can be built. Other sources and items are left alone.
/// </summary>
public class SourceIdentityMigrationTests : IAsyncLifetime
{
    private string db = string.Empty;

    public async Task InitializeAsync() => db = await TestInfrastructure.CreateEmptyDatabaseAsync("source_identity");

    public Task DisposeAsync() => TestInfrastructure.DropDatabaseAsync(db);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Two_verified_spellings_of_one_feed_keep_the_earliest_owner()
    {
        await new MigrationRunner(db, MigrationScriptSource.Embedded().Where(s => s.Version < 24).ToList()).ApplyAsync();
        var (first, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await ScalarAsync($"""
            SELECT count(*) FROM (SELECT ensure_user('{first}'), ensure_user('{second}'), ensure_user('{third}')) created;
            INSERT INTO platform_account (user_id, platform, external_id, verification_status, verification_method, verified_at) VALUES
                ('{first}', 'feed', 'https://blog.example/feed', 'verified', 'feed_description', now() - interval '2 days'),
                ('{second}', 'feed', 'http://blog.example/feed/', 'verified', 'feed_description', now() - interval '1 day'),
                ('{third}', 'feed', 'https://other.example/feed', 'verified', 'feed_description', now());
            INSERT INTO content_item (creator_id, platform_account_id, platform, external_id, title, url, status)
            SELECT a.user_id, a.id, 'feed', 'item-' || a.user_id, 'Item', 'https://blog.example/1', 'published' FROM platform_account a;
            """);

        await new MigrationRunner(db, MigrationScriptSource.Embedded()).ApplyAsync();

        Assert.Equal(
            $"{first}:verified:published,{second}:unverified:pending_verification,{third}:verified:published",
            await ScalarAsync($"""
                SELECT string_agg(a.user_id || ':' || a.verification_status || ':' || c.status, ',' ORDER BY CASE a.user_id WHEN '{first}' THEN 1 WHEN '{second}' THEN 2 ELSE 3 END)
                FROM platform_account a JOIN content_item c ON c.platform_account_id = a.id
                """));
        await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync(
            $"UPDATE platform_account SET verification_status = 'verified' WHERE user_id = '{second}'"));
    }
}
