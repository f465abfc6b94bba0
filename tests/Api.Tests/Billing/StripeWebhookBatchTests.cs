using System.Text;
using Npgsql;
using Platform.Core.Billing;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>
/// The set-based intake statement (<see cref="StripeWebhookStore.RecordBatchAsync"/> → <c>record_stripe_webhooks</c>)
/// against real PostgreSQL: what one batch writes (events, jobs, job log, audit, one wake-up NOTIFY), duplicates inside a
/// batch and against a concurrent transaction, and that a failing batch leaves nothing behind. The database refuses
/// <c>evt_refused_*</c> ids (the trigger of <see cref="StripeEventWriterTests.Database"/>).
/// </summary>
public sealed class StripeWebhookBatchTests(StripeEventWriterTests.Database database) : IClassFixture<StripeEventWriterTests.Database>
{
    private static string NewId(string prefix = "evt_") => prefix + Guid.NewGuid().ToString("N")[..20];

    private static StripeEventToRecord Event(string id, string type = "customer.subscription.updated", string source = StripeEventSource.Webhook)
    {
        var json = StripeFixtures.Event(type, StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_Batch"), id).ToJsonString();
        Assert.True(StripeEventEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out var envelope, out _));
        return new StripeEventToRecord(envelope!, json, source);
    }

    private static string List(IEnumerable<string> ids) => string.Join(", ", ids.Select(id => $"'{id}'"));

    private async Task<(long Events, long Jobs, long JobLogs, long Audits)> StoredAsync(params string[] ids) =>
        (await database.ScalarAsync<long>($"SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id IN ({List(ids)})"),
         await database.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE job_type = 'stripe_webhook' AND payload->>'stripe_event_id' IN ({List(ids)})"),
         await database.ScalarAsync<long>(
             $"SELECT count(*) FROM job_log l JOIN job_queue j ON j.id = l.job_id WHERE j.payload->>'stripe_event_id' IN ({List(ids)})"),
         await database.ScalarAsync<long>($"SELECT count(*) FROM billing_audit WHERE stripe_event_id IN ({List(ids)})"));

    [Fact]
    public async Task A_batch_stores_each_new_event_with_its_job_log_and_audit_rows_and_wakes_the_queue_once()
    {
        var ids = Enumerable.Range(0, 40).Select(_ => NewId()).ToArray();
        var ignored = NewId();
        var batch = ids.Select(id => Event(id)).Append(Event(ignored, "customer.created")).Append(Event(ids[7])).ToArray();
        await using var listener = await database.DataSource.OpenConnectionAsync();
        var wakeups = new List<string>();
        listener.Notification += (_, e) => wakeups.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("LISTEN job_queue_wakeup", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        var results = await StripeWebhookStore.RecordBatchAsync(database.DataSource, batch);

        Assert.Equal(batch.Length, results.Count);
        Assert.All(results.Take(41), r => Assert.True(r.Inserted));
        Assert.All(results.Take(40), r => Assert.NotNull(r.JobId));
        Assert.Null(results[40].JobId); // an event type the platform does not act on: stored as ignored, no job
        Assert.False(results[41].Inserted); // the same id again in the batch: a duplicate of its first copy
        Assert.Equal(results[7].WebhookEventId, results[41].WebhookEventId);
        Assert.Equal(results[7].JobId, results[41].JobId);
        Assert.Equal((40L, 40L, 40L, 40L), await StoredAsync(ids));
        Assert.Equal((1L, 0L, 0L, 1L), await StoredAsync(ignored));
        Assert.Equal("ignored", await database.ScalarAsync<string>(
            $"SELECT action FROM billing_audit WHERE stripe_event_id = '{ignored}'"));
        // Every event row points at its own job, and every job at its event (ids generated up front, no update).
        Assert.Equal(40L, await database.ScalarAsync<long>(
            $"""
            SELECT count(*) FROM stripe_webhook_events w JOIN job_queue j ON j.id = w.job_id
            WHERE w.stripe_event_id IN ({List(ids)}) AND (j.payload->>'webhook_event_id')::uuid = w.id
              AND j.queue = 'webhooks' AND j.max_attempts = 4 AND j.status = 'pending' AND w.status = 'pending'
            """));

        while (await listener.WaitAsync(TimeSpan.FromMilliseconds(500)))
        {
            // collects every notification that arrives (WaitAsync is false once none came for 0.5 s)
        }

        Assert.Equal(["webhooks"], wakeups);
    }

    [Fact]
    public async Task A_failing_batch_stores_nothing_of_any_of_its_events()
    {
        string a = NewId(), refused = NewId("evt_refused_"), b = NewId();

        var error = await Assert.ThrowsAsync<PostgresException>(
            () => StripeWebhookStore.RecordBatchAsync(database.DataSource, [Event(a), Event(refused), Event(b)]));

        Assert.Equal("P0001", error.SqlState);
        Assert.Equal((0L, 0L, 0L, 0L), await StoredAsync(a, refused, b));
    }

    [Fact]
    public async Task A_duplicate_of_an_event_a_concurrent_transaction_commits_gets_that_transactions_ids()
    {
        string shared = NewId(), mine = NewId();
        await using var other = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        Guid otherWebhookId, otherJobId;
        await using (var command = new NpgsqlCommand(
            "SELECT webhook_id, job_id FROM record_stripe_webhook(@id, 'customer.subscription.updated', '{}'::jsonb)", other, transaction))
        {
            command.Parameters.AddWithValue("id", shared);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            (otherWebhookId, otherJobId) = (reader.GetGuid(0), reader.GetGuid(1));
        }

        // The batch waits on the other transaction's uncommitted row of the same event id (ON CONFLICT) ...
        var batch = StripeWebhookStore.RecordBatchAsync(database.DataSource, [Event(mine), Event(shared)]);
        await WaitUntilBlockedAsync();
        Assert.False(batch.IsCompleted);

        // ... and, once it commits, answers with that row: a duplicate, stored and enqueued once.
        await transaction.CommitAsync();
        var results = await batch.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(results[0].Inserted);
        Assert.False(results[1].Inserted);
        Assert.Equal(otherWebhookId, results[1].WebhookEventId);
        Assert.Equal(otherJobId, results[1].JobId);
        Assert.Equal((1L, 1L, 1L, 1L), await StoredAsync(shared));
        Assert.Equal((1L, 1L, 1L, 1L), await StoredAsync(mine));
    }

    [Fact]
    public async Task The_single_event_function_takes_the_same_path_and_writes_the_audit_row()
    {
        var id = NewId();
        const string sql = "SELECT inserted FROM record_stripe_webhook(@id, 'invoice.paid', '{}'::jsonb, p_source => 'reconciliation')";
        await using var first = database.DataSource.CreateCommand(sql);
        first.Parameters.AddWithValue("id", id);
        await using var again = database.DataSource.CreateCommand(sql);
        again.Parameters.AddWithValue("id", id);

        Assert.True((bool)(await first.ExecuteScalarAsync())!);
        Assert.False((bool)(await again.ExecuteScalarAsync())!);
        Assert.Equal((1L, 1L, 1L, 1L), await StoredAsync(id));
        Assert.Equal("reconciliation", await database.ScalarAsync<string>($"SELECT actor FROM billing_audit WHERE stripe_event_id = '{id}'"));
    }

    /// <summary>Until a session of this database waits for a transaction lock (the batch on the other's row).</summary>
    private async Task WaitUntilBlockedAsync()
    {
        for (var i = 0; i < 300; i++)
        {
            if (await database.ScalarAsync<long>(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the batch never waited for the other transaction");
    }
}
