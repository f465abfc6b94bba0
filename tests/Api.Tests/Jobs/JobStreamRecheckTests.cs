using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.TestSupport;

namespace Platform.Api.Tests.Jobs;

public sealed class JobStreamRecheckHost : ApiHost
{
    public const double RecheckSeconds = 1;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Jobs:RecheckSeconds"] = "1";
        settings["Jobs:MaxStreamsPerUser"] = "100";
        settings["Jobs:MaxStreams"] = "100";
    }
}

/// <summary>
/// Issue 15, "Live job streams": the hub re-reads every watched job once per tick for all open streams, so N streams
/// cost O(1) queries per tick (counted at the real driver against the real database), not one transaction per stream.
/// </summary>
public sealed class JobStreamRecheckTests(JobStreamRecheckHost api) : IClassFixture<JobStreamRecheckHost>
{
    /// <summary>Both the per-stream read of old (<c>WHERE id = @id</c>) and the hub's (<c>WHERE id = ANY(@ids)</c>).</summary>
    private const string JobRead = "FROM job_queue WHERE id";

    private sealed class Stream
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public int KeepAlives;

        public TaskCompletionSource Snapshot { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? LastData;
    }

    [Fact]
    public async Task Twenty_open_streams_cost_a_bounded_number_of_queries_per_tick_and_still_get_heartbeats_and_results()
    {
        var user = Guid.NewGuid();
        using var client = api.CreateClient(user);
        var jobs = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            using var created = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { stream = i } });
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            jobs.Add(JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid());
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var streams = new List<Stream>();
        var readers = new List<Task>();
        foreach (var job in jobs)
        {
            for (var i = 0; i < 5; i++)
            {
                var stream = new Stream();
                streams.Add(stream);
                readers.Add(ReadAsync(client, job, stream, cts.Token));
            }
        }

        await Task.WhenAll(streams.Select(s => s.Snapshot.Task)).WaitAsync(cts.Token);

        using var queries = new SqlCommandCounter(api.ConnectionString, JobRead);
        var keepAlivesBefore = streams.Select(s => Volatile.Read(ref s.KeepAlives)).ToArray();
        var window = TimeSpan.FromSeconds(JobStreamRecheckHost.RecheckSeconds * 3.5);
        await Task.Delay(window, cts.Token);
        var reads = queries.Count;

        // Every stream was re-checked (an unchanged job: a heartbeat per tick)...
        for (var i = 0; i < streams.Count; i++)
        {
            Assert.True(Volatile.Read(ref streams[i].KeepAlives) - keepAlivesBefore[i] >= 2, $"stream {i} got no heartbeats");
        }

        // ...by at most one query per tick for all 20 streams (one per stream per tick would be 60 here).
        var ticks = (int)Math.Ceiling(window.TotalSeconds / JobStreamRecheckHost.RecheckSeconds);
        Assert.True(reads <= ticks + 1, $"{reads} job reads in {ticks} ticks for {streams.Count} streams:\n"
                                        + string.Join("\n", queries.Statements.Take(3)));

        // A terminal state reaches every stream with its result, then the streams end.
        var worker = new SqlWorker(api.DataSource);
        Assert.Equal(jobs.Count, (await worker.ClaimAsync(100)).Intersect(jobs).Count());
        foreach (var job in jobs)
        {
            await worker.CompleteAsync(job, """{"answer":42}""");
        }

        await Task.WhenAll(readers).WaitAsync(cts.Token);
        foreach (var stream in streams)
        {
            Assert.Equal("completed", stream.Events.Last());
            Assert.Equal(42, JsonDocument.Parse(stream.LastData!).RootElement.GetProperty("result").GetProperty("answer").GetInt32());
        }
    }

    private static async Task ReadAsync(HttpClient client, Guid job, Stream stream, CancellationToken ct)
    {
        using var response = await client.GetAsync($"/api/jobs/{job}/events", HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(body, Encoding.UTF8);
        string? eventName = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith(": keep-alive", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref stream.KeepAlives);
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventName = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                stream.Events.Enqueue(eventName!);
                stream.LastData = line["data: ".Length..];
                if (eventName == "snapshot")
                {
                    stream.Snapshot.TrySetResult();
                }
            }
        }
    }
}
