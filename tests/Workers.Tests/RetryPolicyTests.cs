using Microsoft.Extensions.DependencyInjection;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Queue.Engine;

namespace Platform.Workers.Tests;

/// <summary>The retry policy: exponential backoff with jitter by default, replaceable per process and per job type.</summary>
public sealed class RetryPolicyTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    private static JobRecord Attempt(int attempts) => new(
        Guid.NewGuid(), null, "default", EchoArgs.Kind, default, JobStatus.Processing, 0, DateTimeOffset.UtcNow, attempts, 5,
        null, null, null, 0, null, null, false, null, null, null, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    [Theory]
    [InlineData(1, 0.0, 1.0)]
    [InlineData(1, 0.999_999, 2.0)]
    [InlineData(3, 0.0, 4.0)]
    [InlineData(3, 0.5, 6.0)]
    [InlineData(40, 0.0, 1800.0)] // 2^39 × 2 s, capped at an hour, then halved by the lowest jitter
    public void The_default_doubles_the_types_retry_base_per_attempt_with_jitter_between_half_and_all(int attempts, double random, double seconds)
    {
        var policy = new ExponentialBackoffRetryPolicy(() => random);
        var type = new JobTypeDefinition { Name = "t", RetryBase = TimeSpan.FromSeconds(2) };

        Assert.Equal(seconds, policy.NextRetryDelay(Attempt(attempts), type).TotalSeconds, precision: 3);
    }

    [Fact]
    public void A_job_types_own_policy_wins_over_the_process_policy()
    {
        var own = new FixedRetryPolicy(TimeSpan.FromMinutes(7));
        var process = new FixedRetryPolicy(TimeSpan.FromSeconds(1));

        Assert.Same(own, JobExecutor.RetryPolicyFor(new JobTypeDefinition { Name = "t", RetryPolicy = own }, process));
        Assert.Same(process, JobExecutor.RetryPolicyFor(new JobTypeDefinition { Name = "t" }, process));
        Assert.Same(process, JobExecutor.RetryPolicyFor(null, process));
    }

    [Fact]
    public async Task A_registered_policy_replaces_the_default_for_every_job_type()
    {
        await using var worker = await WorkerHost.StartAsync(
            db.ConnectionString, s => s.AddSingleton<IRetryPolicy>(new FixedRetryPolicy(TimeSpan.FromSeconds(30))));

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { fail_times = 1, tag = "fixed-retry" });
        var retrying = await db.WaitForAsync(enqueued.JobId, j => j.Status == JobStatus.Pending && j.Attempts == 1);

        // echo's own backoff would be 0.1-0.2 s.
        Assert.InRange((retrying.RunAt - retrying.UpdatedAt).TotalSeconds, 29, 31);
        Assert.Equal("cancelled", await db.CancelAsync(enqueued.JobId)); // tidy: nothing left pending
    }

    private sealed class FixedRetryPolicy(TimeSpan delay) : IRetryPolicy
    {
        public TimeSpan NextRetryDelay(JobRecord job, JobTypeDefinition? jobType) => delay;
    }
}
