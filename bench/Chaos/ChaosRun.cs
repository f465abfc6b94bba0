using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Platform.Bench.Chaos;

/// <summary>
/// The chaos bench's load and what it saw: jobs enqueued over <c>POST /api/jobs</c> (every 5th with an idempotency key,
/// sent twice; every 10th failing its first attempt), signed Stripe events (every 10th a re-delivery of an acknowledged
/// one), public reads, and an SSE subscriber on every <c>sseEvery</c>-th accepted job that reconnects like EventSource
/// until it sees the job's terminal event. Counts every status code, every 500 and every 503 without Retry-After.
/// </summary>
public sealed class ChaosRun
{
    private static readonly string[] PublicPaths =
        ["/api/public/categories", "/api/public/content", "/api/public/trending", "/api/public/creators/featured"];

    private readonly HttpClient client;
    private readonly IReadOnlyList<string> tokens;
    private readonly int sseEvery;
    private readonly ConcurrentDictionary<int, int> statuses = new();
    private readonly ConcurrentBag<Task<bool>> streams = [];
    private readonly CancellationTokenSource streamsStop = new();
    private long sequence;
    private int http500;
    private int http503WithoutRetryAfter;
    private int publicReadsFailed;

    /// <param name="tokens">Bearer tokens of the users the jobs are spread over (each user may hold 5 live streams).</param>
    public ChaosRun(Uri baseAddress, IReadOnlyList<string> tokens, int sseEvery)
    {
        this.tokens = tokens;
        this.sseEvery = sseEvery;
        client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Jobs answered 202 (or 200 from the result cache): each must complete exactly once.</summary>
    public ConcurrentDictionary<Guid, byte> AcceptedJobs { get; } = new();

    /// <summary>Stripe event ids answered 2xx: each must be stored.</summary>
    public ConcurrentDictionary<string, byte> AckedWebhooks { get; } = new();

    public int Http500 => Volatile.Read(ref http500);

    public int Http503WithoutRetryAfter => Volatile.Read(ref http503WithoutRetryAfter);

    public int PublicReadsFailed => Volatile.Read(ref publicReadsFailed);

    public int SseStreams => streams.Count;

    public int SseStreamsStuck { get; private set; }

    public JsonObject StatusCounts()
    {
        var counts = new JsonObject();
        foreach (var (status, count) in statuses.OrderBy(s => s.Key))
        {
            counts[status == 0 ? "no_answer" : status.ToString()] = count;
        }

        return counts;
    }

    /// <summary>Calls <paramref name="send"/> <paramref name="perSecond"/> times a second (open loop) until cancelled.</summary>
    public async Task AtFixedRateAsync(int perSecond, Func<Task> send, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>();
        for (long i = 0; !stop.IsCancellationRequested; i++)
        {
            var wait = TimeSpan.FromSeconds((double)i / perSecond) - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            if (!stop.IsCancellationRequested)
            {
                inFlight.Add(Task.Run(send));
            }

            if (inFlight.Count > 1000)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
            }
        }

        await Task.WhenAll(inFlight);
    }

    public async Task EnqueueJobAsync()
    {
        var n = Interlocked.Increment(ref sequence);
        var withKey = n % 5 == 0;
        var sse = n % sseEvery == 0;
        var body = new JsonObject
        {
            ["type"] = "echo",
            ["payload"] = new JsonObject
            {
                ["n"] = n,
                ["delay_ms"] = sse ? 400 : 20,
                ["fail_times"] = n % 10 == 3 ? 1 : 0,
                ["progress_steps"] = sse ? 4 : 0,
            },
        };
        if (withKey)
        {
            body["idempotency_key"] = $"chaos-{n}";
        }

        var token = tokens[(int)(n % tokens.Count)];
        var first = await PostJobAsync(body, token);
        if (withKey)
        {
            var again = await PostJobAsync(body, token);
            if (first is { } a && again is { } b && a != b)
            {
                Console.WriteLine($"chaos: idempotency key chaos-{n} gave two jobs {a} and {b}");
                AcceptedJobs.TryAdd(b, 0);
            }
        }

        if (sse && first is { } id)
        {
            streams.Add(Task.Run(() => FollowAsync(id, token)));
        }
    }

    private async Task<Guid?> PostJobAsync(JsonObject body, string token)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
        {
            Content = JsonContent.Create(body),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        });
        if (response is { StatusCode: HttpStatusCode.Accepted or HttpStatusCode.OK })
        {
            var job = await response.Content.ReadFromJsonAsync<JsonElement>();
            var id = job.GetProperty("id").GetGuid();
            AcceptedJobs.TryAdd(id, 0);
            return id;
        }

        return null;
    }

    public async Task SendWebhookAsync()
    {
        var n = Interlocked.Increment(ref sequence);
        string id;
        if (n % 10 == 0 && AckedWebhooks.Keys.FirstOrDefault() is { } acked)
        {
            id = acked; // a re-delivery: must change nothing
        }
        else
        {
            id = "evt_chaos_" + Guid.NewGuid().ToString("N")[..20];
        }

        var body = ChaosBench.SignedEvent(id, out var signature);
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
            return request;
        });
        if (response is { IsSuccessStatusCode: true })
        {
            AckedWebhooks.TryAdd(id, 0);
        }
    }

    public async Task ReadPublicAsync()
    {
        var n = Interlocked.Increment(ref sequence);
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, PublicPaths[n % PublicPaths.Length]));
        if (response is not { IsSuccessStatusCode: true })
        {
            Interlocked.Increment(ref publicReadsFailed);
        }
    }

    /// <summary>Sends, counts the status (0: no answer), and returns the response (null when there was none).</summary>
    private async Task<HttpResponseMessage?> SendAsync(Func<HttpRequestMessage> create)
    {
        using var request = create();
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            statuses.AddOrUpdate(0, 1, (_, c) => c + 1);
            return null;
        }

        Count(response);
        return response;
    }

    private void Count(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
        if (status == 500)
        {
            Interlocked.Increment(ref http500);
        }
        else if (status == 503 && response.Headers.RetryAfter is null)
        {
            Interlocked.Increment(ref http503WithoutRetryAfter);
        }
    }

    /// <summary>Follows a job's SSE stream, reconnecting after 1 s when it ends early; true once a terminal event came.</summary>
    private async Task<bool> FollowAsync(Guid id, string token)
    {
        var stop = streamsStop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/jobs/{id}/events")
                {
                    Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
                };
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
                Count(response);
                if (response.IsSuccessStatusCode)
                {
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
                    while (await reader.ReadLineAsync(stop) is { } line)
                    {
                        if (line is "event: completed" or "event: failed" or "event: cancelled")
                        {
                            return true;
                        }
                    }
                }
            }
            catch (Exception error) when (error is HttpRequestException or IOException or OperationCanceledException)
            {
            }

            await Task.Delay(1000, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        return false;
    }

    /// <summary>Waits until every accepted job is finished (or <paramref name="timeout"/>); true when all are.</summary>
    public async Task<bool> DrainAsync(string connectionString, TimeSpan timeout)
    {
        var ids = AcceptedJobs.Keys.ToArray();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(
                    "SELECT count(*) FROM job_queue WHERE id = ANY(@ids) AND status NOT IN ('completed', 'failed', 'cancelled')", connection);
                command.Parameters.AddWithValue("ids", ids);
                if ((long)(await command.ExecuteScalarAsync())! == 0)
                {
                    return true;
                }
            }
            catch (NpgsqlException)
            {
            }

            await Task.Delay(1000);
        }

        return false;
    }

    /// <summary>Gives the SSE subscribers <paramref name="grace"/> to see their terminal events, then counts the stuck ones.</summary>
    public async Task StopStreamsAsync(TimeSpan grace)
    {
        var all = streams.ToArray();
        await Task.WhenAny(Task.WhenAll(all), Task.Delay(grace));
        await streamsStop.CancelAsync();
        var results = await Task.WhenAll(all);
        SseStreamsStuck = results.Count(seen => !seen);
    }
}
