using System.Diagnostics;
using Npgsql;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue;

namespace Platform.Workers.Tests;

/// <summary>Timeouts, backpressure, cross-replica concurrency limits and trace propagation.</summary>
public class QueuePolicyTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task A_job_that_outlives_its_timeout_has_its_token_fired_and_fails_the_attempt()
    {
        Guid id;
        await using (var command = db.DataSource.CreateCommand(
            "SELECT id FROM create_job(@user, 'echo', '{\"delay_ms\": 60000}'::jsonb, p_max_attempts => 1, p_timeout_seconds => 1)"))
        {
            command.Parameters.AddWithValue("user", db.UserId);
            id = (Guid)(await command.ExecuteScalarAsync())!;
        }

        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);
        var job = await db.WaitForStatusAsync(id, JobStatus.Failed, TimeSpan.FromSeconds(15));

        Assert.Contains("Timed out after 1 s", job.Error);
        Assert.True(job.CompletedAt - job.StartedAt < TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// While completions cannot be written (here: a row lock holds the completion batch), the engine stops claiming
    /// instead of running ahead of them: the set of processing rows stays small, and nothing is lost once writes resume.
    /// </summary>
    [Fact]
    public async Task Claims_wait_for_completions_to_be_written()
    {
        var blocker = (await db.EnqueueAsync(EchoArgs.Kind, new { delay_ms = 1000 }, queue: "backpressure")).JobId;
        var settings = new Dictionary<string, string?>
        {
            ["Workers:Queues:backpressure"] = "4",
            ["Workers:Prefetch"] = "4",
            ["Workers:ClaimBatchSize"] = "4",
            ["Workers:CompletionBatchSize"] = "5",
            ["Workers:CompletionWriters"] = "1",
        };
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: settings);
        await db.WaitForStatusAsync(blocker, JobStatus.Processing);

        // Another session locks the blocker's row: the batch that completes it waits, and every later completion with it.
        await using (var other = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await other.BeginTransactionAsync())
        {
            await using (var hold = new NpgsqlCommand("SELECT 1 FROM job_queue WHERE id = @id FOR UPDATE", other, transaction))
            {
                hold.Parameters.AddWithValue("id", blocker);
                await hold.ExecuteNonQueryAsync();
            }

            await Task.Delay(1500); // the blocker has finished; writing its completion now waits for the lock
            await db.CountAsync("SELECT create_jobs_bulk(NULL, 'echo', array_fill('{}'::jsonb, ARRAY[300]), 'backpressure')");
            await Task.Delay(1500); // no-op jobs: without backpressure all 300 would be claimed and run by now
            var processing = await db.CountAsync("SELECT count(*) FROM job_queue WHERE queue = 'backpressure' AND status = 'processing'");
            var pending = await db.CountAsync("SELECT count(*) FROM job_queue WHERE queue = 'backpressure' AND status = 'pending'");
            Assert.InRange(processing, 1, 30); // running + prefetched + about one round of unwritten completions
            Assert.True(pending >= 250, $"{pending} pending: claims ran ahead of completions");
            await transaction.RollbackAsync();
        }

        var deadline = Stopwatch.StartNew();
        while (await db.CountAsync("SELECT count(*) FROM job_queue WHERE queue = 'backpressure' AND status <> 'completed'") > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the queue did not drain once completions could be written");
            await Task.Delay(50);
        }

        Assert.Equal(301, await db.CountAsync(
            "SELECT count(*) FROM job_log l JOIN job_queue j ON j.id = l.job_id WHERE j.queue = 'backpressure' AND l.event = 'completed'"));
    }

    [Fact]
    public async Task A_queue_limit_holds_across_replicas()
    {
        await using (var limit = db.DataSource.CreateCommand("INSERT INTO job_queue_limit (queue, max_concurrency) VALUES ('limited', 2)"))
        {
            await limit.ExecuteNonQueryAsync();
        }

        var ids = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add((await db.EnqueueAsync(EchoArgs.Kind, new { delay_ms = 300, i }, queue: "limited")).JobId);
        }

        var settings = new Dictionary<string, string?> { ["Workers:Queues:limited"] = "5" };
        var replicas = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => WorkerHost.StartAsync(db.ConnectionString, settings: settings)));
        var maxRunning = 0L;
        try
        {
            var deadline = Stopwatch.StartNew();
            while (await db.CountAsync("SELECT count(*) FROM job_queue WHERE queue = 'limited' AND status <> 'completed'") > 0)
            {
                maxRunning = Math.Max(maxRunning, await db.CountAsync("SELECT count(*) FROM job_queue WHERE queue = 'limited' AND status = 'processing'"));
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the limited queue did not drain");
                await Task.Delay(20);
            }
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }

        Assert.InRange(maxRunning, 1, 2);
    }

    [Fact]
    public async Task The_workers_span_continues_the_trace_of_the_request_that_enqueued()
    {
        var finished = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == QueueMetrics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (finished) { finished.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        using var requestSource = new ActivitySource("test.request");
        using var requestListener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "test.request",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(requestListener);

        Guid jobId;
        string traceId;
        string requestSpanId;
        using (var request = requestSource.StartActivity("POST /api/jobs"))
        {
            traceId = request!.TraceId.ToString();
            requestSpanId = request.SpanId.ToString();
            jobId = (await db.EnqueueAsync(EchoArgs.Kind, new { traced = true })).JobId;
        }

        Assert.Equal($"00-{traceId}-{requestSpanId}-01", (await db.GetAsync(jobId)).TraceParent);
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);
        await db.WaitForStatusAsync(jobId, JobStatus.Completed);
        await Task.Delay(200);

        Activity span;
        lock (finished)
        {
            span = Assert.Single(finished, a => (a.GetTagItem("job.id") as Guid?) == jobId);
        }

        Assert.Equal(traceId, span.TraceId.ToString());
        Assert.Equal(requestSpanId, span.ParentSpanId.ToString());
        Assert.Equal(ActivityKind.Consumer, span.Kind);
    }
}
