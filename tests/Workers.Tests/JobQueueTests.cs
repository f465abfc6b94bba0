using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Handlers;
using Platform.Workers.Queue;

namespace Platform.Workers.Tests;

/// <summary>Queue semantics against a real PostgreSQL, with in-process worker replicas.</summary>
public class JobQueueTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task An_echo_job_runs_and_its_payload_comes_back_as_the_result()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { message = "hello", n = 42 });
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Completed);

        Assert.True(enqueued.Created);
        Assert.Equal("hello", job.Result!.Value.GetProperty("message").GetString());
        Assert.Equal(100, job.Progress);
        Assert.Equal(1, job.Attempts);
        Assert.Equal(["enqueued", "claimed", "completed"], await db.EventsAsync(job.Id));
    }

    [Fact]
    public async Task No_job_is_processed_twice_under_eight_concurrent_claimers()
    {
        var executions = new ConcurrentDictionary<Guid, int>();
        const int jobs = 2000;
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            await using var bulk = new NpgsqlCommand("SELECT create_jobs_bulk(@user, 'echo', @payloads, 'race')", connection);
            bulk.Parameters.AddWithValue("user", db.UserId);
            bulk.Parameters.Add(new NpgsqlParameter("payloads", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb)
            {
                Value = Enumerable.Range(0, jobs).Select(i => $"{{\"i\":{i}}}").ToArray(),
            });
            Assert.Equal(jobs, (int)(await bulk.ExecuteScalarAsync())!);
        }

        var settings = new Dictionary<string, string?> { ["Workers:Queues:race"] = "8", ["Workers:ClaimBatchSize"] = "7" };
        var workers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => WorkerHost.StartAsync(
            db.ConnectionString, s => s.AddKeyedSingleton<IJobHandler>(EchoArgs.Kind, new CountingHandler(executions)), settings)));
        try
        {
            var deadline = Stopwatch.StartNew();
            while (await db.CountAsync("SELECT count(*) FROM job_queue WHERE queue = 'race' AND status = 'completed'") < jobs)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the race queue did not drain");
                await Task.Delay(100);
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }

        Assert.Equal(jobs, executions.Count);
        Assert.All(executions.Values, count => Assert.Equal(1, count));
        Assert.Equal(jobs, await db.CountAsync(
            "SELECT count(*) FROM job_log l JOIN job_queue j ON j.id = l.job_id WHERE j.queue = 'race' AND l.event = 'completed'"));
    }

    [Fact]
    public async Task A_failing_job_is_retried_with_backoff_and_completes_when_an_attempt_succeeds()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { fail_times = 2, tag = "retry" });
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Completed);

        Assert.Equal(3, job.Attempts);
        var events = await db.EventsAsync(job.Id);
        Assert.Equal(2, events.Count(e => e == "retry_scheduled"));
        // Backoff of about 0.1-0.2 s then 0.2-0.4 s (echo's retry base is 200 ms, with jitter).
        Assert.True(job.CompletedAt - job.CreatedAt >= TimeSpan.FromMilliseconds(300), $"retries were not delayed: {job.CompletedAt - job.CreatedAt}");
    }

    [Fact]
    public async Task A_job_that_keeps_failing_ends_failed_with_its_last_error_after_max_attempts()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { fail_times = 10, tag = "dead" }, maxAttempts: 3);
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Failed);

        Assert.Equal(3, job.Attempts);
        Assert.Contains("attempt 3", job.Error);
        Assert.Equal("failed", (await db.EventsAsync(job.Id)).Last());
    }

    [Fact]
    public async Task A_pending_job_is_cancelled_at_once_and_never_runs()
    {
        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "cancel-pending" }, queue: "parked");

        Assert.Equal("cancelled", await db.CancelAsync(enqueued.JobId));
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?> { ["Workers:Queues:parked"] = "2" });
        await Task.Delay(500);

        var job = await db.GetAsync(enqueued.JobId);
        Assert.Equal(JobStatus.Cancelled, job.Status);
        Assert.Equal(0, job.Attempts);
    }

    [Fact]
    public async Task A_running_job_is_cancelled_within_a_second()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);
        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { delay_ms = 60_000, tag = "cancel-running" });
        await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Processing);

        var stopwatch = Stopwatch.StartNew();
        Assert.Equal("cancel_requested", await db.CancelAsync(enqueued.JobId));
        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Cancelled, TimeSpan.FromSeconds(5));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1.5), $"cancelled after {stopwatch.Elapsed}");
        Assert.Null(job.Result);
        Assert.Equal(0, worker.Dispatcher.InFlight);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_job()
    {
        var first = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "idem" }, idempotencyKey: "order-42");
        var second = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "idem", different = true }, idempotencyKey: "order-42");

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.JobId, second.JobId);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM job_queue WHERE idempotency_key = 'order-42'"));
    }

    [Fact]
    public async Task An_identical_payload_of_a_cached_job_type_returns_the_cached_result_without_running()
    {
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString);
        var first = await db.EnqueueAsync(EchoCachedArgs.Kind, new { question = "life", answer = 42 });
        await db.WaitForStatusAsync(first.JobId, JobStatus.Completed);

        // Key order differs: the cache key is computed from canonical JSON.
        var second = await db.EnqueueAsync(EchoCachedArgs.Kind, new { answer = 42, question = "life" });

        Assert.True(second.FromCache);
        Assert.NotEqual(first.JobId, second.JobId);
        var cached = await db.GetAsync(second.JobId);
        Assert.Equal(JobStatus.Completed, cached.Status);
        Assert.Equal(0, cached.Attempts);
        Assert.Equal(42, cached.Result!.Value.GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task Graceful_shutdown_finishes_short_jobs_and_releases_long_ones_without_losing_any()
    {
        var settings = new Dictionary<string, string?> { ["Workers:ShutdownGrace"] = "00:00:02", ["Workers:Queues:graceful"] = "4" };
        var started = new ConcurrentDictionary<Guid, TaskCompletionSource>();
        var worker = await WorkerHost.StartAsync(
            db.ConnectionString, s => s.AddKeyedSingleton<IJobHandler>(EchoArgs.Kind, new StartReportingEchoHandler(started)), settings);
        var quick = await db.EnqueueAsync(EchoArgs.Kind, new { finish_when_stopping = true, tag = "quick" }, queue: "graceful");
        var slow = await db.EnqueueAsync(EchoArgs.Kind, new { delay_ms = 30_000, tag = "slow" }, queue: "graceful");

        // Not just "processing" in the table: that also holds for jobs claimed into the local buffer and not started,
        // which shutdown rightly releases at once. Both handlers must be running when the host stops.
        await StartedAsync(started, quick.JobId);
        await StartedAsync(started, slow.JobId);

        await worker.DisposeAsync();

        Assert.Equal(JobStatus.Completed, (await db.GetAsync(quick.JobId)).Status);
        Assert.Equal(["enqueued", "claimed", "completed"], await db.EventsAsync(quick.JobId));
        var released = await db.GetAsync(slow.JobId);
        Assert.Equal(JobStatus.Pending, released.Status);
        Assert.Equal(0, released.Attempts);
        Assert.Contains("released", await db.EventsAsync(slow.JobId));
        Assert.Equal("cancelled", await db.CancelAsync(slow.JobId)); // tidy: leave nothing pending for other tests
    }

    private static Task StartedAsync(ConcurrentDictionary<Guid, TaskCompletionSource> started, Guid jobId) =>
        started.GetOrAdd(jobId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))
            .Task.WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>
    /// The echo handler, reporting when each job's handler starts. A job with <c>finish_when_stopping</c> runs until its
    /// host begins to stop and then returns at once, so it finishes inside the shutdown grace period however loaded
    /// the machine is (its completion reaches the completion writer while the engine shuts down).
    /// </summary>
    private sealed class StartReportingEchoHandler(ConcurrentDictionary<Guid, TaskCompletionSource> started) : IJobHandler
    {
        private readonly IJobHandler echo = new EchoHandler<EchoArgs>();

        public async Task<JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken)
        {
            started.GetOrAdd(context.Job.Id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            if (context.Payload.TryGetProperty("finish_when_stopping", out var flag) && flag.GetBoolean())
            {
                var stopping = context.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                using var either = CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellationToken);
                await Task.Delay(Timeout.Infinite, either.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                cancellationToken.ThrowIfCancellationRequested(); // stopped by the engine instead: released, and the test fails
                return JsonValue.Create("finished when stopping");
            }

            return await echo.HandleAsync(context, cancellationToken);
        }
    }

    private sealed class CountingHandler(ConcurrentDictionary<Guid, int> executions) : IJobHandler
    {
        public Task<JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken)
        {
            executions.AddOrUpdate(context.Job.Id, 1, (_, n) => n + 1);
            return Task.FromResult<JsonNode?>(JsonValue.Create(context.Job.Id));
        }
    }
}
