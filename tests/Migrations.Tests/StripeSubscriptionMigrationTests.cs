using Npgsql;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>Migration 016: one row per Stripe subscription, backfilled from the one-per-user plan rows, read under RLS.</summary>
public class StripeSubscriptionMigrationTests : IAsyncLifetime
{
    private string db = string.Empty;

    public async Task InitializeAsync() => db = await TestInfrastructure.CreateEmptyDatabaseAsync("stripe_subs");

    public Task DisposeAsync() => TestInfrastructure.DropDatabaseAsync(db);

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task Each_users_current_stripe_subscription_is_backfilled_and_only_its_owner_reads_it()
    {
        var before = MigrationScriptSource.Embedded().Where(s => s.Version < 16).ToList();
        await new MigrationRunner(db, before).ApplyAsync();
        var paying = Guid.NewGuid();
        var other = Guid.NewGuid();
        await ScalarAsync($"""
            SELECT count(*) FROM (SELECT ensure_user('{paying}'), ensure_user('{other}')) created;
            UPDATE subscription SET tier = 'business', status = 'past_due', stripe_customer_id = 'cus_backfill',
                   stripe_subscription_id = 'sub_backfill', stripe_price_id = 'price_b', cancel_at_period_end = true
            WHERE user_id = '{paying}';
            """);

        await new MigrationRunner(db, MigrationScriptSource.Embedded()).ApplyAsync();

        Assert.Equal(
            $"sub_backfill|{paying}|cus_backfill|business|past_due|price_b|True|stripe_api",
            await ScalarAsync("""
                SELECT concat_ws('|', stripe_subscription_id, user_id, stripe_customer_id, tier, status, stripe_price_id,
                                 CASE WHEN cancel_at_period_end THEN 'True' ELSE 'False' END, source)
                FROM stripe_subscription
                """));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM stripe_subscription"));
        Assert.Equal(1L, await ScalarAsync($"""
            BEGIN; SET LOCAL ROLE app_user; SET LOCAL app.user_id = '{paying}';
            SELECT count(*) FROM stripe_subscription;
            """));
        Assert.Equal(0L, await ScalarAsync($"""
            BEGIN; SET LOCAL ROLE app_user; SET LOCAL app.user_id = '{other}';
            SELECT count(*) FROM stripe_subscription;
            """));
        Assert.Equal("duplicate_subscription", await ScalarAsync(
            "INSERT INTO billing_audit (action, actor) VALUES ('duplicate_subscription', 'test') RETURNING action"));
    }
}
