using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.Api.Features.Webhooks.ReceiveStripe;
using Platform.Core.Billing;
using Platform.Core.Data;
using Platform.TestSupport;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>
/// The webhook receiver's group commit (<see cref="StripeEventWriter"/>) against real PostgreSQL. Events are queued
/// before the writer starts, so they are taken as one batch deterministically. A test trigger makes the database refuse
/// chosen event ids: <c>evt_refused_*</c> with an ordinary error, <c>evt_outage_*</c> with SQLSTATE 57P01 (what a
/// server shutting down answers), to fail a batch on purpose.
/// </summary>
public sealed class StripeEventWriterTests(StripeEventWriterTests.Database database) : IClassFixture<StripeEventWriterTests.Database>
{
    public sealed class Database : MigratedDatabase
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await using var command = DataSource.CreateCommand(
                """
                CREATE FUNCTION test_refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.stripe_event_id LIKE 'evt_refused_%' THEN
                        RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'P0001';
                    END IF;
                    IF NEW.stripe_event_id LIKE 'evt_outage_%' THEN
                        RAISE EXCEPTION 'terminating connection due to administrator command (simulated)' USING ERRCODE = '57P01';
                    END IF;
                    RETURN NEW;
                END
                $$;
                CREATE TRIGGER test_refuse_event BEFORE INSERT ON stripe_webhook_events
                    FOR EACH ROW EXECUTE FUNCTION test_refuse_event();
                """);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static string NewId(string prefix = "evt_") => prefix + Guid.NewGuid().ToString("N")[..20];

    private static StripeEventToRecord Event(string id, string type = "customer.subscription.updated")
    {
        var json = StripeFixtures.Event(type, StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_Writer"), id).ToJsonString();
        Assert.True(StripeEventEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out var envelope, out _));
        return new StripeEventToRecord(envelope!, json, StripeEventSource.Webhook);
    }

    private StripeEventWriter Writer(int capacity = 64, int maxBatch = 64) =>
        new(database.DataSource, capacity, maxBatch, NullLogger.Instance);

    private Task<long> StoredAsync(string id) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = '{id}'")!;

    private Task<long> JobsAsync(string id) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE job_type = 'stripe_webhook' AND payload->>'stripe_event_id' = '{id}'")!;

    private Task<long> AuditsAsync(string id) =>
        database.ScalarAsync<long>($"SELECT count(*) FROM billing_audit WHERE stripe_event_id = '{id}'")!;

    private static async Task<T> Within<T>(Task<T> task) => await task.WaitAsync(TimeSpan.FromSeconds(30));

    [Fact]
    public async Task Events_queued_together_commit_in_one_transaction_and_a_duplicate_inside_the_batch_changes_nothing()
    {
        string a = NewId(), b = NewId(), c = NewId();
        var writer = Writer();
        var first = writer.TryRecord(Event(a))!;
        var duplicate = writer.TryRecord(Event(a))!;
        var other = writer.TryRecord(Event(b))!;
        var ignored = writer.TryRecord(Event(c, "customer.created"))!;

        await writer.StartAsync(CancellationToken.None);
        try
        {
            var (x, y, z, w) = (await Within(first), await Within(duplicate), await Within(other), await Within(ignored));

            Assert.True(x.Inserted);
            Assert.False(y.Inserted);
            Assert.Equal(x.WebhookEventId, y.WebhookEventId);
            Assert.Equal(x.JobId, y.JobId);
            Assert.True(z.Inserted);
            Assert.True(w.Inserted);
            Assert.Null(w.JobId); // stored as ignored, no job
            Assert.Equal(1, await StoredAsync(a));
            Assert.Equal(1, await JobsAsync(a));
            Assert.Equal(1, await AuditsAsync(a));
            Assert.Equal(1, await JobsAsync(b));
            Assert.Equal(0, await JobsAsync(c));
            // One transaction for the whole batch: every row carries the same inserting transaction id.
            Assert.Equal(1, await database.ScalarAsync<long>(
                $"SELECT count(DISTINCT xmin::text) FROM stripe_webhook_events WHERE stripe_event_id IN ('{a}', '{b}', '{c}')"));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_duplicate_in_a_later_batch_answers_the_stored_ids_and_changes_nothing()
    {
        var id = NewId();
        var writer = Writer();
        await writer.StartAsync(CancellationToken.None);
        try
        {
            var stored = await Within(writer.TryRecord(Event(id))!);
            var before = await database.ScalarAsync<DateTime>($"SELECT updated_at FROM stripe_webhook_events WHERE stripe_event_id = '{id}'");

            var again = await Within(writer.TryRecord(Event(id))!);

            Assert.True(stored.Inserted);
            Assert.False(again.Inserted);
            Assert.Equal(stored.WebhookEventId, again.WebhookEventId);
            Assert.Equal(stored.JobId, again.JobId);
            Assert.Equal(1, await JobsAsync(id));
            Assert.Equal(1, await AuditsAsync(id));
            Assert.Equal(before, await database.ScalarAsync<DateTime>($"SELECT updated_at FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Two_api_replicas_storing_the_same_events_at_once_store_each_once_and_exactly_one_request_inserts_it()
    {
        var ids = Enumerable.Range(0, 30).Select(_ => NewId()).ToArray();
        var replicas = new[] { Writer(), Writer() };
        // Opposite arrival order in the two replicas: the database's one lock order (event id) keeps them deadlock-free.
        var first = ids.Select(id => replicas[0].TryRecord(Event(id))!).ToArray();
        var second = ids.Reverse().Select(id => replicas[1].TryRecord(Event(id))!).Reverse().ToArray();

        await Task.WhenAll(replicas.Select(r => r.StartAsync(CancellationToken.None)));
        try
        {
            for (var i = 0; i < ids.Length; i++)
            {
                var (a, b) = (await Within(first[i]), await Within(second[i]));
                Assert.True(a.Inserted ^ b.Inserted, $"{ids[i]}: exactly one of the two requests inserts it");
                Assert.Equal(a.WebhookEventId, b.WebhookEventId);
                Assert.Equal(a.JobId, b.JobId);
                Assert.Equal(1, await JobsAsync(ids[i]));
                Assert.Equal(1, await AuditsAsync(ids[i]));
            }
        }
        finally
        {
            await Task.WhenAll(replicas.Select(r => r.StopAsync(CancellationToken.None)));
        }
    }

    [Fact]
    public async Task When_the_database_fails_a_batch_every_request_in_it_fails_and_nothing_of_it_is_stored()
    {
        string a = NewId(), outage = NewId("evt_outage_"), b = NewId();
        var writer = Writer();
        var tasks = new[] { writer.TryRecord(Event(a))!, writer.TryRecord(Event(outage))!, writer.TryRecord(Event(b))! };

        await writer.StartAsync(CancellationToken.None);
        try
        {
            foreach (var task in tasks)
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => Within(task));
                Assert.True(DatabaseOutage.IsOutage(error)); // the receiver answers 503 + Retry-After (DatabaseUnavailableHandler)
            }

            Assert.Equal(0, await StoredAsync(a));
            Assert.Equal(0, await StoredAsync(b));
            Assert.Equal(0, await JobsAsync(a));
            Assert.Equal(0, await AuditsAsync(b));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_event_the_database_refuses_fails_only_its_own_request()
    {
        string a = NewId(), refused = NewId("evt_refused_"), b = NewId();
        var writer = Writer();
        var first = writer.TryRecord(Event(a))!;
        var bad = writer.TryRecord(Event(refused))!;
        var last = writer.TryRecord(Event(b))!;

        await writer.StartAsync(CancellationToken.None);
        try
        {
            Assert.True((await Within(first)).Inserted);
            Assert.True((await Within(last)).Inserted);
            var error = await Assert.ThrowsAsync<PostgresException>(() => Within(bad));
            Assert.Equal("P0001", error.SqlState);
            Assert.Equal(1, await JobsAsync(a));
            Assert.Equal(1, await JobsAsync(b));
            Assert.Equal(0, await StoredAsync(refused));
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_full_queue_refuses_more_events_instead_of_growing()
    {
        var writer = Writer(capacity: 2);
        string a = NewId(), b = NewId(), c = NewId();
        var first = writer.TryRecord(Event(a));
        var second = writer.TryRecord(Event(b));

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(writer.TryRecord(Event(c))); // the receiver answers 503 + Retry-After; nothing stored

        await writer.StartAsync(CancellationToken.None);
        try
        {
            Assert.True((await Within(first!)).Inserted);
            Assert.True((await Within(second!)).Inserted);
            Assert.Equal(0, await StoredAsync(c));
            Assert.NotNull(writer.TryRecord(Event(c))); // room again once the batch is written
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Shutdown_stores_every_queued_event_before_the_writer_ends_and_then_refuses_new_ones()
    {
        var writer = Writer(maxBatch: 2); // three batches to drain
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToArray();
        var tasks = ids.Select(id => writer.TryRecord(Event(id))!).ToArray();

        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);

        Assert.All(tasks, task => Assert.True(task.IsCompletedSuccessfully));
        foreach (var id in ids)
        {
            Assert.Equal(1, await JobsAsync(id));
        }

        Assert.Null(writer.TryRecord(Event(NewId())));
    }

    [Fact]
    public async Task A_request_whose_client_went_away_stops_waiting_but_its_queued_event_is_still_stored()
    {
        var id = NewId();
        var writer = Writer();
        var pending = writer.TryRecord(Event(id))!;
        using var aborted = new CancellationTokenSource();
        var waiting = pending.WaitAsync(aborted.Token);
        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await writer.StartAsync(CancellationToken.None);
        try
        {
            Assert.True((await Within(pending)).Inserted);
            Assert.Equal(1, await JobsAsync(id)); // a re-delivery of it is a duplicate
        }
        finally
        {
            await writer.StopAsync(CancellationToken.None);
        }
    }
}
