using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.Core.Jobs;
using Platform.TestSupport.Stripe;
using Platform.Workers.Billing;

namespace Platform.Workers.Tests.Billing;

/// <summary>Reconciliation of missed webhooks from GET /v1/events, and the 90-day retention of webhook events.</summary>
public class StripeReconciliationAndRetentionTests(BillingDatabase db) : IClassFixture<BillingDatabase>
{
    [Fact]
    public async Task An_event_Stripe_lists_but_never_delivered_is_applied_by_reconciliation_once()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        var delivered = StripeFixtures.Event("customer.subscription.created",
            StripeFixtures.Subscription(subscriptionId, customerId, "incomplete", userId: userId), created: FakeStripe.Now() - 120);
        var missed = StripeFixtures.Event("customer.subscription.updated",
            StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId), created: FakeStripe.Now() - 60);
        var unrelated = StripeFixtures.Event("customer.created", new JsonObject { ["id"] = customerId, ["object"] = "customer" }, created: FakeStripe.Now() - 180);
        foreach (var e in new[] { delivered, missed, unrelated })
        {
            db.Stripe.AddEvent(e);
        }

        // Enough other events that the listing takes several pages.
        for (var i = 0; i < 230; i++)
        {
            db.Stripe.AddEvent(StripeFixtures.Event("charge.succeeded", new JsonObject { ["id"] = $"ch_{i}", ["object"] = "charge" }, created: FakeStripe.Now() - 300 - i));
        }

        // Stripe's current state: active. Only "delivered" reached our webhook, and it was processed (re-read: active).
        await using var worker = await db.StartWorkerAsync();
        await db.DeliverAsync(delivered);
        await db.WaitForEventAsync((string)delivered["id"]!, "processed");
        db.Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, "active", StripeFixtures.BusinessPrice, userId: userId));

        var first = await ReconcileAsync(DateTimeOffset.UtcNow);

        Assert.True(first.Status == JobStatus.Completed && first.Attempts == 1, $"{first.Status} after {first.Attempts} attempts: {first.Error}");
        Assert.Equal(100, first.Progress);
        Assert.Equal(233, first.Result!.Value.GetProperty("events_seen").GetInt32());
        Assert.Equal(232, first.Result!.Value.GetProperty("missed_recorded").GetInt32()); // all but the delivered one
        Assert.True(first.Result!.Value.GetProperty("pages").GetInt32() >= 3);
        Assert.Equal("reconciliation", await db.ScalarAsync<string>($"SELECT source FROM stripe_webhook_events WHERE stripe_event_id = '{missed["id"]}'"));
        Assert.Equal("ignored", await db.EventStatusAsync((string)unrelated["id"]!));
        await db.WaitForEventAsync((string)missed["id"]!, "processed");
        Assert.Equal("business", (await db.SubscriptionAsync(userId))["tier"]);
        Assert.Equal(["received", "subscription_changed", "processed"], await db.AuditAsync((string)missed["id"]!));
        Assert.Equal(["received", "subscription_changed", "processed"], await db.AuditAsync((string)delivered["id"]!)); // free -> pro

        // A second run (next slot) finds nothing new and changes nothing.
        var second = await ReconcileAsync(DateTimeOffset.UtcNow.AddMinutes(15));
        Assert.Equal(JobStatus.Completed, second.Status);
        Assert.Equal(0, second.Result!.Value.GetProperty("missed_recorded").GetInt32());
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = @id", ("id", (string)missed["id"]!)));
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM billing_audit WHERE stripe_event_id = @id AND action = 'subscription_changed'", ("id", (string)missed["id"]!)));
        Assert.Equal(232, await db.CountAsync("SELECT events_recorded FROM stripe_reconcile_state"));
    }

    [Fact]
    public async Task Reconciliation_replays_recent_failed_events_a_bounded_number_of_times()
    {
        var (userId, customerId, subscriptionId) = await db.NewCustomerAsync("active");
        var recent = StripeFixtures.Event("customer.subscription.updated",
            StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        var old = StripeFixtures.Event("customer.subscription.updated",
            StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        foreach (var e in new[] { recent, old })
        {
            // As if its processing had run out of retries while Stripe's API was down.
            await db.DeliverAsync(e);
            await db.ExecuteAsync(
                """
                UPDATE job_queue SET status = 'cancelled', completed_at = now()
                WHERE id = (SELECT job_id FROM stripe_webhook_events WHERE stripe_event_id = @id);
                UPDATE stripe_webhook_events SET status = 'failed', attempts = 4, last_error = 'Stripe API unavailable'
                WHERE stripe_event_id = @id;
                """, ("id", (string)e["id"]!));
        }

        await db.ExecuteAsync("UPDATE stripe_webhook_events SET received_at = now() - interval '4 days' WHERE stripe_event_id = @id", ("id", (string)old["id"]!));
        await using var worker = await db.StartWorkerAsync();

        var run = await ReconcileAsync(DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal(JobStatus.Completed, run.Status);
        Assert.Equal([(string)recent["id"]!], run.Result!.Value.GetProperty("failed_replayed").EnumerateArray().Select(i => i.GetString()));
        await db.WaitForEventAsync((string)recent["id"]!, "processed");
        Assert.Contains("replayed", await db.AuditAsync((string)recent["id"]!));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM billing_audit WHERE stripe_event_id = @id AND action = 'replayed' AND actor = 'reconciliation'", ("id", (string)recent["id"]!)));
        Assert.Equal("failed", await db.EventStatusAsync((string)old["id"]!)); // older than the lookback: left to an admin

        // Once the event has been replayed Stripe:ReconcileReplays (3) times, reconciliation leaves it failed.
        await db.ExecuteAsync("UPDATE stripe_webhook_events SET status = 'failed', auto_replays = 3 WHERE stripe_event_id = @id", ("id", (string)recent["id"]!));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM replay_failed_stripe_webhooks(interval '3 days', 3, 100)"));
        await db.ExecuteAsync("UPDATE stripe_webhook_events SET status = 'processed' WHERE stripe_event_id = ANY (@ids)",
            ("ids", new[] { (string)recent["id"]!, (string)old["id"]! }));
    }

    [Fact]
    public async Task The_schedule_enqueues_one_reconciliation_per_slot_whatever_the_replica_count()
    {
        var now = DateTimeOffset.UtcNow;
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            StripeReconcileScheduler.EnqueueAsync(db.DataSource, TimeSpan.FromMinutes(7), now, CancellationToken.None)));

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.JobId).Distinct());
        // Not to be run by another test's worker.
        await db.ExecuteAsync("UPDATE job_queue SET status = 'cancelled', completed_at = now() WHERE id = @id", ("id", results[0].JobId));
    }

    [Fact]
    public async Task Retention_deletes_handled_events_older_than_90_days_in_batches_and_keeps_the_rest()
    {
        var retention = new StripeWebhookRetention(
            db.DataSource,
            Options.Create(new StripeOptions { WebhookRetention = TimeSpan.FromDays(90), RetentionBatchSize = 2 }),
            new SchemaReadiness(db.DataSource, NullLogger<SchemaReadiness>.Instance),
            NullLogger<StripeWebhookRetention>.Instance);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var e = StripeFixtures.Event("customer.tax_id.created", new JsonObject { ["id"] = $"txi_old{i}", ["object"] = "tax_id" });
            ids.Add((string)e["id"]!);
            await db.DeliverAsync(e); // ignored = handled
        }

        var pendingOld = StripeFixtures.Event("customer.subscription.updated", StripeFixtures.Subscription("sub_retention", "cus_retention"));
        await db.DeliverAsync(pendingOld); // pending: never deleted, whatever its age
        var recent = StripeFixtures.Event("customer.tax_id.created", new JsonObject { ["id"] = "txi_recent", ["object"] = "tax_id" });
        await db.DeliverAsync(recent);
        await db.ExecuteAsync(
            "UPDATE stripe_webhook_events SET received_at = now() - interval '91 days' WHERE stripe_event_id = ANY (@ids)",
            ("ids", ids.Append((string)pendingOld["id"]!).ToArray()));

        // Another replica holding the tick's lock: this one does nothing.
        await using (var other = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await other.BeginTransactionAsync())
        {
            await using var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", other, transaction);
            hold.Parameters.AddWithValue("key", StripeWebhookRetention.Key);
            await hold.ExecuteNonQueryAsync();
            Assert.Equal(0, await retention.RunOnceAsync(CancellationToken.None));
        }

        var deleted = await retention.RunOnceAsync(CancellationToken.None);

        Assert.Equal(5, deleted);
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = ANY (@ids)", ("ids", ids.ToArray())));
        Assert.Equal("pending", await db.EventStatusAsync((string)pendingOld["id"]!));
        Assert.Equal("ignored", await db.EventStatusAsync((string)recent["id"]!));
        Assert.Equal(5, await db.CountAsync("SELECT count(*) FROM billing_audit WHERE stripe_event_id = ANY (@ids)", ("ids", ids.ToArray()))); // the trail stays
    }

    [Fact]
    public async Task The_billing_audit_trail_is_append_only()
    {
        await db.ExecuteAsync("INSERT INTO billing_audit (action, actor) VALUES ('received', 'test')");

        var update = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("UPDATE billing_audit SET actor = 'x'"));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("DELETE FROM billing_audit"));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("TRUNCATE billing_audit"));

        Assert.All([update, delete, truncate], e => Assert.Contains("append-only", e.MessageText));
    }

    [Fact]
    public async Task The_api_user_role_can_neither_read_nor_write_the_billing_tables()
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        foreach (var sql in new[]
                 {
                     "SELECT count(*) FROM billing_audit", "INSERT INTO billing_audit (action, actor) VALUES ('received', 'x')",
                     "SELECT count(*) FROM stripe_reconcile_state", "SELECT count(*) FROM stripe_webhook_events",
                 })
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand(
                $"SET LOCAL ROLE app_user; SELECT set_config('app.user_id', '{Guid.NewGuid()}', true); {sql}", connection, transaction);
            var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
            await transaction.RollbackAsync();
        }
    }

    private async Task<JobRecord> ReconcileAsync(DateTimeOffset slot)
    {
        var enqueued = await StripeReconcileScheduler.EnqueueAsync(db.DataSource, TimeSpan.FromMinutes(15), slot, CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var command = db.DataSource.CreateCommand($"SELECT {JobRecord.Columns} FROM job_queue WHERE id = @id");
            command.Parameters.AddWithValue("id", enqueued.JobId);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            var job = JobRecord.Read(reader);
            if (JobStatus.IsTerminal(job.Status))
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"reconciliation stayed {job.Status}: {job.Error}");
            await Task.Delay(50);
        }
    }
}
