using System.Text.Json.Nodes;
using Platform.Core.Jobs;
using Platform.TestSupport.Stripe;
using Platform.Workers.Billing;

namespace Platform.Workers.Tests.Billing;

/// <summary>
/// Reconciliation when Stripe's event list holds an event this platform cannot store (a <c>created</c> past year 9999):
/// the event is skipped and logged, every other missed event is still recorded, and the run completes, instead of
/// failing on it at every run (the cursor is only saved at the end). One with a number <c>jsonb</c>'s numeric cannot
/// hold is recorded, that number stored as the string written.
/// Its own fixture: the fake's event list is shared by a class's tests.
/// </summary>
public class StripeReconciliationUnstorableTests(BillingDatabase db) : IClassFixture<BillingDatabase>
{
    [Fact]
    public async Task An_event_that_cannot_be_stored_is_skipped_and_the_other_missed_events_are_recorded()
    {
        var missed = Enumerable.Range(0, 3)
            .Select(i => StripeFixtures.Event("charge.succeeded", new JsonObject { ["id"] = $"ch_ok_{i}", ["object"] = "charge" }, created: FakeStripe.Now() - 60 - i))
            .ToList();
        var farFuture = StripeFixtures.Event("charge.succeeded", new JsonObject { ["id"] = "ch_future", ["object"] = "charge" }, created: 253_402_300_800);
        var hugeNumber = StripeFixtures.Event("charge.succeeded", new JsonObject { ["id"] = "ch_huge", ["object"] = "charge" }, created: FakeStripe.Now() - 30);
        hugeNumber["data"]!["object"]!["amount"] = JsonNode.Parse("1e1000000"); // as written, jsonb refuses it (22003)
        foreach (var e in missed.Append(farFuture).Append(hugeNumber))
        {
            db.Stripe.AddEvent(e);
        }

        await using var worker = await db.StartWorkerAsync();
        var enqueued = await StripeReconcileScheduler.EnqueueAsync(db.DataSource, TimeSpan.FromMinutes(15), DateTimeOffset.UtcNow, CancellationToken.None);
        var run = await WaitAsync(enqueued.JobId);

        Assert.True(run.Status == JobStatus.Completed && run.Attempts == 1, $"{run.Status} after {run.Attempts} attempts: {run.Error}");
        Assert.Equal(4, run.Result!.Value.GetProperty("missed_recorded").GetInt32());
        foreach (var e in missed.Append(hugeNumber))
        {
            Assert.Equal("ignored", await db.EventStatusAsync((string)e["id"]!));
        }

        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = @id", ("id", (string)farFuture["id"]!)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = @id AND payload->'data'->'object'->'amount' = '\"1e1000000\"'::jsonb",
            ("id", (string)hugeNumber["id"]!)));
    }

    private async Task<JobRecord> WaitAsync(Guid jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var command = db.DataSource.CreateCommand($"SELECT {JobRecord.Columns} FROM job_queue WHERE id = @id");
            command.Parameters.AddWithValue("id", jobId);
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
