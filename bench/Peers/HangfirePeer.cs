using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.States;

namespace Platform.Bench.Peers;

/// <summary>
/// <c>peer-hangfire</c>: Hangfire.Core with Hangfire.PostgreSql on the same PostgreSQL server. Per run, a fresh
/// database: N no-op jobs enqueued one by one through a BackgroundJobClient (Hangfire has no batch enqueue), then a
/// BackgroundJobServer with 24 workers drains them; done when the monitoring API counts N succeeded.
/// </summary>
public static class HangfirePeer
{
    public const int DefaultJobs = 2_000;
    private const int WorkerCount = 24;
    private static readonly TimeSpan QueuePollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task RunAsync(string connectionString, int runs, int jobs)
    {
        var version = await PeerDatabase.ServerVersionAsync(connectionString);
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings();

        var enqueue = new List<double>();
        var process = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var name = $"bench_peer_hangfire_{Environment.ProcessId}_{run}";
            var target = await PeerDatabase.CreateAsync(connectionString, name);
            try
            {
                var (enqueued, processed) = await MeasureAsync(target, jobs);
                enqueue.Add(enqueued);
                process.Add(processed);
                Console.Error.WriteLine($"peer-hangfire run {run + 1}/{runs}: enqueue {enqueued:F0}/s, process {processed:F0}/s");
            }
            finally
            {
                await PeerDatabase.DropAsync(connectionString, name);
            }
        }

        var system = BenchReport.System(version);
        var peer = $"Hangfire.PostgreSql {Version(typeof(PostgreSqlStorage))}, Hangfire.Core {Version(typeof(BackgroundJob))}";
        var settings = new JsonObject
        {
            ["worker_count"] = WorkerCount,
            ["queue_poll_interval_ms"] = QueuePollInterval.TotalMilliseconds,
            ["prepare_schema"] = true,
            ["warm_up_jobs"] = 1,
            ["enqueue"] = "BackgroundJobClient.Create, one job at a time, one thread",
        };
        foreach (var (bench, values) in new[] { ("peer.hangfire.enqueue", enqueue), ("peer.hangfire.process", process) })
        {
            BenchReport.Print(bench, system, new JsonObject
            {
                ["peer"] = peer,
                ["jobs"] = jobs,
                ["per_s"] = Math.Round(BenchReport.Median(values), 1),
                ["runs"] = runs,
                ["per_s_runs"] = new JsonArray(values.Select(v => (JsonNode)Math.Round(v, 1)).ToArray()),
                ["settings"] = settings.DeepClone(),
            });
        }
    }

    private static async Task<(double Enqueue, double Process)> MeasureAsync(string connectionString, int jobs)
    {
        GlobalConfiguration.Configuration.UsePostgreSqlStorage(
            options => options.UseNpgsqlConnection(connectionString),
            new PostgreSqlStorageOptions { QueuePollInterval = QueuePollInterval, PrepareSchemaIfNecessary = true });
        var storage = JobStorage.Current;

        // Schema creation is not timed: the storage prepares it when created; touch it once more to be sure.
        var monitoring = storage.GetMonitoringApi();
        _ = monitoring.SucceededListCount();

        var client = new BackgroundJobClient(storage);

        // One untimed warm-up job (JIT, expression serialization, first connections); the server runs it too.
        client.Create(() => HangfireNoop.Run(), new EnqueuedState());
        var total = jobs + 1;

        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < jobs; i++)
        {
            client.Create(() => HangfireNoop.Run(), new EnqueuedState());
        }

        var enqueueSeconds = stopwatch.Elapsed.TotalSeconds;

        var timeout = TimeSpan.FromSeconds(Math.Max(60, jobs / 20.0));
        stopwatch.Restart();
        using (var server = new BackgroundJobServer(
                   new BackgroundJobServerOptions { WorkerCount = WorkerCount, ServerName = $"bench-{Environment.ProcessId}" },
                   storage))
        {
            while (true)
            {
                var succeeded = monitoring.SucceededListCount();
                if (succeeded >= total)
                {
                    break;
                }

                var failed = monitoring.FailedCount();
                if (failed > 0)
                {
                    throw new InvalidOperationException($"Hangfire: {failed} no-op jobs failed");
                }

                if (stopwatch.Elapsed > timeout)
                {
                    throw new TimeoutException($"Hangfire: {succeeded}/{total} succeeded after {stopwatch.Elapsed}");
                }

                await Task.Delay(20);
            }

            var processSeconds = stopwatch.Elapsed.TotalSeconds;
            server.SendStop();
            return (jobs / enqueueSeconds, total / processSeconds);
        }
    }

    private static string Version(Type type)
    {
        var informational = type.Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
        return global::System.Version.TryParse(informational, out var parsed) && parsed.Revision <= 0
            ? parsed.ToString(3)
            : informational ?? type.Assembly.GetName().Version?.ToString(3) ?? "?";
    }
}

/// <summary>The job Hangfire runs: nothing.</summary>
public static class HangfireNoop
{
    public static void Run()
    {
    }
}
