using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Platform.Bench.Peers;

/// <summary>
/// <c>peer-graphile</c>: graphile-worker (npm, version pinned in bench/Peers/graphile-worker/package.json) on the same
/// PostgreSQL server: N no-op jobs enqueued with addJobs in batches of 1,000 (after one untimed warm-up job; with the
/// enqueue's cost per job, as the queue suite's <c>cost</c>: node's CPU, the server's CPU with <c>BENCH_PG_PID</c>, WAL), then drained by one runner
/// (concurrency 24, local queue 500, batched completion). Each run gets a fresh database; node does the work
/// (bench/Peers/graphile-worker/bench.mjs) and this prints its figures as BENCH lines, the median over the runs.
/// </summary>
public static class GraphileWorkerPeer
{
    public const int DefaultJobs = 100_000;

    public static async Task RunAsync(string connectionString, int runs, int jobs)
    {
        var folder = FindScriptFolder();
        await EnsureInstalledAsync(folder);
        var version = await PeerDatabase.ServerVersionAsync(connectionString);

        var results = new List<JsonObject>();
        for (var run = 0; run < runs; run++)
        {
            var name = $"bench_peer_graphile_{Environment.ProcessId}_{run}";
            var target = await PeerDatabase.CreateAsync(connectionString, name);
            try
            {
                var output = await RunProcessAsync("node", folder, "bench.mjs", PeerDatabase.ToUrl(target), jobs.ToString());
                var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                    ?? throw new InvalidOperationException("bench.mjs printed nothing");
                var result = JsonNode.Parse(last)!.AsObject();
                if (result["failed"]?.GetValue<int>() is > 0 and var failed)
                {
                    throw new InvalidOperationException($"graphile-worker: {failed} no-op jobs failed");
                }

                results.Add(result);
                Console.Error.WriteLine(
                    $"peer-graphile run {run + 1}/{runs}: enqueue {result["enqueue"]!["per_s"]!.GetValue<double>():F0}/s, " +
                    $"process {result["process"]!["per_s"]!.GetValue<double>():F0}/s");
            }
            finally
            {
                await PeerDatabase.DropAsync(connectionString, name);
            }
        }

        var system = BenchReport.System(version);
        var peer = results[0]["peer"]!.GetValue<string>();
        var settings = results[0]["settings"]!.DeepClone().AsObject();
        settings["node"] = results[0]["node"]!.GetValue<string>();
        foreach (var (bench, key, extra) in new[]
                 {
                     ("peer.graphile-worker.enqueue", "enqueue", new JsonObject { ["batch"] = 1000 }),
                     ("peer.graphile-worker.process", "process", new JsonObject()),
                 })
        {
            var perSecond = results.Select(r => r[key]!["per_s"]!.GetValue<double>()).ToList();
            var figures = new JsonObject
            {
                ["peer"] = peer,
                ["jobs"] = jobs,
                ["per_s"] = Math.Round(BenchReport.Median(perSecond), 1),
                ["runs"] = runs,
                ["per_s_runs"] = new JsonArray(perSecond.Select(v => (JsonNode)Math.Round(v, 1)).ToArray()),
            };
            foreach (var (k, v) in extra)
            {
                figures[k] = v?.DeepClone();
            }

            if (results.All(r => r[key]?["cost"] is JsonObject))
            {
                // bench.mjs measures the enqueue's cost per job (the queue suite's `cost` fields): the median of each over the runs.
                var cost = new JsonObject();
                foreach (var (field, _) in results[0][key]!["cost"]!.AsObject())
                {
                    cost[field] = BenchReport.Median(results.Select(r => r[key]!["cost"]![field]!.GetValue<double>()).ToList());
                }

                figures["cost"] = cost;
            }

            figures["settings"] = settings.DeepClone();
            BenchReport.Print(bench, system, figures);
        }
    }

    /// <summary>bench/Peers/graphile-worker, found from the build output or the working directory.</summary>
    private static string FindScriptFolder()
    {
        var relative = Path.Combine("Peers", "graphile-worker");
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                foreach (var candidate in new[] { Path.Combine(directory.FullName, relative), Path.Combine(directory.FullName, "bench", relative) })
                {
                    if (File.Exists(Path.Combine(candidate, "bench.mjs")))
                    {
                        return candidate;
                    }
                }
            }
        }

        throw new DirectoryNotFoundException("bench/Peers/graphile-worker (bench.mjs) not found; run from the repository.");
    }

    private static async Task EnsureInstalledAsync(string folder)
    {
        if (File.Exists(Path.Combine(folder, "node_modules", "graphile-worker", "package.json")))
        {
            return;
        }

        var hasLock = File.Exists(Path.Combine(folder, "package-lock.json"));
        Console.Error.WriteLine($"peer-graphile: npm {(hasLock ? "ci" : "install")} in {folder}");
        await RunProcessAsync("npm", folder, hasLock ? "ci" : "install", "--no-audit", "--no-fund");
    }

    /// <summary>Runs a process to the end; its stderr passes through, its stdout is returned.</summary>
    private static async Task<string> RunProcessAsync(string fileName, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                Console.Error.WriteLine(line);
            }
        });
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments.Take(1))} exited with {process.ExitCode}");
        }

        return stdout;
    }
}
