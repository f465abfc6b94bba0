using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Jobs;

/// <summary>SSE and WebSocket deliver the snapshot, the progress, then the terminal event with the result, and close.</summary>
public class JobStreamingTests(ApiHost api) : IClassFixture<ApiHost>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private async Task<Guid> CreateJobAsync(Guid user)
    {
        using var client = api.CreateClient(user);
        using var response = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { stream = true } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    /// <summary>Once the stream is open: claim, report 50 %, complete.</summary>
    private async Task DriveAsync(Guid jobId)
    {
        var worker = new SqlWorker(api.DataSource);
        Assert.Contains(jobId, await worker.ClaimAsync(100));
        await worker.ProgressAsync(jobId, 50, "halfway");
        await worker.CompleteAsync(jobId, """{"answer":42}""");
    }

    [Fact]
    public async Task Server_sent_events_carry_progress_then_completion_and_end()
    {
        var user = Guid.NewGuid();
        var jobId = await CreateJobAsync(user);
        using var client = api.CreateClient(user);
        using var cts = new CancellationTokenSource(Timeout);

        using var response = await client.GetAsync($"/api/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
        using var reader = new StreamReader(body, Encoding.UTF8);

        var events = new List<(string Event, JsonElement Data)>();
        var drive = Task.CompletedTask;
        string? eventName = null;
        while (await reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventName = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add((eventName!, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
                if (eventName == "snapshot")
                {
                    drive = DriveAsync(jobId);
                }
            }
        }

        await drive;
        Assert.Equal("snapshot", events[0].Event);
        Assert.Equal("pending", events[0].Data.GetProperty("status").GetString());
        Assert.Contains(events, e => e.Event == "progress" && e.Data.GetProperty("progress").GetInt32() == 50
                                     && e.Data.GetProperty("progress_message").GetString() == "halfway");
        var last = events[^1];
        Assert.Equal("completed", last.Event);
        Assert.Equal(42, last.Data.GetProperty("result").GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task A_websocket_carries_progress_then_completion_and_closes_normally()
    {
        var user = Guid.NewGuid();
        var jobId = await CreateJobAsync(user);
        using var cts = new CancellationTokenSource(Timeout);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + TestTokens.For(user));
        await socket.ConnectAsync(new UriBuilder(api.BaseAddress) { Scheme = "ws", Path = $"/api/jobs/{jobId}/ws" }.Uri, cts.Token);

        var messages = new List<JsonElement>();
        var buffer = new byte[64 * 1024];
        var drive = Task.CompletedTask;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, cts.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                Assert.Equal(WebSocketCloseStatus.NormalClosure, received.CloseStatus);
                break;
            }

            var message = JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, received.Count)).RootElement.Clone();
            messages.Add(message);
            if (message.GetProperty("event").GetString() == "snapshot")
            {
                drive = DriveAsync(jobId);
            }
        }

        await drive;
        Assert.Equal("snapshot", messages[0].GetProperty("event").GetString());
        Assert.Contains(messages, m => m.GetProperty("event").GetString() == "progress" && m.GetProperty("job").GetProperty("progress").GetInt32() == 50);
        Assert.Equal("completed", messages[^1].GetProperty("event").GetString());
        Assert.Equal(42, messages[^1].GetProperty("job").GetProperty("result").GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task A_finished_job_streams_its_snapshot_and_terminal_event_at_once()
    {
        var user = Guid.NewGuid();
        var jobId = await CreateJobAsync(user);
        await DriveAsync(jobId);
        using var client = api.CreateClient(user);

        var text = await client.GetStringAsync($"/api/jobs/{jobId}/events");

        Assert.Contains("event: snapshot", text);
        Assert.Contains("event: completed", text);
    }

    [Fact]
    public async Task Browsers_may_pass_the_token_in_the_query_for_event_streams()
    {
        var user = Guid.NewGuid();
        var jobId = await CreateJobAsync(user);
        await DriveAsync(jobId);
        using var anonymous = api.CreateClient();

        var text = await anonymous.GetStringAsync($"/api/jobs/{jobId}/events?access_token={TestTokens.For(user)}");

        Assert.Contains("event: completed", text);
    }
}
