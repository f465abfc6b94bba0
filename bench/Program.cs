using Platform.Bench;
using Platform.Bench.Peers;

// dotnet run -c Release --project bench -- <suite> [--runs N] [--jobs N] [--history N] [--videos N]
//   seed --creators N --items M --clicks K     public [--seconds S] [--connections C] [--rows SUBSTRING]
//   chaos [--seconds S] [--job-rate N] [--webhook-rate N] [--read-rate N] [--sse-every N]
// Connection strings: ConnectionStrings__platformdb (a role that may create databases), ConnectionStrings__cache.
var suites = new Dictionary<string, Func<string, int, Task>>
{
    ["migrations"] = (cs, runs) => MigrationsBench.RunAsync(cs, runs),
    ["queue"] = (cs, _) => QueueBench.RunAsync(cs, Option("--jobs", 100_000), Option("--history", 0)),
    ["ingest"] = (cs, runs) => IngestBench.RunAsync(cs, Math.Min(runs, 3), Option("--videos", 10_000)),
    ["peer-graphile"] = (cs, runs) => GraphileWorkerPeer.RunAsync(cs, runs, Option("--jobs", GraphileWorkerPeer.DefaultJobs)),
    ["peer-hangfire"] = (cs, runs) => HangfirePeer.RunAsync(cs, runs, Option("--jobs", HangfirePeer.DefaultJobs)),
    ["peers"] = async (cs, runs) =>
    {
        await GraphileWorkerPeer.RunAsync(cs, runs, Option("--jobs", GraphileWorkerPeer.DefaultJobs));
        await HangfirePeer.RunAsync(cs, runs, Option("--jobs", HangfirePeer.DefaultJobs));
    },
    ["webhooks"] = (cs, runs) => WebhooksBench.RunAsync(cs, runs), // [--seconds N] [--rate N] [--concurrency N]
    ["seed"] = (cs, _) => SeedBench.RunAsync(cs, args),
    ["public"] = (cs, _) => PublicApiBench.RunAsync(cs, args),
};

var suite = args.FirstOrDefault(a => !a.StartsWith('-') && !int.TryParse(a, out _));
if (suite == "chaos")
{
    // Starts its own PostgreSQL and Redis (tests/TestSupport), the Api and 3 Workers: no connection strings needed.
    return await Platform.Bench.Chaos.ChaosBench.RunAsync(args); // [--seconds S] [--job-rate N] [--webhook-rate N] [--read-rate N] [--sse-every N]
}

if (suite is null || !suites.TryGetValue(suite, out var run))
{
    Console.Error.WriteLine($"Usage: bench <suite> [options]   suites: {string.Join(", ", suites.Keys)}, chaos");
    return 2;
}

var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__platformdb");
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("Set ConnectionStrings__platformdb to a PostgreSQL server where this role may create databases.");
    return 2;
}

await run(connectionString, Option("--runs", 5));
return 0;

// A positive integer option (--name N), or the fallback.
int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) && value > 0 ? value : fallback;
}
