using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Platform.Core.Billing;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>
/// Ingestion volumes bounded by plan (<see cref="TierEntitlements"/>): items per account and per user, AI tagging calls
/// per user and platform-wide, YouTube quota units per user, and one walk per channel shared across accounts. Each
/// test has users of its own (free plan), so the bounds of one never touch another.
/// </summary>
public class PlanBoundsTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>, IAsyncLifetime
{
    private static readonly TierEntitlement Free = TierEntitlements.For(TierEntitlements.Free);

    private FakeFeedServer feeds = null!;

    public async Task InitializeAsync() => feeds = await FakeFeedServer.StartAsync();

    public async Task DisposeAsync() => await feeds.DisposeAsync();

    private async Task<Guid> NewUserAsync()
    {
        var id = Guid.NewGuid();
        await db.CountAsync("SELECT 1 FROM ensure_user(@id)", ("id", id));
        return id;
    }

    private async Task<Guid> AddAccountAsync(Guid userId, string platform, string externalId, string? url = null)
    {
        await using var command = db.DataSource.CreateCommand(
            """
            INSERT INTO platform_account (user_id, platform, external_id, url, sync_interval)
            VALUES (@user, @platform, @external_id, @url, interval '1 hour') RETURNING id
            """);
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("platform", platform);
        command.Parameters.AddWithValue("external_id", externalId);
        command.Parameters.Add(new Npgsql.NpgsqlParameter("url", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)url ?? DBNull.Value });
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Marks <paramref name="used"/> of today's (UTC) allowance as spent, as earlier jobs would have.</summary>
    private Task SpendAsync(string counter, Guid scope, int used) => db.CountAsync(
        """
        INSERT INTO daily_allowance_usage (counter, scope_id, day, used) VALUES (@counter, @scope, (now() AT TIME ZONE 'UTC')::date, @used)
        ON CONFLICT (counter, scope_id, day) DO UPDATE SET used = EXCLUDED.used RETURNING 1
        """,
        ("counter", counter), ("scope", scope), ("used", used));

    private async Task<JsonElement> RunAsync(string jobType, object payload)
    {
        var job = await db.EnqueueAsync(jobType, payload);
        var done = await db.WaitForStatusAsync(job.JobId, JobStatus.Completed, TimeSpan.FromSeconds(90));
        Assert.Equal(1, done.Attempts);
        return done.Result!.Value;
    }

    private Task<long> ItemsOfAsync(Guid userId, Guid? accountId = null) => accountId is { } account
        ? db.CountAsync("SELECT count(*) FROM content_item WHERE platform_account_id = @account AND status <> 'removed'", ("account", account))
        : db.CountAsync("SELECT count(*) FROM content_item WHERE creator_id = @user AND status <> 'removed'", ("user", userId));

    private static string Rss(int entries, string prefix)
    {
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Big</title><link>https://big.example.com/</link><description>d</description>");
        for (var i = 0; i < entries; i++)
        {
            xml.Append($"<item><title>Entry {i}</title><link>https://big.example.com/{prefix}/{i}</link><guid isPermaLink=\"false\">{prefix}-{i}</guid><description>Text {i}</description></item>");
        }

        return xml.Append("</channel></rss>").ToString();
    }

    [Fact]
    public async Task A_feed_over_the_items_per_account_bound_imports_up_to_it_and_completes_limited()
    {
        var user = await NewUserAsync();
        feeds.Documents["/big.xml"] = new FakeDocument(Rss(Free.MaxItemsPerAccount + 20, "big"), "application/rss+xml", ETag: "\"big\"");
        var url = feeds.Url("/big.xml");
        var account = await AddAccountAsync(user, "feed", url, url);
        await using var workers = await db.StartWorkersAsync();

        var result = await RunAsync(SyncFeedArgs.Kind, new { platform_account_id = account });

        Assert.Equal(Free.MaxItemsPerAccount, await ItemsOfAsync(user, account));
        Assert.Equal(Free.MaxItemsPerAccount, result.GetProperty("inserted").GetInt32());
        var limited = result.GetProperty("limited");
        Assert.Equal(TierEntitlements.ItemsPerAccount, limited.GetProperty("entitlement").GetString());
        Assert.Equal("free", limited.GetProperty("tier").GetString());
        Assert.Equal(Free.MaxItemsPerAccount, limited.GetProperty("limit").GetInt32());
        Assert.Equal(20, limited.GetProperty("left_out").GetInt32());

        // The feed's first entries are the ones kept; the validators are forgotten, so the next sync reads it whole again.
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM content_item WHERE title = 'Entry 0' AND platform_account_id = @a", ("a", account)));
        Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM content_item WHERE title = @title", ("title", $"Entry {Free.MaxItemsPerAccount}")));
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM platform_account WHERE id = @a AND etag IS NULL", ("a", account)));

        // A re-sync changes nothing and stays within the bound.
        var again = await RunAsync(SyncFeedArgs.Kind, new { platform_account_id = account });
        Assert.Equal(0, again.GetProperty("inserted").GetInt32());
        Assert.Equal(Free.MaxItemsPerAccount, await ItemsOfAsync(user, account));
    }

    [Fact]
    public async Task A_youtube_sync_over_the_items_per_user_bound_imports_up_to_it_and_completes_limited()
    {
        var user = await NewUserAsync();
        var room = 7;
        await db.CountAsync(
            """
            INSERT INTO content_item (creator_id, platform, external_id, title)
            SELECT @user, 'feed', 'https://elsewhere.example.com/' || g, 'Earlier item ' || g FROM generate_series(1, @n) g RETURNING 1
            """,
            ("user", user), ("n", Free.MaxItemsPerUser - room));
        var channel = db.YouTube.AddChannel("@peruser", 120);
        var account = await AddAccountAsync(user, "youtube", channel);
        await using var workers = await db.StartWorkersAsync();

        var result = await RunAsync(SyncYouTubeArgs.Kind, new { platform_account_id = account });

        Assert.Equal(room, await ItemsOfAsync(user, account));
        Assert.Equal(Free.MaxItemsPerUser, await ItemsOfAsync(user));
        Assert.Equal(room, result.GetProperty("inserted").GetInt32());
        Assert.Equal(room, result.GetProperty("videos").GetInt32());
        Assert.False(result.GetProperty("complete").GetBoolean());
        var limited = result.GetProperty("limited");
        Assert.Equal(TierEntitlements.ItemsPerUser, limited.GetProperty("entitlement").GetString());
        Assert.Equal(50 - room, limited.GetProperty("left_out").GetInt32());

        // The walk stopped at the bound: one page listed, not all three.
        Assert.Equal(1, db.YouTube.Requests.Count(r => r.StartsWith("/youtube/v3/playlistItems", StringComparison.Ordinal) && r.Contains(FakeYouTube.UploadsOf(channel), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_youtube_sync_stops_at_the_users_daily_quota_units_and_completes_limited()
    {
        var user = await NewUserAsync();
        await SpendAsync(DailyAllowance.YouTubeUnits, user, Free.MaxYouTubeUnitsPerDay - 3);
        var channel = db.YouTube.AddChannel("@budget", 300);
        var account = await AddAccountAsync(user, "youtube", channel);
        var before = db.YouTube.Requests.Count;
        await using var workers = await db.StartWorkersAsync();

        var result = await RunAsync(SyncYouTubeArgs.Kind, new { platform_account_id = account });

        // channels.list, one playlistItems.list page and its videos.list: 3 units, then nothing more reaches YouTube.
        Assert.Equal(3, db.YouTube.Requests.Count - before);
        Assert.Equal(3, result.GetProperty("api_calls").GetInt32());
        Assert.Equal(50, await ItemsOfAsync(user, account));
        var limited = result.GetProperty("limited");
        Assert.Equal(TierEntitlements.YouTubeUnitsPerDay, limited.GetProperty("entitlement").GetString());
        Assert.Equal(Free.MaxYouTubeUnitsPerDay, limited.GetProperty("limit").GetInt32());
        Assert.Equal(Free.MaxYouTubeUnitsPerDay, await db.CountAsync(
            "SELECT used FROM daily_allowance_usage WHERE counter = 'youtube_units' AND scope_id = @user", ("user", user)));

        // Out of units: the next sync asks YouTube nothing and still completes.
        var next = await RunAsync(SyncYouTubeArgs.Kind, new { platform_account_id = account });
        Assert.Equal(3, db.YouTube.Requests.Count - before);
        Assert.Equal(TierEntitlements.YouTubeUnitsPerDay, next.GetProperty("limited").GetProperty("entitlement").GetString());
    }

    [Fact]
    public async Task A_channel_walked_recently_is_not_walked_again_by_a_second_user_or_a_reconnect()
    {
        var (first, second) = (await NewUserAsync(), await NewUserAsync());
        var channel = db.YouTube.AddChannel("@shared", 300);
        var firstAccount = await AddAccountAsync(first, "youtube", channel);
        await using var workers = await db.StartWorkersAsync();

        var before = db.YouTube.Requests.Count;
        var full = await RunAsync(SyncYouTubeArgs.Kind, new { platform_account_id = firstAccount });
        var fullCalls = db.YouTube.Requests.Count - before;
        Assert.Equal("full", full.GetProperty("walk").GetString());
        Assert.Equal(13, fullCalls); // channels.list + 6 pages × (playlistItems.list + videos.list)

        // Two new uploads, then a second user connects the same channel: only the new uploads are walked.
        var uploads = db.YouTube.Playlists[FakeYouTube.UploadsOf(channel)];
        lock (uploads)
        {
            uploads.Insert(0, new FakeVideo { Id = channel[2..10] + "n01", Title = "Brand new one" });
            uploads.Insert(0, new FakeVideo { Id = channel[2..10] + "n02", Title = "Brand new two" });
        }

        var secondAccount = await AddAccountAsync(second, "youtube", channel);
        before = db.YouTube.Requests.Count;
        var shared = await RunAsync(SyncYouTubeArgs.Kind, new { platform_account_id = secondAccount });
        var sharedCalls = db.YouTube.Requests.Count - before;

        Assert.Equal("new_uploads", shared.GetProperty("walk").GetString());
        Assert.Equal(2, shared.GetProperty("inserted").GetInt32());
        Assert.Equal(4, sharedCalls); // channels.list, page 1 + its videos, page 2 (all stored: stop)
        Assert.Equal(2, await ItemsOfAsync(second, secondAccount));
        Assert.Equal(300, await ItemsOfAsync(first, firstAccount)); // nothing taken from the first user, nothing marked removed

        // The first user disconnects and connects again (a new account): no second full walk either.
        await db.CountAsync("DELETE FROM platform_account WHERE id = @id RETURNING 1", ("id", firstAccount));
        var reconnected = await AddAccountAsync(first, "youtube", channel);
        before = db.YouTube.Requests.Count;
        var again = await RunAsync(SyncYouTubeArgs.Kind, new { platform_account_id = reconnected });
        Assert.Equal("new_uploads", again.GetProperty("walk").GetString());
        Assert.True(db.YouTube.Requests.Count - before <= 2, $"{db.YouTube.Requests.Count - before} calls after a reconnect");
        Assert.Equal(300, await ItemsOfAsync(first)); // still published, still the first user's
    }

    /// <summary>An OpenAI-compatible chat endpoint that records each request's user message in <paramref name="calls"/>.</summary>
    private static Task<FakeHttpServer> StartModelAsync(ConcurrentQueue<string> calls) =>
        FakeHttpServer.StartAsync(app => app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body);
            calls.Enqueue(body!["messages"]![1]!["content"]!.GetValue<string>());
            return Results.Json(new JsonObject
            {
                ["id"] = "chatcmpl-1",
                ["object"] = "chat.completion",
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "{\"tags\": [\"from the model\"]}" },
                    ["finish_reason"] = "stop",
                }),
            });
        }));

    private async Task<Guid[]> AddItemsAsync(Guid user, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await db.ScalarAsync<Guid>(
                $"INSERT INTO content_item (creator_id, platform, external_id, title, description) VALUES ('{user}', 'feed', 'https://t.example.com/{Guid.NewGuid()}', 'Sourdough starter {i}', 'Feeding a sourdough starter') RETURNING id"));
        }

        return ids.ToArray();
    }

    private Task<long> ModelTaggedAsync(Guid[] ids) => db.CountAsync(
        "SELECT count(DISTINCT content_id) FROM content_tag WHERE content_id = ANY(@ids) AND source = 'ai' AND tag = 'from the model'", ("ids", ids));

    private Task<long> KeywordTaggedAsync(Guid[] ids) => db.CountAsync(
        "SELECT count(DISTINCT content_id) FROM content_tag WHERE content_id = ANY(@ids) AND source = 'ai' AND tag = 'sourdough'", ("ids", ids));

    [Fact]
    public async Task Past_the_users_daily_ai_tagging_calls_the_keyword_tagger_runs()
    {
        var calls = new ConcurrentQueue<string>();
        await using var model = await StartModelAsync(calls);
        var user = await NewUserAsync();
        await SpendAsync(DailyAllowance.TaggingCalls, user, Free.MaxTaggingCallsPerDay - 2);
        var ids = await AddItemsAsync(user, 5);
        await using var workers = await db.StartWorkersAsync(new Dictionary<string, string?> { ["Tagging:Endpoint"] = model.BaseUrl + "/v1" });

        var result = await RunAsync(TagContentArgs.Kind, new { content_ids = ids });

        Assert.Equal(2, calls.Count);
        Assert.Equal(2, result.GetProperty("ai_calls").GetInt32());
        Assert.Equal(3, result.GetProperty("keyword_fallback").GetInt32());
        Assert.Equal(TierEntitlements.TaggingCallsPerDay, result.GetProperty("limited").GetProperty("entitlement").GetString());
        Assert.Equal(2, await ModelTaggedAsync(ids));
        Assert.Equal(3, await KeywordTaggedAsync(ids));
    }

    [Fact]
    public async Task Past_the_platforms_daily_tagging_cap_the_keyword_tagger_runs_and_the_users_calls_are_not_spent()
    {
        var calls = new ConcurrentQueue<string>();
        await using var model = await StartModelAsync(calls);
        var user = await NewUserAsync();
        var ids = await AddItemsAsync(user, 4);
        await SpendAsync(DailyAllowance.TaggingCalls, DailyAllowance.Platform, 0);
        await using var workers = await db.StartWorkersAsync(new Dictionary<string, string?>
        {
            ["Tagging:Endpoint"] = model.BaseUrl + "/v1",
            ["Tagging:DailyCallLimit"] = "1",
        });

        var result = await RunAsync(TagContentArgs.Kind, new { content_ids = ids });

        Assert.Single(calls);
        Assert.Equal(1, result.GetProperty("ai_calls").GetInt32());
        Assert.Equal(3, result.GetProperty("keyword_fallback").GetInt32());
        Assert.Equal("platform AI tagging calls per day", result.GetProperty("limited").GetProperty("entitlement").GetString());
        Assert.Equal(1, await ModelTaggedAsync(ids));
        Assert.Equal(3, await KeywordTaggedAsync(ids));
        Assert.Equal(1, await db.CountAsync("SELECT used FROM daily_allowance_usage WHERE counter = 'tagging_calls' AND scope_id = @user", ("user", user)));
    }
}
