using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace Platform.Api.Tests.Limits;

public sealed class JobStreamLimitsHost : ApiHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Jobs:MaxStreamsPerUser"] = "2";
        settings["Jobs:MaxStreams"] = "3";
    }
}

public sealed class JobStreamLimitsTests(JobStreamLimitsHost api) : IClassFixture<JobStreamLimitsHost>
{
    private async Task<Guid> CreateJobAsync(Guid user)
    {
        using var client = api.CreateClient(user);
        using var response = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { stream = true } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    private async Task<HttpResponseMessage> OpenAsync(HttpClient client, Guid job) =>
        await client.GetAsync($"/api/jobs/{job}/events", HttpCompletionOption.ResponseHeadersRead);

    [Fact]
    public async Task Streams_are_capped_per_user_and_per_process_with_a_429_problem()
    {
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (jobA, jobB, jobC) = (await CreateJobAsync(a), await CreateJobAsync(b), await CreateJobAsync(c));
        using var clientA = api.CreateClient(a);
        using var clientB = api.CreateClient(b);
        using var clientC = api.CreateClient(c);
        var open = new List<HttpResponseMessage>();
        try
        {
            open.Add(await OpenAsync(clientA, jobA));
            open.Add(await OpenAsync(clientA, jobA));
            Assert.All(open, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

            using (var third = await OpenAsync(clientA, jobA))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
                Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
            }

            using (var socket = new ClientWebSocket())
            {
                socket.Options.SetRequestHeader("Authorization", "Bearer " + TestTokens.For(a));
                var refused = await Assert.ThrowsAsync<WebSocketException>(() =>
                    socket.ConnectAsync(new Uri(api.BaseAddress.ToString().Replace("http", "ws") + $"api/jobs/{jobA}/ws"), CancellationToken.None));
                Assert.Contains("429", refused.Message);
            }

            open.Add(await OpenAsync(clientB, jobB));
            Assert.Equal(HttpStatusCode.OK, open[^1].StatusCode);

            using (var overall = await OpenAsync(clientC, jobC))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, overall.StatusCode);
            }

            open[0].Dispose();
            open.RemoveAt(0);
            var reopened = await RetryAsync(() => OpenAsync(clientC, jobC));
            open.Add(reopened);
            Assert.Equal(HttpStatusCode.OK, reopened.StatusCode);
        }
        finally
        {
            open.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task A_stream_ends_when_its_token_expires()
    {
        var user = Guid.NewGuid();
        var job = await CreateJobAsync(user);
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestTokens.For(user, expires: DateTime.UtcNow.AddSeconds(3)));
        var started = DateTime.UtcNow;

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await RetryAsync(() => client.GetAsync($"/api/jobs/{job}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token)); // the other test's slots
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(cts.Token); // returns only when the server ends the stream

        Assert.Contains("event: snapshot", body);
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 1, 15);
    }

    /// <summary>
    /// <c>dotnet user-jwts</c> issues tokens valid for 3 months, longer than a timer can wait (CancelAfter's limit is
    /// about 49 days): such a token opens a stream (200 and its snapshot, WebSocket too), never a 500.
    /// </summary>
    [Fact]
    public async Task A_token_valid_for_months_opens_a_stream()
    {
        var user = Guid.NewGuid();
        var job = await CreateJobAsync(user);
        var token = TestTokens.For(user, expires: DateTime.UtcNow.AddDays(90), notBefore: DateTime.UtcNow.AddMinutes(-1));
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using (var response = await RetryAsync(() => client.GetAsync($"/api/jobs/{job}/events", HttpCompletionOption.ResponseHeadersRead, cts.Token)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            Assert.Equal("event: snapshot", await reader.ReadLineAsync(cts.Token));
        }

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await socket.ConnectAsync(new UriBuilder(api.BaseAddress) { Scheme = "ws", Path = $"/api/jobs/{job}/ws" }.Uri, cts.Token);

        var buffer = new byte[64 * 1024];
        var first = await socket.ReceiveAsync(buffer, cts.Token);
        Assert.Equal(WebSocketMessageType.Text, first.MessageType);
        Assert.Contains("snapshot", System.Text.Encoding.UTF8.GetString(buffer, 0, first.Count));
    }

    /// <summary>A closed stream's slot is released when the server notices the client left (its next write or wait).</summary>
    private static async Task<HttpResponseMessage> RetryAsync(Func<Task<HttpResponseMessage>> open)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await open();
            if (response.StatusCode != HttpStatusCode.TooManyRequests || attempt >= 40)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(250);
        }
    }
}
