using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Platform.TestSupport;
using EventUtility = Stripe.EventUtility;

namespace Platform.Bench.Chaos;

/// <summary>
/// <c>chaos [--seconds S] [--job-rate N] [--webhook-rate N] [--read-rate N] [--sse-every N]</c>: the whole system under
/// a steady mixed load while faults are injected on a schedule, then a check, from the database and the job log, that
/// nothing was lost or done twice. Starts its own PostgreSQL (durable: fsync and synchronous_commit on) and Redis from
/// the local binaries (tests/TestSupport), the Api and three Workers processes from their Release builds; the services
/// reach PostgreSQL through <see cref="TcpFaultProxy"/>. See bench/README.md, "chaos", for the schedule and the fields.
/// </summary>
public static class ChaosBench
{
    private const string SigningKey = "chaos-bench-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz";
    private const string WebhookSecret = "whsec_chaos_0123456789abcdefghijklmnop";
    private const int WorkerCount = 3;

    private const string EventTemplate =
        """
        {"id":"@ID","object":"event","api_version":"2026-10-28.endive","created":@NOW,"data":{"object":{"id":"sub_@SUB","object":"subscription","customer":"cus_chaos","status":"active","cancel_at_period_end":false,"items":{"object":"list","data":[{"id":"si_chaos","object":"subscription_item","current_period_end":@END,"price":{"id":"price_chaos","object":"price"}}]}}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"customer.subscription.updated"}
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 120);
        var jobRate = Option(args, "--job-rate", 40);
        var webhookRate = Option(args, "--webhook-rate", 40);
        var readRate = Option(args, "--read-rate", 40);
        var sseEvery = Option(args, "--sse-every", 10);
        var root = FindSolutionRoot();
        var apiDll = Path.Combine(root, "Api", "bin", "Release", "net10.0", "Platform.Api.dll");
        var workersDll = Path.Combine(root, "Workers", "bin", "Release", "net10.0", "Platform.Workers.dll");
        foreach (var dll in new[] { apiDll, workersDll })
        {
            if (!File.Exists(dll))
            {
                Console.Error.WriteLine($"Missing {dll}: build Release first (dotnet build -c Release bench builds both).");
                return 2;
            }
        }

        var logs = Directory.CreateTempSubdirectory("chaos-bench-").FullName;
        Console.WriteLine($"chaos: logs in {logs}; load average {LoadAverage()}");
        await using var postgres = await PostgresServer.StartAsync(durable: true, maxConnections: 200);
        await using var redis = await RedisServer.StartAsync();
        await using var database = await BenchDatabase.CreateAsync(postgres.AdminConnectionString, "chaos");
        using var proxy = new TcpFaultProxy(postgres.Port);
        var viaProxy = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = proxy.Port };
        viaProxy.Remove("Maximum Pool Size"); // each service's own default cap (Core/Data/ConnectionPools)
        var direct = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false, Timeout = 3 }.ConnectionString;

        var apiPort = FreePort();
        var common = new Dictionary<string, string>
        {
            ["ConnectionStrings__platformdb"] = viaProxy.ConnectionString,
            ["ConnectionStrings__cache"] = redis.ConnectionString,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Auth__SigningKey"] = SigningKey,
        };
        var apiSettings = new Dictionary<string, string>(common)
        {
            ["Stripe__WebhookSecret"] = WebhookSecret,
            ["Discovery__PublicBaseUrl"] = $"http://127.0.0.1:{apiPort}",
            ["Discovery__RateLimitPermits"] = "1000000000",
            ["RateLimits__ProbePermits"] = "1000000",
        };
        using var api = new ServiceProcess("api", apiDll, apiPort, apiSettings, logs);
        var workers = Enumerable.Range(1, WorkerCount)
            .Select(i => new ServiceProcess($"workers-{i}", workersDll, FreePort(), common, logs)).ToList();
        try
        {
            api.Start();
            workers.ForEach(w => w.Start());
            await api.WaitHealthyAsync(TimeSpan.FromSeconds(90));
            foreach (var worker in workers)
            {
                await worker.WaitHealthyAsync(TimeSpan.FromSeconds(90));
            }

            var run = new ChaosRun(new Uri($"http://127.0.0.1:{apiPort}"), Enumerable.Range(1, 64).Select(Token).ToList(), sseEvery);
            var schedule = Schedule(seconds);
            var clock = Stopwatch.StartNew();
            var startedAt = DateTimeOffset.UtcNow;
            var loadEnd = TimeSpan.FromSeconds(Math.Max(seconds, schedule.Max(f => f.At + f.Duration).TotalSeconds + 15));
            using var stopLoad = new CancellationTokenSource();
            var load = Task.WhenAll(
                run.AtFixedRateAsync(jobRate, run.EnqueueJobAsync, stopLoad.Token),
                run.AtFixedRateAsync(webhookRate, run.SendWebhookAsync, stopLoad.Token),
                run.AtFixedRateAsync(readRate, run.ReadPublicAsync, stopLoad.Token));

            var killed = new ConcurrentBag<int>();
            var faults = new List<FaultRecord>();
            var injections = schedule.Select(fault => Task.Run(async () =>
            {
                await Task.Delay(fault.At - clock.Elapsed is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                var record = new FaultRecord(fault.Name, DateTimeOffset.UtcNow);
                lock (faults)
                {
                    faults.Add(record);
                }

                Console.WriteLine($"chaos: {clock.Elapsed.TotalSeconds,6:0.0} s  {fault.Name} (load average {LoadAverage()})");
                await InjectAsync(fault, record, postgres, redis, proxy, workers, killed, direct);
                record.Ended = DateTimeOffset.UtcNow;
                Console.WriteLine($"chaos: {clock.Elapsed.TotalSeconds,6:0.0} s  {fault.Name} over");
            })).ToList();

            await Task.WhenAll(injections);
            var remaining = loadEnd - clock.Elapsed;
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining);
            }

            await stopLoad.CancelAsync();
            await load;
            var loadStoppedAt = DateTimeOffset.UtcNow;
            Console.WriteLine($"chaos: load stopped after {clock.Elapsed.TotalSeconds:0} s; draining (load average {LoadAverage()})");
            var drained = await run.DrainAsync(database.ConnectionString, TimeSpan.FromSeconds(120));
            await run.StopStreamsAsync(TimeSpan.FromSeconds(30));

            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            var ledger = await Ledger.ReadAsync(connection, run.AcceptedJobs, run.AckedWebhooks, killed.ToHashSet());
            var rates = await Ledger.CompletionsPerSecondAsync(connection);
            var audit = await AuditVerdict.ReadAsync(database.ConnectionString, run.AcceptedJobs.Keys.ToList(), TimeSpan.FromSeconds(60));
            var system = BenchReport.System(database.ServerVersion);
            foreach (var fault in faults.OrderBy(f => f.Started))
            {
                var figures = new JsonObject
                {
                    ["fault"] = fault.Name,
                    ["at_s"] = Math.Round((fault.Started - startedAt).TotalSeconds, 1),
                    ["duration_s"] = Math.Round(((fault.Ended ?? fault.Started) - fault.Started).TotalSeconds, 1),
                    ["pre_fault_completed_per_s"] = Math.Round(Ledger.MeanRate(rates, fault.Started.AddSeconds(-10), fault.Started), 1),
                    ["recovery_s"] = Ledger.RecoverySeconds(rates, fault.Started, fault.Ended ?? fault.Started) is { } recovery ? Math.Round(recovery, 1) : null,
                };
                foreach (var (key, value) in fault.Details)
                {
                    figures[key] = value?.DeepClone();
                }

                BenchReport.Print("chaos.fault", system, figures);
            }

            BenchReport.Print("chaos.totals", system, new JsonObject
            {
                ["seconds"] = Math.Round((loadStoppedAt - startedAt).TotalSeconds, 0),
                ["job_rate_per_s"] = jobRate,
                ["webhook_rate_per_s"] = webhookRate,
                ["read_rate_per_s"] = readRate,
                ["jobs_accepted"] = run.AcceptedJobs.Count,
                ["webhooks_acked"] = run.AckedWebhooks.Count,
                ["drained"] = drained,
                ["jobs_lost"] = ledger.JobsLost,
                ["jobs_completed_twice"] = ledger.JobsCompletedTwice,
                ["executions_beyond_crashes"] = ledger.ExecutionsBeyondCrashes,
                ["webhooks_acked_lost"] = ledger.WebhooksAckedLost,
                ["webhooks_processed_twice"] = ledger.WebhooksProcessedTwice,
                ["audit_caught_up"] = audit.CaughtUp,
                ["audit_trails_wrong"] = audit.TrailsWrong,
                ["http_500"] = run.Http500,
                ["http_503_without_retry_after"] = run.Http503WithoutRetryAfter,
                ["sse_streams_stuck"] = run.SseStreamsStuck,
                ["sse_streams"] = run.SseStreams,
                ["http_status_counts"] = run.StatusCounts(),
                ["public_reads_failed"] = run.PublicReadsFailed,
                ["workers_killed"] = killed.Count,
                ["load_average_end"] = LoadAverage(),
            });
            Console.WriteLine($"chaos: lost job ids (first 10): {string.Join(", ", ledger.LostSample)}");
            Console.WriteLine($"chaos: job ids with a wrong audit trail (first 10): {string.Join(", ", audit.WrongSample)}");
            return 0;
        }
        finally
        {
            api.Kill();
            workers.ForEach(w => w.Dispose());
        }
    }

    /// <summary>A fault of the schedule: its name, when (from the start of the load) and how long.</summary>
    private sealed record Fault(string Name, TimeSpan At, TimeSpan Duration, int Worker = 0);

    private sealed class FaultRecord(string name, DateTimeOffset started)
    {
        public string Name { get; } = name;

        public DateTimeOffset Started { get; } = started;

        public DateTimeOffset? Ended { get; set; }

        public JsonObject Details { get; } = [];
    }

    /// <summary>
    /// kill -9 of a Workers process every 20 s from 10 s on (restarted after 5 s); PostgreSQL fast restart at 10 % of
    /// the run, crash restart at 22 %; Redis stopped 20 s at 35 %; LISTEN half-open 60 s at 55 %; connection slots
    /// exhausted 10 s at 80 %.
    /// </summary>
    private static List<Fault> Schedule(int seconds)
    {
        var faults = new List<Fault>();
        var worker = 0;
        for (var at = 10; at < seconds; at += 20)
        {
            faults.Add(new Fault("workers_kill_9", TimeSpan.FromSeconds(at), TimeSpan.FromSeconds(5), worker++ % WorkerCount));
        }

        faults.Add(new Fault("postgres_fast_restart", TimeSpan.FromSeconds(seconds * 0.10), TimeSpan.Zero));
        faults.Add(new Fault("postgres_crash_restart", TimeSpan.FromSeconds(seconds * 0.22), TimeSpan.Zero));
        faults.Add(new Fault("redis_stopped", TimeSpan.FromSeconds(seconds * 0.35), TimeSpan.FromSeconds(20)));
        faults.Add(new Fault("listen_half_open", TimeSpan.FromSeconds(seconds * 0.55), TimeSpan.FromSeconds(60)));
        faults.Add(new Fault("connection_slots_exhausted", TimeSpan.FromSeconds(seconds * 0.80), TimeSpan.FromSeconds(10)));
        return faults;
    }

    private static async Task InjectAsync(
        Fault fault, FaultRecord record, PostgresServer postgres, RedisServer redis, TcpFaultProxy proxy,
        List<ServiceProcess> workers, ConcurrentBag<int> killed, string direct)
    {
        switch (fault.Name)
        {
            case "workers_kill_9":
                var target = workers[fault.Worker];
                var pid = target.Kill();
                killed.Add(pid);
                record.Details["pid"] = pid;
                await Task.Delay(fault.Duration);
                target.Start();
                break;
            case "postgres_fast_restart":
            case "postgres_crash_restart":
                var stop = Stopwatch.StartNew();
                await postgres.StopServerAsync(fault.Name == "postgres_fast_restart" ? "fast" : "immediate");
                await postgres.StartServerAsync();
                record.Details["down_s"] = Math.Round(stop.Elapsed.TotalSeconds, 1);
                break;
            case "redis_stopped":
                await redis.StopServerAsync();
                await Task.Delay(fault.Duration);
                await redis.StartServerAsync();
                break;
            case "listen_half_open":
                var frozen = proxy.FreezeListeners();
                var frozenAt = DateTimeOffset.UtcNow;
                await Task.Delay(fault.Duration);
                record.Details["listen_connections_frozen"] = frozen;
                record.Details["listen_replacements"] = proxy.ListensSinceFreeze;
                record.Details["listen_replaced_s"] = proxy.AllReplacedAt is { } replaced ? Math.Round((replaced - frozenAt).TotalSeconds, 1) : null;
                proxy.ReleaseFrozen();
                break;
            case "connection_slots_exhausted":
                var held = new List<NpgsqlConnection>();
                try
                {
                    while (held.Count < 1000)
                    {
                        var connection = new NpgsqlConnection(direct);
                        try
                        {
                            await connection.OpenAsync();
                            held.Add(connection);
                        }
                        catch (PostgresException error) when (error.SqlState is PostgresErrorCodes.TooManyConnections or "53300")
                        {
                            await connection.DisposeAsync();
                            break;
                        }
                    }

                    record.Details["slots_taken"] = held.Count;
                    await Task.Delay(fault.Duration);
                }
                finally
                {
                    foreach (var connection in held)
                    {
                        await connection.DisposeAsync();
                    }
                }

                break;
        }
    }

    /// <summary>A token of bench user <paramref name="user"/>, an admin (echo jobs are admin-only outside Development).</summary>
    private static string Token(int user) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = $"chaos-bench-{user}", ["role"] = "admin" },
            Issuer = "platform",
            Audience = "platform-api",
            Expires = DateTime.UtcNow.AddHours(2),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)), SecurityAlgorithms.HmacSha256),
        });

    internal static string SignedEvent(string id, out string signature)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var body = EventTemplate.Replace("@ID", id).Replace("@SUB", id[4..]).Replace("@NOW", now.ToString()).Replace("@END", (now + 2592000).ToString());
        signature = EventUtility.GenerateSignatureHeader(body, WebhookSecret, now);
        return body;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string FindSolutionRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Aspire.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("No Aspire.sln above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) && value > 0 ? value : fallback;
    }
}
