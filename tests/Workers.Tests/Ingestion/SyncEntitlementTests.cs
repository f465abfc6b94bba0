using Platform.Core.Billing;
using Platform.Core.Ingestion;
using Platform.Workers.Ingestion;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>The plan caps how many of a user's syncs run at once; the schedule holds the rest back, not drops them.</summary>
public class SyncEntitlementTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>
{
    [Fact]
    public async Task The_schedule_enqueues_no_more_syncs_per_user_than_the_plan_allows_and_catches_up_later()
    {
        var limit = TierEntitlements.For(TierEntitlements.Free).MaxConcurrentJobs;
        var accounts = new List<Guid>();
        for (var i = 0; i < limit + 2; i++)
        {
            accounts.Add(await db.AddAccountAsync("feed", $"https://feeds.example.org/{Guid.NewGuid():N}.xml"));
        }

        await db.CountAsync("UPDATE platform_account SET next_sync_at = now() - interval '1 minute' WHERE user_id = @user RETURNING 1", ("user", db.UserId));
        var options = new IngestionOptions();

        await SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None);

        const string pendingSyncs = "SELECT count(*) FROM job_queue WHERE user_id = @user AND job_type IN ('sync_feed', 'sync_youtube') AND status = 'pending'";
        const string stillDue = "SELECT count(*) FROM platform_account WHERE user_id = @user AND next_sync_at <= now()";
        Assert.Equal(limit, await db.CountAsync(pendingSyncs, ("user", db.UserId)));
        Assert.Equal(2, await db.CountAsync(stillDue, ("user", db.UserId)));

        // A paid plan lifts the cap at the next tick.
        await db.CountAsync("UPDATE subscription SET tier = 'pro', status = 'active' WHERE user_id = @user RETURNING 1", ("user", db.UserId));
        await SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None);

        Assert.Equal(limit + 2, await db.CountAsync(pendingSyncs, ("user", db.UserId)));
        Assert.Equal(0, await db.CountAsync(stillDue, ("user", db.UserId)));
    }
}
