using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Platform.Api;
using Platform.Migrations;
using Stripe;

namespace Platform.Bench;

/// <summary>
/// <c>webhooks</c>: the real Api on Kestrel (in this process) against a freshly migrated database, sent signed Stripe
/// events over loopback HTTP. Each request is the full intake: signature verification (HMAC-SHA256), event parsing,
/// <c>record_stripe_webhooks</c> (the events of concurrent requests, grouped by the Api's StripeEventWriter: event rows,
/// processing jobs, job log and audit rows in one statement and one transaction), 200 once committed.
/// Phase 1 (throughput): closed loop, <c>--concurrency</c> senders (default 32) for <c>--seconds</c> (default 10).
/// Phase 2 (latency): open loop at a fixed <c>--rate</c> per second (default 500) for the same time; latency is measured
/// from each request's scheduled send time, so a stall shows up in the percentiles (no coordinated omission).
/// Every event is unique (a duplicate would be cheaper: ON CONFLICT DO NOTHING).
/// </summary>
public static class WebhooksBench
{
    private const string Secret = "whsec_bench_0123456789abcdefghijklmnop";

    private const string EventTemplate =
        """
        {"id":"@ID","object":"event","api_version":"2026-10-28.endive","created":@NOW,"data":{"object":{"id":"sub_@SUB","object":"subscription","customer":"cus_bench","status":"active","cancel_at_period_end":false,"items":{"object":"list","data":[{"id":"si_bench","object":"subscription_item","current_period_end":@END,"price":{"id":"price_bench","object":"price"}}]}}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"customer.subscription.updated"}
        """;

    public static async Task RunAsync(string connectionString, int runs)
    {
        var args = Environment.GetCommandLineArgs();
        var seconds = IntArg(args, "--seconds", 10);
        var rate = IntArg(args, "--rate", 500);
        var concurrency = IntArg(args, "--concurrency", 32);
        var redis = Environment.GetEnvironmentVariable("ConnectionStrings__cache");
        if (string.IsNullOrWhiteSpace(redis))
        {
            throw new InvalidOperationException("Set ConnectionStrings__cache to a Redis server (the Api needs one).");
        }

        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        var name = $"bench_webhooks_{Environment.ProcessId}";
        await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\" TEMPLATE template0");
        var target = new NpgsqlConnectionStringBuilder(connectionString) { Database = name }.ConnectionString;
        try
        {
            await new MigrationRunner(target, MigrationScriptSource.Embedded()).ApplyAsync();
            string version;
            await using (var connection = new NpgsqlConnection(target))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SHOW server_version", connection);
                version = (string)(await command.ExecuteScalarAsync())!;
            }

            // The Api's content root: its build output here (WebApplicationFactory looks for this variable first).
            Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PLATFORM_API", AppContext.BaseDirectory);
            await using var factory = new WebApplicationFactory<ApiEntryPoint>().WithWebHostBuilder(web =>
            {
                web.UseEnvironment("Production");
                web.UseSetting("ConnectionStrings:platformdb", target);
                web.UseSetting("ConnectionStrings:cache", redis);
                web.UseSetting("Auth:SigningKey", "bench-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz");
                web.UseSetting("Stripe:WebhookSecret", Secret);
                web.UseSetting("Discovery:PublicBaseUrl", "http://localhost"); // required outside Development
                web.UseSetting("AllowedHosts", "localhost;127.0.0.1");
                web.UseSetting("Logging:LogLevel:Default", "Warning");
            });
            factory.UseKestrel(0);
            factory.StartServer();
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            {
                BaseAddress = factory.ClientOptions.BaseAddress,
                Timeout = TimeSpan.FromSeconds(30),
            };

            // Warm-up: JIT, connection pools.
            await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => SendAsync(client)));

            // Phase 1: throughput, closed loop.
            var accepted = 0;
            var failed = 0;
            var stopwatch = Stopwatch.StartNew();
            var until = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                while (stopwatch.Elapsed < until)
                {
                    if (await SendAsync(client) == HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref accepted);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            }));
            var throughput = accepted / stopwatch.Elapsed.TotalSeconds;

            // Phase 2: latency at a fixed rate, open loop.
            var latencies = new List<double>(rate * seconds);
            var errors = 0;
            var total = rate * seconds;
            var inFlight = new List<Task>(total);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < total; i++)
            {
                var scheduled = TimeSpan.FromSeconds((double)i / rate);
                var wait = scheduled - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }

                inFlight.Add(Task.Run(async () =>
                {
                    var status = await SendAsync(client);
                    var latency = (clock.Elapsed - scheduled).TotalMilliseconds;
                    lock (latencies)
                    {
                        if (status == HttpStatusCode.OK)
                        {
                            latencies.Add(latency);
                        }
                        else
                        {
                            errors++;
                        }
                    }
                }));
            }

            await Task.WhenAll(inFlight);
            var achieved = latencies.Count / clock.Elapsed.TotalSeconds;

            long stored;
            await using (var connection = new NpgsqlConnection(target))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM stripe_webhook_events", connection);
                stored = (long)(await command.ExecuteScalarAsync())!;
            }

            BenchReport.Print("webhook.ingest", BenchReport.System(version), new JsonObject
            {
                ["max_accepted_per_s"] = Math.Round(throughput, 0),
                ["max_concurrency"] = concurrency,
                ["max_errors"] = failed,
                ["fixed_rate_per_s"] = rate,
                ["fixed_rate_achieved_per_s"] = Math.Round(achieved, 0),
                ["p50_ms"] = Math.Round(BenchReport.Percentile(latencies, 50), 2),
                ["p99_ms"] = Math.Round(BenchReport.Percentile(latencies, 99), 2),
                ["max_ms"] = Math.Round(latencies.Count == 0 ? double.NaN : latencies.Max(), 2),
                ["fixed_rate_errors"] = errors,
                ["seconds_per_phase"] = seconds,
                ["events_stored"] = stored,
            });
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        }
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client)
    {
        var id = "evt_" + Guid.NewGuid().ToString("N")[..24];
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var body = EventTemplate.Replace("@ID", id).Replace("@SUB", id[4..]).Replace("@NOW", now.ToString()).Replace("@END", (now + 2592000).ToString());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", EventUtility.GenerateSignatureHeader(body, Secret, now));
        try
        {
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return HttpStatusCode.ServiceUnavailable;
        }
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) && value > 0 ? value : fallback;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
