using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Platform.Migrations.DemoData;

namespace Platform.Bench;

/// <summary>
/// <c>public [--seconds S] [--connections C] [--rows SUBSTRING]</c>: the public API under load from a second process
/// (wrk on loopback).
/// The Api runs as its own process (Release build, Production environment) against the seeded database and Redis,
/// twice: cold (Discovery:CacheEnabled=false, so every request runs its SQL) and warm (HybridCache on, after a
/// warm-up pass). Each endpoint cycles through many real URLs (slugs, usernames, categories, search terms sampled
/// from the database). Per endpoint and mode: latency percentiles with one connection (≈ server time: loopback adds
/// tens of microseconds) and throughput with C connections. <c>--rows</c> keeps only the rows whose name (the part of
/// the BENCH name after <c>public.</c>, e.g. <c>seo_content</c>, <c>site_search</c>) contains the substring (ordinal,
/// case-insensitive), so a regressed row can be re-run alone; no other row is started or printed.
/// </summary>
public static partial class PublicApiBench
{
    public static async Task RunAsync(string connectionString, string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var connections = Option(args, "--connections", 32);
        var redis = Environment.GetEnvironmentVariable("ConnectionStrings__cache")
            ?? throw new InvalidOperationException("Set ConnectionStrings__cache (Redis) for the public bench.");
        var wrk = new[] { "/usr/bin/wrk", "/usr/local/bin/wrk" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("wrk is not installed (apt-get install wrk).");
        var api = FindApi();

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var version = (string)(await dataSource.CreateCommand("SHOW server_version").ExecuteScalarAsync())!;
        var items = (long)(await dataSource.CreateCommand("SELECT count(*) FROM content_item").ExecuteScalarAsync())!;
        var system = BenchReport.System(version) + $", {items} content items";
        var endpoints = SelectRows(await EndpointsAsync(dataSource), StringOption(args, "--rows"));
        var folder = Directory.CreateTempSubdirectory("bench-public-");
        try
        {
            foreach (var mode in new[] { "cold", "warm" })
            {
                var port = FreePort();
                using var process = StartApi(api, port, connectionString, redis, cache: mode == "warm", out var errors);
                try
                {
                    var baseUrl = $"http://127.0.0.1:{port}";
                    await WaitHealthyAsync(baseUrl, process, errors);
                    foreach (var (name, paths) in endpoints)
                    {
                        var script = Path.Combine(folder.FullName, name + ".lua");
                        await File.WriteAllTextAsync(script, LuaScript(paths));
                        // Warm-up: JIT and connection pool in both modes; in warm mode every URL is first requested
                        // once, so the cache holds them all whatever a miss costs (a timed wrk pass alone left most
                        // of /c/{slug}'s 300 pages uncached while their misses were slow, and "warm" measured misses).
                        if (mode == "warm")
                        {
                            await FillCacheAsync(baseUrl, paths);
                        }

                        await RunWrkAsync(wrk, script, baseUrl, 2, 8, Math.Max(2, paths.Count / 500 + 2));

                        var latency = await RunWrkAsync(wrk, script, baseUrl, 1, 1, seconds);
                        var throughput = await RunWrkAsync(wrk, script, baseUrl, 2, connections, seconds);
                        BenchReport.Print($"public.{name}", system, new JsonObject
                        {
                            ["mode"] = mode,
                            ["urls"] = paths.Count,
                            ["p50_ms"] = latency.P50,
                            ["p90_ms"] = latency.P90,
                            ["p99_ms"] = latency.P99,
                            ["rps_1_connection"] = latency.RequestsPerSecond,
                            ["rps"] = throughput.RequestsPerSecond,
                            ["p99_ms_loaded"] = throughput.P99,
                            ["connections"] = connections,
                            ["errors"] = latency.Errors + throughput.Errors,
                            ["seconds"] = seconds,
                        });
                    }
                }
                finally
                {
                    if (!process.HasExited)
                    {
                        process.Kill(entireProcessTree: true);
                        await process.WaitForExitAsync();
                    }
                }
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<List<(string Name, List<string> Paths)>> EndpointsAsync(NpgsqlDataSource dataSource)
    {
        async Task<List<string>> Strings(string sql)
        {
            var list = new List<string>();
            await using var command = dataSource.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                list.Add(reader.GetString(0));
            }

            return list;
        }

        var slugs = await Strings("SELECT slug FROM content_item TABLESAMPLE SYSTEM (1) WHERE status = 'published' LIMIT 1000");
        var users = await Strings("SELECT username FROM users TABLESAMPLE SYSTEM (5) WHERE is_public AND username IS NOT NULL LIMIT 300");
        var categories = Vocabulary.Categories;
        var terms = Vocabulary.Topics.SelectMany(t => t).Select(t => t.ToLowerInvariant())
            .Concat(["guitr lesson", "minecraf", "sourdogh", "kubernets", "how to", "the ultimate guide", "'; drop table users; --"])
            .ToList();
        string E(string s) => Uri.EscapeDataString(s);
        return
        [
            ("categories", ["/api/public/categories"]),
            ("feed_recent", [.. categories.Select(c => $"/api/public/content?category={c}"), "/api/public/content", "/api/public/content?platform=feed"]),
            ("feed_popular", [.. categories.Select(c => $"/api/public/content?sort=popular&category={c}"), "/api/public/content?sort=popular"]),
            ("feed_trending", [.. categories.Select(c => $"/api/public/content?sort=trending&window=7d&category={c}"), "/api/public/content?sort=trending"]),
            ("feed_tag", [.. categories.Select((c, i) => $"/api/public/content?tag={c}-{i * 13 % 400}")]),
            ("content", [.. slugs.Select(s => "/api/public/content/" + s)]),
            ("trending", [.. categories.SelectMany(c => new[] { $"/api/public/trending?window=24h&category={c}", $"/api/public/trending?window=7d&category={c}" }), "/api/public/trending"]),
            ("featured", ["/api/public/creators/featured"]),
            ("creator", [.. users.Select(u => "/api/public/creators/" + u)]),
            ("search", [.. terms.Select(t => "/api/public/search?q=" + E(t))]),
            ("seo_content", [.. slugs.Take(300).Select(s => "/c/" + s)]),
            // The public site (HTML pages rendered by Razor components, cached like the JSON above).
            ("site_home", ["/"]),
            ("site_category", [.. categories.SelectMany(c => new[] { $"/category/{c}", $"/category/{c}?sort=popular", $"/category/{c}?sort=trending" })]),
            ("site_tag", [.. categories.Select((c, i) => $"/tag/{c}-{i * 13 % 400}")]),
            ("site_search", [.. terms.Select(t => "/search?q=" + E(t))]),
            ("site_creator", [.. users.Select(u => "/@" + u)]),
        ];
    }

    /// <summary>The rows whose name contains <paramref name="filter"/> (all when null); none matching is an error that lists the names.</summary>
    internal static List<(string Name, List<string> Paths)> SelectRows(List<(string Name, List<string> Paths)> rows, string? filter)
    {
        if (filter is null)
        {
            return rows;
        }

        var kept = rows.Where(r => r.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        return kept.Count > 0
            ? kept
            : throw new ArgumentException($"--rows {filter} matches no row; rows: {string.Join(", ", rows.Select(r => r.Name))}");
    }

    /// <summary>Requests every path once (4 at a time) and waits for the answers: each page is then in the cache.</summary>
    private static async Task FillCacheAsync(string baseUrl, List<string> paths)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (path, ct) =>
        {
            using var response = await client.GetAsync(path, ct);
            await response.Content.LoadIntoBufferAsync(ct);
        });
    }

    private static string LuaScript(List<string> paths)
    {
        var lua = new StringBuilder("local paths = {\n");
        foreach (var path in paths)
        {
            lua.Append("  \"").Append(path.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append("\",\n");
        }

        lua.Append("}\nlocal i = math.random(#paths)\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n");
        return lua.ToString();
    }

    private sealed record WrkResult(double P50, double P90, double P99, double RequestsPerSecond, long Errors);

    private static async Task<WrkResult> RunWrkAsync(string wrk, string script, string baseUrl, int threads, int connections, int seconds)
    {
        var start = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { $"-t{threads}", $"-c{connections}", $"-d{seconds}s", "--latency", "-s", script, baseUrl })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        double Percentile(string p)
        {
            var match = Regex.Match(output, $@"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            if (!match.Success)
            {
                return double.NaN;
            }

            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return Math.Round(match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value }, 3);
        }

        var rps = Regex.Match(output, @"Requests/sec:\s+([\d.]+)");
        var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses:\s+(\d+)");
        var socket = Regex.Match(output, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        var errors = (non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0)
            + (socket.Success ? Enumerable.Range(1, 4).Sum(g => long.Parse(socket.Groups[g].Value, CultureInfo.InvariantCulture)) : 0);
        return new WrkResult(Percentile("50"), Percentile("90"), Percentile("99"),
            rps.Success ? Math.Round(double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture)) : 0, errors);
    }

    private static Process StartApi(string apiDll, int port, string connectionString, string redis, bool cache, out Task<string> errors)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
        };
        start.ArgumentList.Add(apiDll);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__platformdb"] = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 64 }.ConnectionString;
        start.Environment["ConnectionStrings__cache"] = redis;
        start.Environment["Discovery__CacheEnabled"] = cache ? "true" : "false";
        start.Environment["Discovery__RateLimitPermits"] = "1000000000";
        start.Environment["RateLimits__SearchPermits"] = "1000000000"; // search has its own budget (the JSON and the page)
        start.Environment["RateLimits__ProbePermits"] = "1000000000"; // and /health, which WaitHealthyAsync polls
        start.Environment["Discovery__LocalCacheSeconds"] = "300";
        start.Environment["Discovery__CacheKeyPrefix"] = $"bench:{Guid.NewGuid():N}:";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // Required outside Development (PublicHost): the origin of canonical URLs, and the Host names answered.
        start.Environment["Discovery__PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        start.Environment["AllowedHosts"] = "127.0.0.1;localhost";
        start.Environment["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)); // required outside Development
        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        errors = process.StandardError.ReadToEndAsync();
        return process;
    }

    /// <summary>Waits for /health; when the Api exits first, throws with the end of its standard error (the startup failure).</summary>
    private static async Task WaitHealthyAsync(string baseUrl, Process process, Task<string> errors)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 600; attempt++)
        {
            if (process.HasExited)
            {
                var stderr = await errors;
                throw new InvalidOperationException($"The Api exited with {process.ExitCode}: {stderr[Math.Max(0, stderr.Length - 2000)..]}");
            }

            try
            {
                using var response = await client.GetAsync(baseUrl + "/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The Api did not become healthy in 120 s");
    }

    /// <summary>The Release build of the Api (bench.csproj builds it first: ProjectReference without its assembly).</summary>
    private static string FindApi()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Aspire.sln")))
        {
            directory = directory.Parent;
        }

        var dll = directory is null ? null : Path.Combine(directory.FullName, "Api", "bin", "Release", "net10.0", "Platform.Api.dll");
        return dll is not null && File.Exists(dll)
            ? dll
            : throw new FileNotFoundException("Build the Api in Release first: dotnet build -c Release Api");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? StringOption(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && !string.IsNullOrWhiteSpace(args[index + 1]) ? args[index + 1] : null;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) && value > 0 ? value : fallback;
    }
}
