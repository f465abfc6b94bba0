using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using Platform.Core.Billing;

namespace Platform.Api.Tests.Platforms;

/// <summary>
/// Issue 12 §1 from an attacker's side: where a token does not count (an item's description, a body or commented-out
/// meta on the home page), spellings of a verified feed (the connect-time 409 and the takeover alike), the OAuth callback
/// completed in another browser than the one that started it, as a way around the plan's connects per day or around the
/// 409, and floods of authorize and verify.
/// </summary>
public partial class OwnershipVerificationTests
{
    [Fact]
    public async Task A_token_in_an_item_a_body_meta_or_a_commented_meta_does_not_verify()
    {
        var (_, client, account, token) = await FeedAccountAsync("/hostile/feed.xml");
        api.Outside.Documents["/hostile/feed.xml"] = ("application/rss+xml",
            $"""
            <?xml version="1.0" encoding="utf-8"?>
            <rss version="2.0"><channel><title>Victim's blog</title><link>{api.Outside.Url("/hostile/")}</link>
            <description>The victim's own words</description>
            <item><title>Guest post</title><description>{token}</description><guid>g-1</guid></item></channel></rss>
            """);
        // A home page whose visitors can post markup (comments): their <meta> lands in the body, and one written in an
        // HTML comment in the head is no element at all.
        api.Outside.Documents["/hostile/"] = ("text/html; charset=utf-8",
            $"""
            <!doctype html><html><head><title>Home</title><!-- <meta name="platform-verification" content="{token}"> --></head>
            <body><section class="comments"><p>Nice post!</p><meta name="platform-verification" content="{token}"></section></body></html>
            """);
        var id = account.GetProperty("id").GetGuid();

        var problem = await VerifyAsync(client, id, HttpStatusCode.UnprocessableEntity);

        Assert.Equal("https://platform.example/problems/verification-token-not-found", problem.GetProperty("type").GetString());
        Assert.Equal("unverified", await api.ScalarAsync<string>($"SELECT verification_status FROM platform_account WHERE id = '{id}'"));
    }

    [Fact]
    public async Task Another_spelling_of_a_verified_feed_is_refused_409()
    {
        var path = "/spelling/feed.xml";
        var (_, owner, account, token) = await FeedAccountAsync(path);
        api.Outside.Documents[path] = ("application/rss+xml", Rss(token));
        await VerifyAsync(owner, account.GetProperty("id").GetGuid(), HttpStatusCode.OK);
        var verifiedUrl = api.Outside.Url(path); // http://127.0.0.1:port/spelling/feed.xml

        using var other = api.CreateClient(Guid.NewGuid());
        var spellings = new[]
        {
            verifiedUrl + "/",
            "https" + verifiedUrl["http".Length..],
            "HTTPS" + verifiedUrl["http".Length..] + "/",
            verifiedUrl.Replace("127.0.0.1", "127.0.0.1", StringComparison.Ordinal) + "#fragment",
        };
        foreach (var spelling in spellings)
        {
            var problem = await ConnectFeedAsync(other, spelling, HttpStatusCode.Conflict);
            Assert.Contains("verified by another", problem.GetProperty("detail").GetString());
        }

        // A different feed on the same host is not the same source.
        await ConnectFeedAsync(other, api.Outside.Url("/spelling/other.xml"));
    }

    [Fact]
    public async Task An_impostors_unverified_account_under_another_spelling_is_taken_over_when_the_owner_verifies()
    {
        var path = "/spelling-takeover/feed.xml";
        var verifiedUrl = api.Outside.Url(path); // http://127.0.0.1:port/spelling-takeover/feed.xml
        var impostorId = Guid.NewGuid();
        using var impostor = api.CreateClient(impostorId);
        var impostorAccount = await ConnectFeedAsync(impostor, "HTTPS" + verifiedUrl["http".Length..] + "/");
        var impostorAccountId = impostorAccount.GetProperty("id").GetGuid();
        Assert.NotEqual(verifiedUrl, impostorAccount.GetProperty("external_id").GetString());
        await api.Data.ExecuteAsync(
            """
            INSERT INTO content_item (creator_id, platform_account_id, platform, external_id, title, url, status)
            VALUES (@u, @a, 'feed', 'spelling-1-' || @a::text, 'Copied 1', 'https://blog.example/1', 'pending_verification'),
                   (@u, @a, 'feed', 'spelling-2-' || @a::text, 'Copied 2', 'https://blog.example/2', 'published')
            """, ("u", impostorId), ("a", impostorAccountId));

        var (ownerId, owner, ownerAccount, token) = await FeedAccountAsync(path);
        var ownerAccountId = ownerAccount.GetProperty("id").GetGuid();
        api.Outside.Documents[path] = ("application/rss+xml", Rss(token));
        await VerifyAsync(owner, ownerAccountId, HttpStatusCode.OK);

        var moved = await api.ScalarAsync<string[]>(
            $"SELECT array_agg(status || ':' || (creator_id = '{ownerId}') || ':' || (platform_account_id = '{ownerAccountId}') ORDER BY title) FROM content_item WHERE external_id LIKE 'spelling-%-{impostorAccountId}'");
        Assert.Equal(["published:true:true", "published:true:true"], moved!);
        Assert.False(await api.ScalarAsync<bool>($"SELECT is_active FROM platform_account WHERE id = '{impostorAccountId}'"));
        Assert.Equal(1, await api.ScalarAsync<long>(
            $"SELECT count(*) FROM audit.mt_events WHERE data ->> 'PlatformAccountId' = '{impostorAccountId}' AND mt_dotnet_type LIKE '%PlatformAccountTakenOver%'"));

        // Its spelling cannot be verified next to the owner's either (one verified owner per feed, whatever the spelling).
        Assert.Equal(PostgresErrorCodes.UniqueViolation, await VerifyInSqlAsync(impostorId, impostorAccountId));
    }

    [Theory]
    [InlineData("https://{0}.example/feed.xml", "https://{0}.example./feed.xml")] // a fully qualified name is the same host
    [InlineData("https://{0}.example./feed.xml", "https://{0}.EXAMPLE/feed.xml")]
    [InlineData("https://xn--bcher-kva.{0}.example/feed.xml", "https://BÜCHER.{0}.example/feed.xml")] // IDN: A-label and U-label
    [InlineData("https://bücher.{0}.example/feed.xml", "https://xn--bcher-kva.{0}.example/feed.xml")]
    [InlineData("https://{0}.example/feeds%2Fall.xml?tag=caf%C3%A9", "https://{0}.example/feeds%2fall.xml?tag=caf%c3%A9")] // RFC 3986 §6.2.2.1
    public async Task A_verified_feed_is_refused_409_under_other_spellings_of_its_host_or_escapes(string verifiedSpelling, string otherSpelling)
    {
        var site = "s" + Guid.NewGuid().ToString("N")[..10];
        var ownerId = Guid.NewGuid();
        using var owner = api.CreateClient(ownerId);
        var ownerAccountId = (await ConnectFeedAsync(owner, string.Format(verifiedSpelling, site))).GetProperty("id").GetGuid();
        await api.Data.ExecuteAsync( // verified as POST /verify would leave it (the feed lives on no fake server here)
            "UPDATE platform_account SET verification_status = 'verified', verification_method = 'feed_description', verified_at = now() WHERE id = @a",
            ("a", ownerAccountId));

        using var other = api.CreateClient(Guid.NewGuid());
        var problem = await ConnectFeedAsync(other, string.Format(otherSpelling, site), HttpStatusCode.Conflict);

        Assert.Contains("verified by another", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_feed_has_one_source_key_under_every_spelling_and_other_feeds_have_others()
    {
        string[] sameFeed =
        [
            "https://blog.example/feed",
            "http://blog.example/feed",
            "https://blog.example/feed/",
            "http://blog.example/feed//",
            "HTTPS://BLOG.EXAMPLE/feed",
            "Https://Blog.Example/feed/",
            "https://blog.example:443/feed",
            "http://blog.example:80/feed",
            "https://blog.example/feed#latest",
            "https://blog.example/feed?",
            " https://blog.example/feed ",
        ];
        string[] otherFeeds =
        [
            "https://blog.example/Feed", // paths are case-sensitive
            "https://blog.example/feed?page=2",
            "https://blog.example:8443/feed",
            "http://blog.example:443/feed", // port 443 spoken to in plain http is another server
            "https://blog.example/feed/comments",
            "https://blog.example/",
            "https://www.blog.example/feed",
            "https://blog.example.org/feed",
        ];

        var all = sameFeed.Concat(otherFeeds).ToArray();
        var keys = await QueryAsync<string[]>("SELECT array_agg(feed_source_key(u) ORDER BY n) FROM unnest(@urls) WITH ORDINALITY AS t(u, n)", all);

        Assert.Single(keys![..sameFeed.Length].Distinct());
        Assert.Equal(otherFeeds.Length + 1, keys.Distinct().Count());
        Assert.Equal("blog.example/feed", keys[0]);
        Assert.Equal(all.Length, await QueryAsync<long>(
            "SELECT count(*) FROM unnest(@urls) AS t(u) WHERE platform_source_key('feed', u) = feed_source_key(u) AND platform_source_key('youtube', u) = u", all));
    }

    [Fact]
    public async Task The_source_lookups_can_use_the_source_index()
    {
        await using var connection = await api.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(
            """
            SET enable_seqscan = off;
            EXPLAIN SELECT id FROM platform_account
            WHERE platform = 'feed' AND platform_source_key(platform, external_id) = platform_source_key('feed', 'https://blog.example/feed/')
            """, connection);
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        Assert.Contains(plan, line => line.Contains("idx_platform_account_source", StringComparison.Ordinal));
    }

    private async Task<T> QueryAsync<T>(string sql, string[] urls)
    {
        await using var command = api.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("urls", urls);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Connecting_my_own_feed_again_under_another_spelling_answers_409()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        var feed = api.Outside.Url("/mine/feed.xml");
        await ConnectFeedAsync(client, feed);

        var again = await ConnectFeedAsync(client, "https" + feed["http".Length..] + "/", HttpStatusCode.Conflict);

        Assert.Contains("already connected", again.GetProperty("detail").GetString());
        Assert.Equal(1, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE user_id = '{userId}'"));
    }

    [Fact]
    public async Task Connecting_my_channel_again_by_its_handle_in_another_case_answers_409()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);

        // A channel connected by @handle, which its first sync resolved to the channel id (as SyncLease.CompleteAsync does).
        var handle = "@mine" + Guid.NewGuid().ToString("N")[..8];
        using (var connect = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = handle }))
        {
            Assert.Equal(HttpStatusCode.Created, connect.StatusCode);
        }

        var channelId = "UC" + Guid.NewGuid().ToString("N")[..22];
        await api.Data.ExecuteAsync(
            "UPDATE platform_account SET external_id = @channel, handle = @handle WHERE user_id = @user AND external_id = @handle",
            ("channel", channelId), ("handle", handle), ("user", userId));
        using var byHandle = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = handle.ToUpperInvariant() });
        using var byId = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = channelId });

        Assert.Equal(HttpStatusCode.Conflict, byHandle.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, byId.StatusCode);
        Assert.Equal(1, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE user_id = '{userId}'"));
    }

    [Fact]
    public async Task An_authorization_started_by_one_browser_verifies_nothing_when_another_browser_brings_the_callback()
    {
        // The attacker starts an authorization as themselves and gets the victim, signed in to Google with the channel, to
        // open the authorization_url: Google sends the victim's browser to the callback with a code for the victim's channel.
        using var attacker = api.CreateClient(Guid.NewGuid());
        var (state, challenge, _) = await AuthorizeAsync(attacker);
        var victimsChannel = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "The victim's channel");
        var callback = $"?code={api.Outside.Consent(challenge, victimsChannel)}&state={Uri.EscapeDataString(state)}";

        var inVictimsBrowser = await CallbackAsync(callback, NoCookies);
        // The URL leaks back to the attacker, who replays it in the browser that holds the cookie: the state is used up.
        var replayedByAttacker = await CallbackAsync(callback);

        Assert.Equal(new Dictionary<string, string> { ["youtube_verification"] = "error", ["reason"] = "browser_mismatch" }, inVictimsBrowser);
        Assert.Equal("invalid_state", replayedByAttacker["reason"]);
        Assert.Equal(0, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE external_id = '{victimsChannel.Id}'"));

        // A cookie under the right name with another value (another flow's, or made up) does not match either.
        var (other, otherChallenge, _) = await AuthorizeAsync(attacker);
        var cookieName = startingBrowserCookies[other].Split('=')[0];
        var forged = await CallbackAsync(
            $"?code={api.Outside.Consent(otherChallenge, victimsChannel)}&state={Uri.EscapeDataString(other)}", $"{cookieName}={new string('A', 43)}");
        Assert.Equal("browser_mismatch", forged["reason"]);
        Assert.Equal(0, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE external_id = '{victimsChannel.Id}'"));
    }

    [Fact]
    public async Task The_browser_binding_cookie_is_httponly_lax_path_scoped_short_lived_and_cleared_by_the_callback()
    {
        // As an SPA on another origin calls it: fetch(..., {method: "POST", credentials: "include"}).
        using var client = api.CreateClient(Guid.NewGuid());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/me/platforms/youtube/authorize");
        request.Headers.Add("Origin", VerificationHost.AppOrigin);
        using var authorize = await client.SendAsync(request);
        Assert.Equal(VerificationHost.AppOrigin, Assert.Single(authorize.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal("true", Assert.Single(authorize.Headers.GetValues("Access-Control-Allow-Credentials"))); // so the browser keeps the cookie
        var state = QueryHelpers.ParseQuery(new Uri((await JsonAsync(authorize)).GetProperty("authorization_url").GetString()!).Query)["state"].ToString();
        var setCookie = Assert.Single(authorize.Headers.GetValues("Set-Cookie"));
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries);
        var (name, value) = (attributes[0].Split('=')[0], attributes[0].Split('=', 2)[1]);
        startingBrowserCookies[state] = attributes[0];

        Assert.StartsWith("youtube_oauth_", name);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", value);
        Assert.DoesNotContain(state, setCookie);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/api/platforms/youtube/callback", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("max-age=600", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", attributes, StringComparer.OrdinalIgnoreCase); // plain http here; https adds Secure
        Assert.DoesNotContain(attributes, a => a.StartsWith("domain=", StringComparison.OrdinalIgnoreCase));

        using var callback = await CallbackResponseAsync($"?error=access_denied&state={Uri.EscapeDataString(state)}", cookieHeader: null);
        var cleared = Assert.Single(callback.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(name + "=;", cleared);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/api/platforms/youtube/callback", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("access_denied", QueryHelpers.ParseQuery(callback.Headers.Location!.Query)["reason"].ToString());
    }

    [Fact]
    public async Task The_oauth_callback_connects_no_channel_past_the_plans_connects_per_day()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        var connected = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "Connected before");
        var fresh = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "Never connected");
        using (var connect = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = connected.Id }))
        {
            Assert.Equal(HttpStatusCode.Created, connect.StatusCode); // one change of the day
        }

        var limit = TierEntitlements.For(TierEntitlements.Free).MaxPlatformChangesPerDay;
        await using (var connection = await api.DataSource.OpenConnectionAsync())
        {
            Assert.True((await TierEntitlements.TakeDailyAsync(connection, null, userId, DailyAllowance.PlatformChanges, limit - 1)).Allowed);
        }

        var (state, challenge, _) = await AuthorizeAsync(client);
        var outcome = await CallbackAsync($"?code={api.Outside.Consent(challenge, connected, fresh)}&state={Uri.EscapeDataString(state)}");

        Assert.Equal("verified", outcome["youtube_verification"]);
        Assert.Equal(connected.Id, outcome["channels"]); // verifying a connected channel is no change
        Assert.Equal($"{fresh.Id}:daily_limit", outcome["not_verified"]);
        Assert.Equal(0, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE external_id = '{fresh.Id}'"));

        var (onlyFresh, onlyFreshChallenge, _) = await AuthorizeAsync(client);
        var refused = await CallbackAsync($"?code={api.Outside.Consent(onlyFreshChallenge, fresh)}&state={Uri.EscapeDataString(onlyFresh)}");
        Assert.Equal("daily_limit", refused["reason"]);
    }

    [Fact]
    public async Task The_oauth_callback_leaves_no_account_behind_for_a_channel_another_user_verified()
    {
        var channel = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "Owned", "@owned" + Guid.NewGuid().ToString("N")[..8]);
        using var owner = api.CreateClient(Guid.NewGuid());
        var (state, challenge, _) = await AuthorizeAsync(owner);
        Assert.Equal("verified", (await CallbackAsync($"?code={api.Outside.Consent(challenge, channel)}&state={Uri.EscapeDataString(state)}"))["youtube_verification"]);

        var otherId = Guid.NewGuid();
        using var other = api.CreateClient(otherId);
        var (otherState, otherChallenge, _) = await AuthorizeAsync(other);
        var outcome = await CallbackAsync($"?code={api.Outside.Consent(otherChallenge, channel)}&state={Uri.EscapeDataString(otherState)}");
        using var byHandle = await other.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = channel.CustomUrl!.ToUpperInvariant() });

        Assert.Equal("owned_elsewhere", outcome["reason"]);
        Assert.Equal(0, await api.ScalarAsync<long>($"SELECT count(*) FROM platform_account WHERE user_id = '{otherId}'"));
        Assert.Equal(0, await api.ScalarAsync<long>($"SELECT count(*) FROM job_queue WHERE user_id = '{otherId}'"));
        Assert.Equal(HttpStatusCode.Conflict, byHandle.StatusCode);
    }

    [Fact]
    public async Task An_impostors_account_of_the_channels_handle_is_taken_over_when_the_owner_verifies_by_oauth()
    {
        // The impostor connected the victim's @handle; its first sync has not resolved it to the channel id (yet).
        var handle = "@victim" + Guid.NewGuid().ToString("N")[..8];
        var impostorId = Guid.NewGuid();
        using var impostor = api.CreateClient(impostorId);
        JsonElement impostorAccount;
        using (var connect = await impostor.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = handle.ToUpperInvariant() }))
        {
            Assert.Equal(HttpStatusCode.Created, connect.StatusCode);
            impostorAccount = await JsonAsync(connect);
        }

        var impostorAccountId = impostorAccount.GetProperty("id").GetGuid();
        await api.Data.ExecuteAsync(
            """
            INSERT INTO content_item (creator_id, platform_account_id, platform, external_id, title, url, status)
            VALUES (@u, @a, 'youtube', 'handle-video-' || @a::text, 'Copied video', 'https://www.youtube.com/watch?v=x', 'pending_verification')
            """, ("u", impostorId), ("a", impostorAccountId));

        var ownerId = Guid.NewGuid();
        using var owner = api.CreateClient(ownerId);
        var channel = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "The victim's channel", handle);
        var (state, challenge, _) = await AuthorizeAsync(owner);
        var outcome = await CallbackAsync($"?code={api.Outside.Consent(challenge, channel)}&state={Uri.EscapeDataString(state)}");

        Assert.Equal("verified", outcome["youtube_verification"]);
        Assert.False(await api.ScalarAsync<bool>($"SELECT is_active FROM platform_account WHERE id = '{impostorAccountId}'"));
        Assert.Equal("published:True", await api.ScalarAsync<string>(
            $"SELECT status || ':' || (creator_id = '{ownerId}') FROM content_item WHERE external_id = 'handle-video-{impostorAccountId}'"),
            ignoreCase: true);
        Assert.Equal(1, await api.ScalarAsync<long>(
            $"SELECT count(*) FROM audit.mt_events WHERE data ->> 'PlatformAccountId' = '{impostorAccountId}' AND mt_dotnet_type LIKE '%PlatformAccountTakenOver%'"));
    }

    [Fact]
    public async Task An_authorize_flood_keeps_at_most_five_states_of_a_user_and_the_newest_still_works()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        var states = new List<(string State, string Challenge)>();
        for (var i = 0; i < 8; i++)
        {
            var (state, challenge, _) = await AuthorizeAsync(client);
            states.Add((state, challenge));
        }

        Assert.Equal(5, await api.ScalarAsync<long>($"SELECT count(*) FROM youtube_oauth_state WHERE user_id = '{userId}'"));
        var channel = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "Flood");
        var oldest = await CallbackAsync($"?code={api.Outside.Consent(states[0].Challenge, channel)}&state={Uri.EscapeDataString(states[0].State)}");
        var newest = await CallbackAsync($"?code={api.Outside.Consent(states[^1].Challenge, channel)}&state={Uri.EscapeDataString(states[^1].State)}");
        Assert.Equal("invalid_state", oldest["reason"]);
        Assert.Equal("verified", newest["youtube_verification"]);
    }

    [Fact]
    public async Task A_verify_flood_is_answered_429_with_retry_after()
    {
        using var client = api.CreateClient(Guid.NewGuid());
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 11; i++)
        {
            last?.Dispose();
            last = await client.PostAsync($"/api/me/platforms/{Guid.NewGuid()}/verify", null);
            statuses.Add(last.StatusCode);
        }

        using (last)
        {
            Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.NotFound, s));
            Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
            Assert.Equal("application/problem+json", last!.Content.Headers.ContentType?.MediaType);
            Assert.True(last.Headers.RetryAfter is not null, "no Retry-After");
        }

        // Another user's budget is their own.
        using var someoneElse = api.CreateClient(Guid.NewGuid());
        using var theirs = await someoneElse.PostAsync($"/api/me/platforms/{Guid.NewGuid()}/verify", null);
        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
    }

    [Fact]
    public async Task Two_users_verifying_one_feed_at_once_end_with_one_owner_and_a_conflict_not_a_deadlock()
    {
        var path = "/race/feed.xml";
        var (firstUser, _, firstAccount, _) = await FeedAccountAsync(path);
        var (secondUser, _, secondAccount, _) = await FeedAccountAsync(path);

        // A third verify of the same source holds its lock; both verifies queue behind it, each with its own row in hand
        // (as a feed and its home page fetched at the same moment would have them).
        await using var holder = await api.DataSource.OpenConnectionAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand(
            "SELECT pg_advisory_xact_lock(hashtextextended('platform_source:feed' || chr(10) || platform_source_key('feed', @url), 0))", holder, hold))
        {
            take.Parameters.AddWithValue("url", api.Outside.Url(path));
            await take.ExecuteNonQueryAsync();
        }

        var first = VerifyInSqlAsync(firstUser, firstAccount.GetProperty("id").GetGuid());
        await WaitForLockWaitersAsync(1);
        var second = VerifyInSqlAsync(secondUser, secondAccount.GetProperty("id").GetGuid());
        await WaitForLockWaitersAsync(2);
        await hold.CommitAsync();
        var outcomes = await Task.WhenAll(first, second);

        Assert.Equal(["ok", PostgresErrorCodes.UniqueViolation], outcomes);
        Assert.Equal(1, await api.ScalarAsync<long>(
            $"SELECT count(*) FROM platform_account WHERE external_id = '{api.Outside.Url(path)}' AND verification_status = 'verified'"));
    }

    private async Task<string> VerifyInSqlAsync(Guid userId, Guid accountId)
    {
        await using var connection = await api.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        try
        {
            await using var command = new NpgsqlCommand(
                """
                SET LOCAL ROLE app_user;
                SELECT set_config('app.user_id', @user, true);
                SELECT * FROM verify_platform_account(@id, 'feed_description');
                """, connection, transaction);
            command.Parameters.AddWithValue("user", userId.ToString());
            command.Parameters.AddWithValue("id", accountId);
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return "ok";
        }
        catch (PostgresException error)
        {
            return error.SqlState;
        }
    }

    private async Task WaitForLockWaitersAsync(int count)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await api.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") >= count)
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"fewer than {count} sessions wait for a lock");
    }

    [Theory]
    [InlineData("?state=a&state=b&code=c&code=d")]
    [InlineData("?state=&code=")]
    [InlineData("?code=%00%ff&state=%ef%bf%bf%00")]
    [InlineData("?error=%00&error_description=x&state=y")]
    [InlineData("?state[]=x&code[a]=y")]
    public async Task Odd_callback_queries_end_in_an_error_redirect_or_a_400_problem_never_a_500(string query)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = api.BaseAddress };
        using var response = await browser.GetAsync("/api/platforms/youtube/callback" + query + "&state_extra=" + new string('s', 3000));

        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            // Text no browser sends (a NUL, a lone surrogate) is refused before any endpoint runs.
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return;
        }

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var outcome = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("error", outcome["youtube_verification"].ToString());
        Assert.Equal("invalid_state", outcome["reason"].ToString());
    }

    [Fact]
    public async Task Odd_json_on_connect_and_verify_is_a_4xx_problem_never_a_500()
    {
        using var client = api.CreateClient(Guid.NewGuid());
        string[] bodies =
        [
            "[]", "null", "\"feed\"", "{\"platform\":1}", "{\"platform\":\"feed\",\"url\":[\"x\"]}", "{\"platform\":\"feed\",\"url\":\"javascript:alert(1)\"}",
"{\"platform\":\"youtube\",\"channel\":\"\\u0000\"}", "{\"platform\":\"youtube\",\"channel\":{}}",
            "{\"platform\":\"feed\",\"url\":\"http://a\\ud800.example/\"}", "{", "{\"platform\":\"feed\",\"url\":\"" + new string('a', 100_000) + "\"}",
        ];
        foreach (var body in bodies)
        {
            using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            using var response = await client.PostAsync("/api/me/platforms", content);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{body[..Math.Min(body.Length, 60)]}: {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        foreach (var id in new[] { "not-a-uuid", "%00", new string('9', 500) })
        {
            using var response = await client.PostAsync($"/api/me/platforms/{id}/verify", null);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{id}: {response.StatusCode}");
        }
    }
}
