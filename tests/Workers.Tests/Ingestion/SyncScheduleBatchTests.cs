using Platform.Core.Billing;
using Platform.Core.Ingestion;
using Platform.TestSupport;
using Platform.Workers.Ingestion;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>
/// A schedule tick is a fixed number of round trips however many accounts are due (issue 14): the plan caps of all due
/// users read at once and applied in memory, the syncs enqueued in one batch, the accounts advanced in one statement.
/// </summary>
public class SyncScheduleBatchTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>
{
    private const string PendingSyncs =
        "SELECT count(*) FROM job_queue WHERE user_id = @user AND job_type IN ('sync_feed', 'sync_youtube') AND status = 'pending'";

    private const string StillDue = "SELECT count(*) FROM platform_account WHERE user_id = @user AND next_sync_at <= now()";

    [Fact]
    public async Task A_tick_of_many_due_accounts_takes_as_many_round_trips_as_a_tick_of_one()
    {
        var options = new IngestionOptions();
        var one = await NewUserAsync(TierEntitlements.Business);
        await AddDueAccountsAsync(one, 1);
        using var commands = new SqlCommandCounter(db.ConnectionString, string.Empty);
        Assert.Equal(1, await SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None));
        var roundTripsForOne = commands.Count;

        var users = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            users.Add(await NewUserAsync(TierEntitlements.Business));
            await AddDueAccountsAsync(users[i], 5);
        }

        commands.Reset();
        Assert.Equal(40, await SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None));

        Assert.Equal(roundTripsForOne, commands.Count);
        foreach (var user in users)
        {
            Assert.Equal(5, await db.CountAsync(PendingSyncs, ("user", user)));
            Assert.Equal(0, await db.CountAsync(StillDue, ("user", user)));
            // Each account records the job its slot enqueued.
            Assert.Equal(5, await db.CountAsync(
                """
                SELECT count(*) FROM platform_account a JOIN job_queue j ON j.id = (a.sync_state->>'last_job_id')::uuid
                WHERE a.user_id = @user AND j.payload->>'platform_account_id' = a.id::text
                  AND j.idempotency_key LIKE 'sync:' || a.id || ':%'
                """,
                ("user", user)));
        }
    }

    [Fact]
    public async Task One_tick_caps_each_users_syncs_at_their_plan_counting_jobs_already_pending_and_those_it_adds()
    {
        var free = await NewUserAsync(TierEntitlements.Free);
        var pro = await NewUserAsync(TierEntitlements.Pro);
        var freeLimit = TierEntitlements.For(TierEntitlements.Free).MaxConcurrentJobs;
        var proLimit = TierEntitlements.For(TierEntitlements.Pro).MaxConcurrentJobs;

        // The free user already has one sync pending (an account synced outside the schedule).
        var busy = await AddDueAccountsAsync(free, 1, due: false);
        await db.CountAsync(
            "SELECT 1 FROM create_job(p_user_id => @user, p_job_type => 'sync_feed', p_payload => jsonb_build_object('platform_account_id', @account::text))",
            ("user", free), ("account", busy[0]));
        await AddDueAccountsAsync(free, freeLimit + 2);
        await AddDueAccountsAsync(pro, proLimit + 3);

        await SyncScheduler.ScheduleOnceAsync(db.DataSource, new IngestionOptions(), CancellationToken.None);

        Assert.Equal(freeLimit, await db.CountAsync(PendingSyncs, ("user", free)));
        Assert.Equal(3, await db.CountAsync(StillDue, ("user", free)));
        Assert.Equal(proLimit, await db.CountAsync(PendingSyncs, ("user", pro)));
        Assert.Equal(3, await db.CountAsync(StillDue, ("user", pro)));

        // The accounts held back stay due with no job recorded; a repeated tick adds nothing while the caps are full.
        Assert.Equal(6, await db.CountAsync(
            "SELECT count(*) FROM platform_account WHERE user_id IN (@free, @pro) AND next_sync_at <= now() AND NOT sync_state ? 'last_job_id'",
            ("free", free), ("pro", pro)));
        await SyncScheduler.ScheduleOnceAsync(db.DataSource, new IngestionOptions(), CancellationToken.None);
        Assert.Equal(freeLimit, await db.CountAsync(PendingSyncs, ("user", free)));
        Assert.Equal(proLimit, await db.CountAsync(PendingSyncs, ("user", pro)));
    }

    [Fact]
    public async Task A_slot_enqueued_before_records_its_existing_job_and_creates_none()
    {
        var user = await NewUserAsync(TierEntitlements.Pro);
        var account = (await AddDueAccountsAsync(user, 1))[0];
        var slot = await db.ScalarAsync<DateTime>($"SELECT next_sync_at FROM platform_account WHERE id = '{account}'");

        Assert.Equal(1, await SyncScheduler.ScheduleOnceAsync(db.DataSource, new IngestionOptions(), CancellationToken.None));
        var first = await db.ScalarAsync<string>($"SELECT sync_state->>'last_job_id' FROM platform_account WHERE id = '{account}'");

        // The same slot due again (e.g. restored by an operator): its key answers the job it already has.
        await db.CountAsync("UPDATE platform_account SET next_sync_at = @slot, sync_state = '{}' WHERE id = @id RETURNING 1", ("slot", slot), ("id", account));
        Assert.Equal(0, await SyncScheduler.ScheduleOnceAsync(db.DataSource, new IngestionOptions(), CancellationToken.None));

        Assert.Equal(first, await db.ScalarAsync<string>($"SELECT sync_state->>'last_job_id' FROM platform_account WHERE id = '{account}'"));
        Assert.Equal(1, await db.CountAsync(PendingSyncs, ("user", user)));
        Assert.Equal(0, await db.CountAsync(StillDue, ("user", user)));
    }

    private async Task<Guid> NewUserAsync(string tier)
    {
        var id = Guid.NewGuid();
        await db.CountAsync("SELECT 1 FROM ensure_user(@id)", ("id", id));
        await db.CountAsync("UPDATE subscription SET tier = @tier, status = 'active' WHERE user_id = @id RETURNING 1", ("id", id), ("tier", tier));
        return id;
    }

    private async Task<List<Guid>> AddDueAccountsAsync(Guid user, int count, bool due = true)
    {
        var accounts = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var account = await db.AddAccountAsync("feed", $"https://feeds.example.org/{Guid.NewGuid():N}.xml", userId: user);
            await db.CountAsync(
                "UPDATE platform_account SET next_sync_at = CASE WHEN @due THEN now() - interval '1 minute' ELSE now() + interval '1 day' END WHERE id = @id RETURNING 1",
                ("id", account), ("due", due));
            accounts.Add(account);
        }

        return accounts;
    }
}
