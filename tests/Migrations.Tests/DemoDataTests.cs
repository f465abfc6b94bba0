using Platform.Migrations.DemoData;
using Platform.TestSupport;

namespace Platform.Migrations.Tests;

/// <summary>The demo data of "Seed demo data" / <c>seed-demo</c>, against real PostgreSQL: public, trending, idempotent.</summary>
public class DemoDataTests(MigratedDatabase db) : IClassFixture<MigratedDatabase>
{
    [Fact]
    public async Task Seeds_public_creators_items_with_thumbnails_and_trending_once_even_when_run_concurrently()
    {
        var outcomes = await Task.WhenAll(DemoDataSeeder.SeedAsync(db.ConnectionString), DemoDataSeeder.SeedAsync(db.ConnectionString));
        var again = await DemoDataSeeder.SeedAsync(db.ConnectionString);

        Assert.Single(outcomes, o => o.CreatorsAdded == DemoDataSeeder.Creators);
        Assert.Single(outcomes, o => o.CreatorsAdded == 0);
        Assert.Equal((0, 0, 0), (again.CreatorsAdded, again.ItemsAdded, again.ClicksAdded));
        Assert.Contains("already present", again.ToString());
        Assert.Equal(DemoDataSeeder.Creators, await db.ScalarAsync<long>("SELECT count(*) FROM users WHERE is_public AND username IS NOT NULL"));
        Assert.Equal(DemoDataSeeder.Items, await db.ScalarAsync<long>("SELECT count(*) FROM public_content"));
        Assert.Equal(DemoDataSeeder.Items, await db.ScalarAsync<long>("SELECT count(*) FROM content_media WHERE kind = 'thumbnail'"));
        Assert.Equal(DemoDataSeeder.Clicks, await db.ScalarAsync<long>("SELECT count(*) FROM content_click"));
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM trending_content WHERE time_window = '24h'") > 0, "24h trending is empty");
        Assert.True(again.TrendingRows > 0);
        Assert.Equal(12L, await db.ScalarAsync<long>("SELECT count(*) FROM featured_creator"));
        Assert.Equal(15L, await db.ScalarAsync<long>("SELECT count(DISTINCT category_id) FROM content_item"));
    }
}
