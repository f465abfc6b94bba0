using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Platforms;

/// <summary><c>/api/me/platforms</c> over real HTTP against a real database (RLS applies as in production).</summary>
public class PlatformsApiTests(ApiHost api) : IClassFixture<ApiHost>
{
    private readonly Guid alice = Guid.NewGuid();
    private readonly Guid bob = Guid.NewGuid();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task<JsonElement> ConnectAsync(HttpClient client, object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await client.PostAsJsonAsync("/api/me/platforms", body);
        var json = await JsonAsync(response);
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    [Fact]
    public async Task Connecting_a_channel_answers_201_with_the_account_and_its_first_sync_job_enqueued()
    {
        using var client = api.CreateClient(alice);

        using var response = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = "https://www.youtube.com/@SomeCreator/videos" });
        var account = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = account.GetProperty("id").GetGuid();
        Assert.Equal($"/api/me/platforms/{id}", response.Headers.Location?.ToString());
        Assert.Equal("youtube", account.GetProperty("platform").GetString());
        Assert.Equal("@somecreator", account.GetProperty("external_id").GetString());
        Assert.Equal("@somecreator", account.GetProperty("handle").GetString());
        Assert.Equal("pending", account.GetProperty("sync_status").GetString());
        Assert.True(account.GetProperty("next_sync_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);

        var jobId = account.GetProperty("sync_job_id").GetGuid();
        using var jobResponse = await client.GetAsync($"/api/jobs/{jobId}");
        var job = await JsonAsync(jobResponse);
        Assert.Equal(HttpStatusCode.OK, jobResponse.StatusCode);
        Assert.Equal("sync_youtube", job.GetProperty("type").GetString());
        Assert.Equal("ingestion", job.GetProperty("queue").GetString());
        Assert.Equal(id, job.GetProperty("payload").GetProperty("platform_account_id").GetGuid());
    }

    [Theory]
    [InlineData("@สวัสดีครับ", "@สวัสดีครับ")]
    [InlineData("https://www.youtube.com/@%E0%A4%A8%E0%A4%AE%E0%A4%B8%E0%A5%8D%E0%A4%A4%E0%A5%87", "@नमस्ते")]
    [InlineData("@mid·dot", "@mid·dot")]
    public async Task A_handle_in_any_script_connects(string channel, string handle)
    {
        using var client = api.CreateClient(Guid.NewGuid());

        var account = await ConnectAsync(client, new { platform = "youtube", channel });

        Assert.Equal(handle, account.GetProperty("handle").GetString());
        Assert.Equal(handle, account.GetProperty("external_id").GetString());
        Assert.Equal("https://www.youtube.com/@" + Uri.EscapeDataString(handle[1..]), account.GetProperty("url").GetString());
    }

    [Fact]
    public async Task Connecting_a_feed_enqueues_sync_feed_and_the_account_is_listed()
    {
        using var client = api.CreateClient(alice);

        var account = await ConnectAsync(client, new { platform = "feed", url = "https://blog.example.com/feed.xml#top" });
        using var list = await client.GetAsync("/api/me/platforms");
        var items = (await JsonAsync(list)).GetProperty("items").EnumerateArray().ToList();

        Assert.Equal("https://blog.example.com/feed.xml", account.GetProperty("external_id").GetString());
        Assert.Equal(
            "sync_feed",
            await api.ScalarAsync<string>($"SELECT job_type FROM job_queue WHERE id = '{account.GetProperty("sync_job_id").GetGuid()}'"));
        Assert.Contains(items, a => a.GetProperty("id").GetGuid() == account.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Connecting_the_same_source_twice_answers_409_and_enqueues_nothing_more()
    {
        var carol = Guid.NewGuid();
        using var client = api.CreateClient(carol);
        await ConnectAsync(client, new { platform = "youtube", channel = "UCabcdefghijklmnopqrstuv" });

        var problem = await ConnectAsync(client, new { platform = "youtube", channel = "https://youtube.com/channel/UCabcdefghijklmnopqrstuv" }, HttpStatusCode.Conflict);

        Assert.Contains("already connected", problem.GetProperty("detail").GetString());
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE user_id = '{carol}'"));
    }

    [Fact]
    public async Task The_free_plan_allows_three_accounts()
    {
        var dave = Guid.NewGuid();
        using var client = api.CreateClient(dave);
        for (var i = 0; i < 3; i++)
        {
            await ConnectAsync(client, new { platform = "feed", url = $"https://example.com/feed-{i}.xml" });
        }

        var problem = await ConnectAsync(client, new { platform = "feed", url = "https://example.com/feed-3.xml" }, HttpStatusCode.Forbidden);

        Assert.Contains("3 connected accounts", problem.GetProperty("detail").GetString());
        Assert.Equal(3L, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE user_id = '{dave}'"));
    }

    [Fact]
    public async Task A_user_can_neither_list_nor_delete_another_users_accounts()
    {
        using var aliceClient = api.CreateClient(alice);
        using var bobClient = api.CreateClient(bob);
        var aliceAccount = await ConnectAsync(aliceClient, new { platform = "feed", url = "https://alice.example.com/atom.xml" });
        var aliceId = aliceAccount.GetProperty("id").GetGuid();

        using var bobList = await bobClient.GetAsync("/api/me/platforms");
        var bobItems = (await JsonAsync(bobList)).GetProperty("items").EnumerateArray().ToList();
        using var bobDelete = await bobClient.DeleteAsync($"/api/me/platforms/{aliceId}");

        Assert.DoesNotContain(bobItems, a => a.GetProperty("id").GetGuid() == aliceId);
        Assert.Equal(HttpStatusCode.NotFound, bobDelete.StatusCode);
        Assert.Equal("application/problem+json", bobDelete.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE id = '{aliceId}'"));

        using var aliceDelete = await aliceClient.DeleteAsync($"/api/me/platforms/{aliceId}");
        Assert.Equal(HttpStatusCode.NoContent, aliceDelete.StatusCode);
        Assert.Equal(0L, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE id = '{aliceId}'"));
    }

    [Theory]
    [InlineData("""{"platform":"vimeo","channel":"x"}""", "platform")]
    [InlineData("""{"channel":"@creator"}""", "platform")]
    [InlineData("""{"platform":"youtube"}""", "channel")]
    [InlineData("""{"platform":"youtube","channel":"https://evil.example.com/@creator"}""", "channel")]
    [InlineData("""{"platform":"youtube","channel":"@a"}""", "channel")]
    [InlineData("""{"platform":"feed","url":"ftp://example.com/feed.xml"}""", "url")]
    [InlineData("""{"platform":"feed","url":"/relative/feed.xml"}""", "url")]
    [InlineData("""{"platform":"feed"}""", "url")]
    public async Task Bad_input_answers_400_problem_details_naming_the_field(string body, string field)
    {
        using var client = api.CreateClient(alice);

        using var response = await client.PostAsync("/api/me/platforms", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == field);
    }

    [Fact]
    public async Task Disconnecting_with_content_unpublish_takes_down_only_that_accounts_items()
    {
        using var aliceClient = api.CreateClient(alice);
        using var bobClient = api.CreateClient(bob);
        var account = (await ConnectAsync(aliceClient, new { platform = "feed", url = "https://alice.example.com/unpublish.xml" })).GetProperty("id").GetGuid();
        var other = (await ConnectAsync(aliceClient, new { platform = "feed", url = "https://alice.example.com/keep.xml" })).GetProperty("id").GetGuid();
        foreach (var (accountId, n) in new[] { (account, 1), (account, 2), (other, 3) })
        {
            await api.ScalarAsync<int>(
                $"INSERT INTO content_item (creator_id, platform_account_id, platform, external_id, title, url, status, published_at) " +
                $"VALUES ('{alice}', '{accountId}', 'feed', 'unpublish-test-{n}', 'Item {n}', 'https://alice.example.com/{n}', 'published', now())");
        }

        async Task<string[]> StatusesAsync() => (await api.ScalarAsync<string[]>(
            "SELECT array_agg(status ORDER BY external_id) FROM content_item WHERE external_id LIKE 'unpublish-test-%'"))!;

        using var bad = await aliceClient.DeleteAsync($"/api/me/platforms/{account}?content=erase");
        var problem = await JsonAsync(bad);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == "content");

        using var notBobs = await bobClient.DeleteAsync($"/api/me/platforms/{account}?content=unpublish");
        Assert.Equal(HttpStatusCode.NotFound, notBobs.StatusCode);
        Assert.Equal(["published", "published", "published"], await StatusesAsync());

        using var gone = await aliceClient.DeleteAsync($"/api/me/platforms/{account}?content=unpublish");
        Assert.Equal(HttpStatusCode.NoContent, gone.StatusCode);
        Assert.Equal(["unpublished", "unpublished", "published"], await StatusesAsync());

        using var kept = await aliceClient.DeleteAsync($"/api/me/platforms/{other}"); // default: keep
        Assert.Equal(HttpStatusCode.NoContent, kept.StatusCode);
        Assert.Equal(["unpublished", "unpublished", "published"], await StatusesAsync());
    }

    [Fact]
    public async Task Deleting_an_unknown_id_answers_404_and_a_malformed_id_400()
    {
        using var client = api.CreateClient(alice);

        using var unknown = await client.DeleteAsync($"/api/me/platforms/{Guid.NewGuid()}");
        using var malformed = await client.DeleteAsync("/api/me/platforms/not-a-uuid");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task Without_a_token_the_platforms_api_answers_401()
    {
        using var anonymous = api.CreateClient();
        using var response = await anonymous.GetAsync("/api/me/platforms");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
