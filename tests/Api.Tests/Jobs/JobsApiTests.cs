using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Jobs;

/// <summary>The jobs API over real HTTP against a real database; states are moved with the queue's SQL functions.</summary>
public class JobsApiTests(ApiHost api) : IClassFixture<ApiHost>
{
    private readonly Guid alice = Guid.NewGuid();
    private readonly Guid bob = Guid.NewGuid();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<JsonElement> CreateAsync(HttpClient client, object body, HttpStatusCode expected = HttpStatusCode.Accepted)
    {
        using var response = await client.PostAsJsonAsync("/api/jobs", body);
        var json = await JsonAsync(response);
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    [Fact]
    public async Task Creating_a_job_answers_202_with_its_location_and_snake_case_fields()
    {
        using var client = api.CreateClient(alice);

        using var response = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { hello = "world" } });
        var job = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/jobs/{job.GetProperty("id").GetGuid()}", response.Headers.Location?.ToString());
        Assert.Equal("pending", job.GetProperty("status").GetString());
        Assert.Equal("echo", job.GetProperty("type").GetString());
        Assert.Equal(0, job.GetProperty("progress").GetInt32());
        Assert.Equal(3, job.GetProperty("max_attempts").GetInt32());
        Assert.Equal("world", job.GetProperty("payload").GetProperty("hello").GetString());
    }

    [Theory]
    [InlineData("""{"type":"no_such_type"}""", "type")]
    [InlineData("""{"payload":{}}""", "type")]
    [InlineData("""{"type":"echo","payload":{"delay_ms":"soon"}}""", "payload.delay_ms")]
    [InlineData("""{"type":"echo","payload":[1,2]}""", "payload")]
    [InlineData("""{"type":"echo","payload":"text"}""", "payload")]
    [InlineData("""{"type":"echo","payload":{"fail_times":101}}""", "payload.fail_times")]
    [InlineData("""{"type":"echo","payload":{"progress_steps":null}}""", "payload.progress_steps")]
    [InlineData("""{"type":"echo_cached","payload":{"delay_ms":2.5}}""", "payload.delay_ms")]
    [InlineData("""{"type":"echo","priority":1000}""", "priority")]
    [InlineData("""{"type":"echo","idempotency_key":""}""", "idempotency_key")]
    [InlineData("""{"type":"echo","payload":{"x":1e1000000}}""", "payload.x")] // beyond numeric: jsonb refused it with 22003, a 500
    [InlineData("""{"type":"echo","payload":{"x":[-1e-1000000]}}""", "payload.x[0]")]
    public async Task Bad_requests_answer_400_problem_details_naming_the_field(string body, string field)
    {
        using var client = api.CreateClient(alice);

        using var response = await client.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == field);
    }

    [Fact]
    public async Task Malformed_json_answers_400_not_500()
    {
        using var client = api.CreateClient(alice);

        using var response = await client.PostAsync("/api/jobs", new StringContent("{\"type\": \"echo\", ", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_body_without_a_content_type_answers_415_problem_details()
    {
        using var client = api.CreateClient(alice);

        using var bodiless = await client.PostAsync("/api/jobs", null);
        using var untyped = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = new ByteArrayContent("""{"type":"echo"}"""u8.ToArray()) };
        using var withoutType = await client.SendAsync(untyped);
        using var anonymous = await api.CreateClient().PostAsync("/api/jobs", null);

        foreach (var response in new[] { bodiless, withoutType })
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType); // FastEndpoints' own 415 had no body
            Assert.Contains("application/json", (await JsonAsync(response)).GetProperty("detail").GetString());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Without_a_valid_token_the_jobs_api_answers_401()
    {
        using var anonymous = api.CreateClient();
        using var response = await anonymous.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        // Any subject is a user (keyed by issuer and subject), but not one longer than the identity table holds.
        using var badSubject = api.CreateClient();
        badSubject.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(Guid.Empty, subject: new string('s', 256)));
        using var refused = await badSubject.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var forged = api.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(alice, signingKey: "another-key-another-key-another-key-12345"));
        using var rejected = await forged.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_job()
    {
        using var client = api.CreateClient(alice);

        var first = await CreateAsync(client, new { type = "echo", payload = new { n = 1 }, idempotency_key = "import-7" });
        using var again = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { n = 2 }, idempotency_key = "import-7" });
        var second = await JsonAsync(again);

        Assert.Equal(first.GetProperty("id").GetGuid(), second.GetProperty("id").GetGuid());
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task A_cached_job_type_answers_200_with_the_result_of_an_identical_payload()
    {
        using var client = api.CreateClient(alice);
        var payload = new { question = Guid.NewGuid().ToString() };
        var first = await CreateAsync(client, new { type = "echo_cached", payload });
        var worker = new SqlWorker(api.DataSource);
        var claimed = await worker.ClaimAsync(100);
        Assert.Contains(first.GetProperty("id").GetGuid(), claimed);
        await worker.CompleteAsync(first.GetProperty("id").GetGuid(), JsonSerializer.Serialize(new { answer = 42 }), cacheTtlSeconds: 600);

        var cached = await CreateAsync(client, new { type = "echo_cached", payload }, HttpStatusCode.OK);

        Assert.Equal("completed", cached.GetProperty("status").GetString());
        Assert.Equal(42, cached.GetProperty("result").GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task Users_cannot_read_list_cancel_or_stream_each_others_jobs_even_with_the_id()
    {
        using var asAlice = api.CreateClient(alice);
        using var asBob = api.CreateClient(bob);
        var alicesJob = (await CreateAsync(asAlice, new { type = "echo", payload = new { secret = "alice" } })).GetProperty("id").GetGuid();

        using var read = await asBob.GetAsync($"/api/jobs/{alicesJob}");
        using var cancel = await asBob.PostAsync($"/api/jobs/{alicesJob}/cancel", null);
        using var events = await asBob.GetAsync($"/api/jobs/{alicesJob}/events");
        using var list = await asBob.GetAsync("/api/jobs");

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, events.StatusCode);
        Assert.DoesNotContain((await JsonAsync(list)).GetProperty("items").EnumerateArray(), j => j.GetProperty("id").GetGuid() == alicesJob);

        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + TestTokens.For(bob));
        var wsUri = new UriBuilder(api.BaseAddress) { Scheme = "ws", Path = $"/api/jobs/{alicesJob}/ws" }.Uri;
        await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(wsUri, CancellationToken.None));

        using var own = await asAlice.GetAsync($"/api/jobs/{alicesJob}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("pending", (await JsonAsync(own)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_malformed_or_unknown_id_answers_400_or_404_problem_details()
    {
        using var client = api.CreateClient(alice);

        using var malformed = await client.GetAsync("/api/jobs/not-a-uuid");
        using var unknown = await client.GetAsync($"/api/jobs/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);

        // One snake_case name for the trace, whether FastEndpoints (400) or ASP.NET Core (404) wrote the problem.
        foreach (var problem in new[] { await JsonAsync(malformed), await JsonAsync(unknown) })
        {
            Assert.True(problem.TryGetProperty("trace_id", out _), problem.ToString());
            Assert.False(problem.TryGetProperty("traceId", out _), problem.ToString());
        }
    }

    [Fact]
    public async Task Listing_filters_and_pages_with_a_cursor_without_gaps_or_duplicates()
    {
        var carol = Guid.NewGuid();
        using var client = api.CreateClient(carol);
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await CreateAsync(client, new { type = "echo", payload = new { i } })).GetProperty("id").GetGuid());
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            using var page = await client.GetAsync($"/api/jobs?limit=2{(cursor is null ? string.Empty : "&cursor=" + cursor)}");
            var json = await JsonAsync(page);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            seen.AddRange(json.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetGuid()));
            cursor = json.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Reverse(created), seen);
        using var pending = await client.GetAsync("/api/jobs?status=pending&type=echo");
        Assert.Equal(5, (await JsonAsync(pending)).GetProperty("items").GetArrayLength());
        using var completed = await client.GetAsync("/api/jobs?status=completed");
        Assert.Equal(0, (await JsonAsync(completed)).GetProperty("items").GetArrayLength());

        foreach (var bad in new[] { "status=done", "limit=0", "limit=1000", "cursor=garbage!", "cursor=" + Convert.ToBase64String(Encoding.UTF8.GetBytes("1:2")) })
        {
            using var response = await client.GetAsync($"/api/jobs?{bad}");
            Assert.True(HttpStatusCode.BadRequest == response.StatusCode, $"{bad} → {response.StatusCode}");
        }
    }

    [Fact]
    public async Task Cancelling_a_pending_job_cancels_it_and_a_finished_one_answers_409()
    {
        var dave = Guid.NewGuid();
        using var client = api.CreateClient(dave);
        var id = (await CreateAsync(client, new { type = "echo", payload = new { } })).GetProperty("id").GetGuid();

        using var cancel = await client.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("cancelled", (await JsonAsync(cancel)).GetProperty("status").GetString());

        using var again = await client.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("already cancelled", (await JsonAsync(again)).GetProperty("detail").GetString());
    }
}
