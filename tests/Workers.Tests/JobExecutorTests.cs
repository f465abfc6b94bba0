using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Handlers;
using Platform.Workers.Queue;
using Platform.Workers.Queue.Engine;

namespace Platform.Workers.Tests;

/// <summary>
/// What the executor keeps per job while it allocates less: time limits enforced by one shared check (a job over its
/// limit is stopped and retried), handlers made without a DI scope only when they need none (and a scope still there
/// when they ask for it), and each job's metrics tagged with its type and queue.
/// </summary>
public class JobExecutorTests(QueueDatabase db) : IClassFixture<QueueDatabase>
{
    [Fact]
    public async Task A_job_over_its_timeout_is_stopped_and_retried_until_its_attempts_run_out()
    {
        Guid id;
        await using (var command = db.DataSource.CreateCommand(
            """
            SELECT id FROM create_job(@user, 'echo', '{"delay_ms": 60000}'::jsonb, p_queue => 'timeouts',
                                      p_max_attempts => 2, p_timeout_seconds => 1)
            """))
        {
            command.Parameters.AddWithValue("user", db.UserId);
            id = (Guid)(await command.ExecuteScalarAsync())!;
        }

        // The retry delay of echo is 200 ms and up; each attempt ends about a second after it starts (not at its 60 s delay).
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?> { ["Workers:Queues:timeouts"] = "2" });
        var job = await db.WaitForStatusAsync(id, JobStatus.Failed, TimeSpan.FromSeconds(20));

        Assert.Equal(2, job.Attempts);
        Assert.Contains("Timed out after 1 s", job.Error);
        Assert.Equal(["enqueued", "claimed", "retry_scheduled", "claimed", "failed"], await db.EventsAsync(id));
        Assert.True(job.CompletedAt - job.StartedAt < TimeSpan.FromSeconds(5), $"the second attempt ran {job.CompletedAt - job.StartedAt}");
        Assert.Equal(0, worker.Dispatcher.InFlight);
    }

    [Fact]
    public async Task Completed_jobs_are_counted_and_timed_with_their_type_and_queue()
    {
        var completed = new List<(long Value, Dictionary<string, object?> Tags)>();
        var durations = new List<Dictionary<string, object?>>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == QueueMetrics.Name && instrument.Name is "jobs.completed" or "jobs.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (completed)
            {
                completed.Add((value, ToDictionary(tags)));
            }
        });
        meters.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            lock (durations)
            {
                durations.Add(ToDictionary(tags));
            }
        });
        meters.Start();

        var enqueued = await db.EnqueueAsync(EchoArgs.Kind, new { }, queue: "tagged");
        await using var worker = await WorkerHost.StartAsync(db.ConnectionString, settings: new Dictionary<string, string?> { ["Workers:Queues:tagged"] = "1" });
        await db.WaitForStatusAsync(enqueued.JobId, JobStatus.Completed);
        await Task.Delay(200); // the meter is updated just after the completion commits

        var expected = new Dictionary<string, object?> { ["job_type"] = "echo", ["queue"] = "tagged" };
        lock (completed)
        {
            Assert.Contains(completed, c => c.Value == 1 && Same(expected, c.Tags));
        }

        lock (durations)
        {
            Assert.Contains(durations, d => Same(expected, d));
        }
    }

    [Fact]
    public void A_handler_without_dependencies_is_made_directly_a_new_one_per_job_and_others_come_from_a_scope()
    {
        var create = JobExecutor.DirectFactory(typeof(EchoHandler<EchoArgs>));

        Assert.NotNull(create);
        Assert.IsType<EchoHandler<EchoArgs>>(create());
        Assert.NotSame(create(), create());
        Assert.Null(JobExecutor.DirectFactory(typeof(SyncFeedHandler))); // needs services
        Assert.Null(JobExecutor.DirectFactory(typeof(DisposableHandler))); // a scope would dispose it
    }

    [Fact]
    public async Task A_directly_made_handler_gets_its_scope_on_first_use_and_it_ends_with_the_job()
    {
        var services = new ServiceCollection();
        services.AddScoped<ScopedProbe>();
        await using var provider = services.BuildServiceProvider();
        var job = await db.GetAsync((await db.EnqueueAsync(EchoArgs.Kind, new { }, queue: "scope-probe")).JobId);
        var context = new JobContext(job, "test-worker", db.DataSource, provider.GetRequiredService<IServiceScopeFactory>());

        var probe = context.Services.GetRequiredService<ScopedProbe>();
        Assert.Same(probe, context.Services.GetRequiredService<ScopedProbe>());
        Assert.False(probe.Disposed);

        await context.DisposeScopeAsync();
        Assert.True(probe.Disposed);
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }

    private static bool Same(Dictionary<string, object?> expected, Dictionary<string, object?> actual) =>
        expected.Count == actual.Count && expected.All(e => actual.TryGetValue(e.Key, out var value) && Equals(value, e.Value));

    private sealed class ScopedProbe : IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class DisposableHandler : IJobHandler, IDisposable
    {
        public Task<System.Text.Json.Nodes.JsonNode?> HandleAsync(JobContext context, CancellationToken cancellationToken) =>
            Task.FromResult<System.Text.Json.Nodes.JsonNode?>(null);

        public void Dispose()
        {
        }
    }
}
