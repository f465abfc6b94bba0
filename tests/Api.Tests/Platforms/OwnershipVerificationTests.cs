using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Platforms;

/// <summary>The Api with the fake Google/YouTube/feed origin configured (OAuth client, token endpoint, API base; private addresses allowed for the fake).</summary>
public sealed class VerificationHost : ApiHost
{
    public DiscoveryData Data => new(DataSource);

    public const string ReturnUrl = "https://app.example/settings/platforms";

    public FakeGoogleAndFeeds Outside { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Outside = await FakeGoogleAndFeeds.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Discovery:CacheKeyPrefix"] = $"test:{Guid.NewGuid():N}:";
        settings["Ingestion:AllowPrivateNetworks"] = "true";
        settings["YouTube:ApiBase"] = Outside.YouTubeApiBase;
        settings["YouTube:OAuth:ClientId"] = FakeGoogleAndFeeds.ClientId;
        settings["YouTube:OAuth:ClientSecret"] = FakeGoogleAndFeeds.ClientSecret;
        settings["YouTube:OAuth:AuthorizationEndpoint"] = Outside.AuthorizationEndpoint;
        settings["YouTube:OAuth:TokenEndpoint"] = Outside.TokenEndpoint;
        settings["YouTube:OAuth:ReturnUrl"] = ReturnUrl;
        settings["Cors:AllowedOrigins"] = AppOrigin;
    }

    /// <summary>The creator-facing app (an SPA on another origin) that calls the authorize endpoint with credentials.</summary>
    public const string AppOrigin = "https://app.example";

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Outside.DisposeAsync();
    }
}

/// <summary>
/// Issue 12 §1 over real HTTP against a real database: feed verification by token (RSS description, Atom subtitle,
/// home page meta, absent), YouTube verification by OAuth 2.0 + PKCE against a fake Google, content hidden until
/// verified then shown without a re-sync, the verified owner's takeover, and the 409 for a source someone else proved.
/// </summary>
public partial class OwnershipVerificationTests(VerificationHost api) : IClassFixture<VerificationHost>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<JsonElement> ConnectFeedAsync(HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "feed", url });
        var json = await JsonAsync(response);
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    private string Rss(string description, string? link = null) =>
        $"""
        <?xml version="1.0" encoding="utf-8"?>
        <rss version="2.0"><channel><title>My blog</title>{(link is null ? "" : $"<link>{link}</link>")}
        <description>{description}</description>
        <item><title>Post</title><link>https://blog.example/post</link><guid>post-1</guid></item></channel></rss>
        """;

    private async Task<(Guid UserId, HttpClient Client, JsonElement Account, string Token)> FeedAccountAsync(string path)
    {
        var userId = Guid.NewGuid();
        var client = api.CreateClient(userId);
        var account = await ConnectFeedAsync(client, api.Outside.Url(path));
        var verification = account.GetProperty("verification");
        Assert.Equal("unverified", verification.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, verification.GetProperty("method").ValueKind);
        Assert.Equal(JsonValueKind.Null, verification.GetProperty("verified_at").ValueKind);
        return (userId, client, account, verification.GetProperty("token").GetString()!);
    }

    private static async Task<JsonElement> VerifyAsync(HttpClient client, Guid accountId, HttpStatusCode expected)
    {
        using var response = await client.PostAsync($"/api/me/platforms/{accountId}/verify", null);
        var json = await JsonAsync(response);
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {json}");
        return json;
    }

    [Fact]
    public async Task Each_account_has_its_own_unguessable_token_shown_in_the_list_and_by_id()
    {
        var (_, client, account, token) = await FeedAccountAsync("/tokens/a.xml");
        var other = await ConnectFeedAsync(client, api.Outside.Url("/tokens/b.xml"));
        var id = account.GetProperty("id").GetGuid();

        using var byId = await client.GetAsync($"/api/me/platforms/{id}");
        using var list = await client.GetAsync("/api/me/platforms");
        using var someoneElse = await api.CreateClient(Guid.NewGuid()).GetAsync($"/api/me/platforms/{id}");

        Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
        Assert.Equal(token, (await JsonAsync(byId)).GetProperty("verification").GetProperty("token").GetString());
        Assert.All((await JsonAsync(list)).GetProperty("items").EnumerateArray(), a => Assert.Equal("unverified", a.GetProperty("verification").GetProperty("status").GetString()));
        Assert.NotEqual(token, other.GetProperty("verification").GetProperty("token").GetString());
        Assert.Matches("^pv-[0-9a-f]{64}$", token);
        Assert.Equal(HttpStatusCode.NotFound, someoneElse.StatusCode);
    }

    [Fact]
    public async Task A_token_in_the_rss_channel_description_verifies_the_feed()
    {
        var (_, client, account, token) = await FeedAccountAsync("/rss/feed.xml");
        api.Outside.Documents["/rss/feed.xml"] = ("application/rss+xml", Rss($"&lt;p&gt;Notes on things. {token}&lt;/p&gt;"));

        var verified = await VerifyAsync(client, account.GetProperty("id").GetGuid(), HttpStatusCode.OK);

        var verification = verified.GetProperty("verification");
        Assert.Equal("verified", verification.GetProperty("status").GetString());
        Assert.Equal("feed_description", verification.GetProperty("method").GetString());
        Assert.True(verification.GetProperty("verified_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task A_token_in_the_atom_subtitle_verifies_the_feed()
    {
        var (_, client, account, token) = await FeedAccountAsync("/atom/feed.xml");
        api.Outside.Documents["/atom/feed.xml"] = ("application/atom+xml",
            $"""
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom"><title>Atom blog</title><subtitle type="html">Written by me &lt;b&gt;{token}&lt;/b&gt;</subtitle>
            <id>urn:uuid:1</id><updated>2026-01-01T00:00:00Z</updated></feed>
            """);

        var verified = await VerifyAsync(client, account.GetProperty("id").GetGuid(), HttpStatusCode.OK);

        Assert.Equal("feed_description", verified.GetProperty("verification").GetProperty("method").GetString());
    }

    [Fact]
    public async Task A_meta_tag_on_the_feeds_home_page_verifies_the_feed()
    {
        var (_, client, account, token) = await FeedAccountAsync("/meta/feed.xml");
        api.Outside.Documents["/meta/feed.xml"] = ("application/rss+xml", Rss("No token here", link: api.Outside.Url("/meta/")));
        api.Outside.Documents["/meta/"] = ("text/html; charset=utf-8",
            $"""<!doctype html><html><head><title>Home</title><META name="Platform-Verification" content="{token}"></head><body>hi</body></html>""");

        var verified = await VerifyAsync(client, account.GetProperty("id").GetGuid(), HttpStatusCode.OK);

        Assert.Equal("feed_home_page_meta", verified.GetProperty("verification").GetProperty("method").GetString());
    }

    [Fact]
    public async Task No_token_anywhere_answers_422_saying_where_it_looked_and_the_account_stays_unverified()
    {
        var (_, client, account, token) = await FeedAccountAsync("/absent/feed.xml");
        api.Outside.Documents["/absent/feed.xml"] = ("application/rss+xml", Rss("pv-someone-elses-token", link: api.Outside.Url("/absent/")));
        api.Outside.Documents["/absent/"] = ("text/html", """<html><head><meta name="platform-verification" content="pv-wrong"></head></html>""");
        var id = account.GetProperty("id").GetGuid();

        var problem = await VerifyAsync(client, id, HttpStatusCode.UnprocessableEntity);
        using var missing = await client.PostAsync($"/api/me/platforms/{Guid.NewGuid()}/verify", null);
        api.Outside.Documents.TryRemove("/absent/feed.xml", out _);
        var gone = await VerifyAsync(client, id, HttpStatusCode.UnprocessableEntity);

        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(token, detail);
        Assert.Contains("description", detail);
        Assert.Contains(api.Outside.Url("/absent/"), detail);
        Assert.Equal(2, problem.GetProperty("looked_at").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("404", gone.GetProperty("detail").GetString());
        Assert.DoesNotContain("127.0.0.1", gone.GetProperty("detail").GetString());
        Assert.Equal("unverified", await api.ScalarAsync<string>($"SELECT verification_status FROM platform_account WHERE id = '{id}'"));
    }

    [Fact]
    public async Task Imported_content_is_hidden_from_every_public_path_until_verification_then_shown_without_a_resync()
    {
        var (userId, client, account, token) = await FeedAccountAsync("/hidden/feed.xml");
        var id = account.GetProperty("id").GetGuid();
        var username = "hid" + Guid.NewGuid().ToString("N")[..10];
        await api.Data.ExecuteAsync("UPDATE users SET username = @u, is_public = true WHERE id = @id", ("u", username), ("id", userId));
        // What the Workers import for an unverified account (see Workers.Tests OwnershipIngestionTests).
        var slug = await api.ScalarAsync<string>(
            $"""
            INSERT INTO content_item (creator_id, platform_account_id, platform, external_id, title, description, url, status, published_at)
            VALUES ('{userId}', '{id}', 'feed', 'hidden-{id}', 'Zanzibarian hidden post', 'text', 'https://blog.example/p', 'pending_verification', now())
            RETURNING slug
            """);
        await api.ScalarAsync<int>("SELECT refresh_search_words()");
        using var anonymous = api.CreateClient();

        async Task<Dictionary<string, bool>> VisibleAsync()
        {
            async Task<string> Text(string path)
            {
                using var response = await anonymous.GetAsync(path);
                return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : string.Empty;
            }

            return new Dictionary<string, bool>
            {
                ["content"] = (await Text($"/api/public/content/{slug}")).Contains(slug!),
                ["list"] = (await Text("/api/public/content?limit=50")).Contains(slug!),
                ["creator"] = (await Text($"/api/public/creators/{username}")).Contains(slug!),
                ["search"] = (await Text("/api/public/search?q=zanzibarian")).Contains(slug!),
                ["page"] = (await Text($"/c/{slug}")).Contains("Zanzibarian"),
                ["creator_page"] = (await Text($"/@{username}")).Contains("Zanzibarian"),
                ["sitemap"] = (await Text("/sitemaps/content-1.xml")).Contains(slug!),
            };
        }

        var before = await VisibleAsync();
        api.Outside.Documents["/hidden/feed.xml"] = ("application/rss+xml", Rss(token));
        await VerifyAsync(client, id, HttpStatusCode.OK);
        var after = await VisibleAsync();
        var deadline = DateTime.UtcNow.AddSeconds(6); // pages at once; lists within one debounced flush (Discovery:ListFlushSeconds)
        while (after.Values.Any(v => !v) && DateTime.UtcNow < deadline)
        {
            Assert.True(after["content"] && after["page"] && after["creator"] && after["creator_page"], "the creator's pages were not evicted at once");
            await Task.Delay(200);
            after = await VisibleAsync();
        }

        Assert.All(before, p => Assert.False(p.Value, $"{p.Key} showed an unverified account's item"));
        Assert.True(after["content"] && after["list"] && after["creator"] && after["search"] && after["page"] && after["creator_page"] && after["sitemap"],
            string.Join(", ", after.Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal("published", await api.ScalarAsync<string>($"SELECT status FROM content_item WHERE slug = '{slug}'"));
    }

    [Fact]
    public async Task The_verified_owner_takes_over_an_unverified_importers_items_and_a_third_user_gets_409()
    {
        var path = "/takeover/feed.xml";
        var (impostorId, impostor, impostorAccount, _) = await FeedAccountAsync(path);
        var impostorAccountId = impostorAccount.GetProperty("id").GetGuid();
        await api.Data.ExecuteAsync(
            """
            INSERT INTO content_item (creator_id, platform_account_id, platform, external_id, title, url, status)
            VALUES (@u, @a, 'feed', 'takeover-1-' || @a::text, 'Stolen 1', 'https://blog.example/1', 'pending_verification'),
                   (@u, @a, 'feed', 'takeover-2-' || @a::text, 'Stolen 2', 'https://blog.example/2', 'published')
            """, ("u", impostorId), ("a", impostorAccountId));

        var ownerId = Guid.NewGuid();
        using var owner = api.CreateClient(ownerId);
        var ownerAccount = await ConnectFeedAsync(owner, api.Outside.Url(path));
        var ownerAccountId = ownerAccount.GetProperty("id").GetGuid();
        api.Outside.Documents[path] = ("application/rss+xml", Rss(ownerAccount.GetProperty("verification").GetProperty("token").GetString()!));
        await VerifyAsync(owner, ownerAccountId, HttpStatusCode.OK);

        var moved = await api.ScalarAsync<string[]>(
            $"SELECT array_agg(status || ':' || (creator_id = '{ownerId}') || ':' || (platform_account_id = '{ownerAccountId}') ORDER BY title) FROM content_item WHERE external_id LIKE 'takeover-%-{impostorAccountId}'");
        Assert.Equal(["published:true:true", "published:true:true"], moved!);
        Assert.False(await api.ScalarAsync<bool>($"SELECT is_active FROM platform_account WHERE id = '{impostorAccountId}'"));
        var audit = await api.ScalarAsync<string[]>(
            $"SELECT array_agg(mt_dotnet_type ORDER BY seq_id) FROM audit.mt_events WHERE data ->> 'PlatformAccountId' IN ('{impostorAccountId}', '{ownerAccountId}')");
        Assert.Contains(audit!, t => t.Contains("PlatformAccountVerified"));
        Assert.Contains(audit!, t => t.Contains("PlatformAccountTakenOver"));

        // The impostor's own token cannot win it back, and nobody else can connect it.
        var third = api.CreateClient(Guid.NewGuid());
        var conflict = await ConnectFeedAsync(third, api.Outside.Url(path), HttpStatusCode.Conflict);
        api.Outside.Documents[path] = ("application/rss+xml", Rss(impostorAccount.GetProperty("verification").GetProperty("token").GetString()!));
        var refused = await VerifyAsync(impostor, impostorAccountId, HttpStatusCode.Conflict);
        Assert.Contains("verified by another", conflict.GetProperty("detail").GetString());
        Assert.Contains("verified by another", refused.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_youtube_account_is_pointed_to_the_oauth_flow()
    {
        using var client = api.CreateClient(Guid.NewGuid());
        using var connect = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = "UC" + new string('y', 22) });
        var id = (await JsonAsync(connect)).GetProperty("id").GetGuid();

        var problem = await VerifyAsync(client, id, HttpStatusCode.BadRequest);

        Assert.Contains("/api/me/platforms/youtube/authorize", problem.GetProperty("detail").GetString());
    }

    /// <summary>State → the <c>Cookie</c> header of the browser that asked for it (what the authorize response set there).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> startingBrowserCookies = new();

    /// <summary><c>POST /api/me/platforms/youtube/authorize</c> from the user's browser; remembers the cookie it set there.</summary>
    private async Task<(string State, string Challenge, Uri Url)> AuthorizeAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/api/me/platforms/youtube/authorize", null);
        var json = await JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
        var url = new Uri(json.GetProperty("authorization_url").GetString()!);
        var query = QueryHelpers.ParseQuery(url.Query);
        var state = query["state"].ToString();
        if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            startingBrowserCookies[state] = string.Join("; ", cookies.Select(c => c.Split(';')[0]));
        }

        return (state, query["code_challenge"].ToString(), url);
    }

    /// <summary>
    /// Google's redirect to the callback, in the browser that started the state's authorization (with the cookie the
    /// authorize response set there) unless <paramref name="cookieHeader"/> says which cookies this browser sends
    /// (<see cref="NoCookies"/>: another browser); returns the outcome the Api redirects to.
    /// </summary>
    private async Task<Dictionary<string, string>> CallbackAsync(string query, string? cookieHeader = null)
    {
        using var response = await CallbackResponseAsync(query, cookieHeader);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.StartsWith(VerificationHost.ReturnUrl + "?", location.ToString());
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(q => q.Key, q => q.Value.ToString());
    }

    private const string NoCookies = "";

    private async Task<HttpResponseMessage> CallbackResponseAsync(string query, string? cookieHeader)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var browser = new HttpClient(handler) { BaseAddress = api.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/platforms/youtube/callback" + query);
        var state = QueryHelpers.ParseQuery(query).TryGetValue("state", out var value) ? value.ToString() : string.Empty;
        cookieHeader ??= startingBrowserCookies.TryGetValue(state, out var started) ? started : NoCookies;
        if (cookieHeader.Length > 0)
        {
            request.Headers.Add("Cookie", cookieHeader);
        }

        return await browser.SendAsync(request);
    }

    [Fact]
    public async Task Youtube_oauth_with_pkce_verifies_every_channel_of_the_google_account_connecting_the_missing_ones()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        var handleAccount = await (await client.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = "@MyChannel" })).Content.ReadFromJsonAsync<JsonElement>();
        var (state, challenge, url) = await AuthorizeAsync(client);
        var first = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "My channel", "@mychannel");
        var second = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "Second channel");

        var query = QueryHelpers.ParseQuery(url.Query);
        Assert.StartsWith(api.Outside.AuthorizationEndpoint, url.GetLeftPart(UriPartial.Path));
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal("select_account consent", query["prompt"]);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("https://www.googleapis.com/auth/youtube.readonly", query["scope"]);
        Assert.Equal(FakeGoogleAndFeeds.ClientId, query["client_id"]);
        Assert.EndsWith("/api/platforms/youtube/callback", query["redirect_uri"].ToString());

        var code = api.Outside.Consent(challenge, first, second);
        var outcome = await CallbackAsync($"?code={code}&state={Uri.EscapeDataString(state)}");

        Assert.Equal("verified", outcome["youtube_verification"]);
        Assert.Equal(new[] { first.Id, second.Id }.Order(), outcome["channels"].Split(',').Order());
        var accounts = (await JsonAsync(await client.GetAsync("/api/me/platforms"))).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, accounts.Count); // the @handle account was verified, the second channel connected
        Assert.All(accounts, a => Assert.Equal("youtube_oauth", a.GetProperty("verification").GetProperty("method").GetString()));
        Assert.Contains(accounts, a => a.GetProperty("id").GetGuid() == handleAccount.GetProperty("id").GetGuid());
        Assert.Contains(accounts, a => a.GetProperty("external_id").GetString() == second.Id && a.GetProperty("sync_job_id").ValueKind == JsonValueKind.String);
        Assert.Equal(0, await api.ScalarAsync<long>($"SELECT count(*) FROM youtube_oauth_state WHERE user_id = '{userId}'"));
        Assert.Contains(api.Outside.ChannelRequests, h => h is not null && h.StartsWith("Bearer ya29.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_state_works_once_and_only_for_ten_minutes_and_errors_from_google_end_in_an_error_redirect()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        var channel = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "Reuse");

        var (state, challenge, _) = await AuthorizeAsync(client);
        var used = await CallbackAsync($"?code={api.Outside.Consent(challenge, channel)}&state={Uri.EscapeDataString(state)}");
        var reused = await CallbackAsync($"?code={api.Outside.Consent(challenge, channel)}&state={Uri.EscapeDataString(state)}");

        var (expiring, expiringChallenge, _) = await AuthorizeAsync(client);
        await api.ScalarAsync<int>($"UPDATE youtube_oauth_state SET expires_at = now() - interval '1 second' WHERE user_id = '{userId}'");
        var expired = await CallbackAsync($"?code={api.Outside.Consent(expiringChallenge, channel)}&state={Uri.EscapeDataString(expiring)}");

        var (denied, _, _) = await AuthorizeAsync(client);
        var deniedOutcome = await CallbackAsync($"?error=access_denied&state={Uri.EscapeDataString(denied)}");

        var (wrongVerifier, _, _) = await AuthorizeAsync(client);
        var badPkce = await CallbackAsync($"?code={api.Outside.Consent("not-the-challenge", channel)}&state={Uri.EscapeDataString(wrongVerifier)}");

        var forged = await CallbackAsync($"?code=x&state={new string('A', 43)}");
        var nothing = await CallbackAsync(string.Empty);

        Assert.Equal("verified", used["youtube_verification"]);
        Assert.Equal(new Dictionary<string, string> { ["youtube_verification"] = "error", ["reason"] = "invalid_state" }, reused);
        Assert.Equal("invalid_state", expired["reason"]);
        Assert.Equal("access_denied", deniedOutcome["reason"]);
        Assert.Equal("token_exchange_failed", badPkce["reason"]);
        Assert.Equal("invalid_state", forged["reason"]);
        Assert.Equal("invalid_state", nothing["reason"]);
    }

    [Fact]
    public async Task A_channel_verified_by_another_user_is_refused_on_connect_and_in_oauth()
    {
        var channel = new FakeChannel("UC" + Guid.NewGuid().ToString("N")[..22], "Owned");
        using var owner = api.CreateClient(Guid.NewGuid());
        var (state, challenge, _) = await AuthorizeAsync(owner);
        Assert.Equal("verified", (await CallbackAsync($"?code={api.Outside.Consent(challenge, channel)}&state={Uri.EscapeDataString(state)}"))["youtube_verification"]);

        using var other = api.CreateClient(Guid.NewGuid());
        using var connect = await other.PostAsJsonAsync("/api/me/platforms", new { platform = "youtube", channel = channel.Id });
        var (otherState, otherChallenge, _) = await AuthorizeAsync(other);
        var outcome = await CallbackAsync($"?code={api.Outside.Consent(otherChallenge, channel)}&state={Uri.EscapeDataString(otherState)}");

        Assert.Equal(HttpStatusCode.Conflict, connect.StatusCode);
        Assert.Equal("application/problem+json", connect.Content.Headers.ContentType?.MediaType);
        Assert.Equal("owned_elsewhere", outcome["reason"]);
    }
}

/// <summary>Without an OAuth client the authorize endpoint says so (503 problem), instead of a broken URL.</summary>
public class YouTubeOAuthNotConfiguredTests(ApiHost api) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Authorize_answers_503_problem_with_a_type()
    {
        using var client = api.CreateClient(Guid.NewGuid());

        using var response = await client.PostAsync("/api/me/platforms/youtube/authorize", null);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("https://platform.example/problems/youtube-oauth-not-configured", problem.GetProperty("type").GetString());
    }
}
