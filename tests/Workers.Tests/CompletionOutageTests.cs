using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;
using Platform.Workers.Queue;

namespace Platform.Workers.Tests;

/// <summary>
/// PostgreSQL goes away just as a job finishes (found by <c>bench -- chaos</c>, "PostgreSQL outage": a completion
/// write failed on a broken connection and was dropped, so the job ran a second time although no worker died). An
/// outage shorter than the lease must not run a job twice: the completion is retried while the lease lasts.
/// </summary>
public sealed class CompletionOutageTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task A_completion_whose_write_meets_a_short_outage_is_written_by_the_same_attempt_and_the_job_runs_once()
    {
        using var proxy = new TcpFaultProxy((await TestInfrastructure.PostgresAsync()).Port);
        var viaProxy = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Port = proxy.Port }.ConnectionString;
        var handler = new OutageOnFinishHandler(proxy);
        await using var worker = await WorkerHost.StartAsync(
            viaProxy,
            s => s.AddKeyedSingleton<IJobHandler>(EchoArgs.Kind, handler),
            new Dictionary<string, string?> { ["Workers:LeaseDuration"] = "00:00:08" });

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { tag = "outage" });
        await handler.OutageStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3)); // the database is unreachable for 3 s, well inside the 8 s lease
        proxy.RefuseNew = false;

        var job = await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Completed, TimeSpan.FromSeconds(30));
        Assert.Equal(1, handler.Executions);
        Assert.Equal(1, job.Attempts);
        Assert.Equal(["enqueued", "claimed", "completed"], await db.EventsAsync(job.Id));
    }

    /// <summary>Returns at once; as its first job finishes, every connection breaks and new ones are refused.</summary>
    private sealed class OutageOnFinishHandler(TcpFaultProxy proxy) : IJobHandler
    {
        private int executions;

        public TaskCompletionSource OutageStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Executions => Volatile.Read(ref executions);

        public Task<JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref executions) == 1)
            {
                proxy.RefuseNew = true;
                proxy.ResetAll();
                OutageStarted.TrySetResult();
            }

            return Task.FromResult<JsonNode?>(new JsonObject { ["ok"] = true });
        }
    }
}
