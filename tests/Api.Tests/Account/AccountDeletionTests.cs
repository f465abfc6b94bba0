using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Api.Tests.Billing;
using Platform.Core.Audit;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Account;

/// <summary><c>DELETE /api/me</c> and <c>GET /api/me/export</c> against a real database and a fake Stripe.</summary>
public class AccountDeletionTests(BillingApiHost api) : IClassFixture<BillingApiHost>
{
    /// <summary>A creator with a public profile, a connected feed, two published items (tags, media, clicks, trending),
    /// a job, a featured entry, a live paid subscription and a billing record. Every text carries <paramref name="marker"/>.</summary>
    private async Task<(Guid UserId, string Username, List<string> Slugs, string SubscriptionId)> SeedCreatorAsync(string marker)
    {
        var userId = Guid.NewGuid();
        var username = "del_" + marker;
        using var client = api.CreateClient(userId);
        using var profile = await client.PatchAsync("/api/me/profile", new StringContent(
            $$"""{"username":"{{username}}","display_name":"Name {{marker}}","bio":"Bio {{marker}}","website_url":"https://{{marker}}.example.com","social_links":{"x":"https://x.com/{{marker}}"},"is_public":true}""",
            Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, profile.StatusCode);
        using var connect = await client.PostAsJsonAsync("/api/me/platforms", new { platform = "feed", url = $"https://{marker}.example.com/feed.xml" });
        Assert.Equal(HttpStatusCode.Created, connect.StatusCode);
        var accountId = JsonDocument.Parse(await connect.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        var slugs = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var itemId = await api.ScalarAsync<Guid>($"""
                INSERT INTO content_item (creator_id, platform_account_id, platform, external_id, title, description, url, status, published_at)
                VALUES ('{userId}', '{accountId}', 'feed', 'https://{marker}.example.com/{i}', 'Title {marker} {i}', 'About {marker}',
                        'https://{marker}.example.com/{i}', 'published', now() - interval '1 hour')
                RETURNING id
                """);
            slugs.Add((await api.ScalarAsync<string>($"SELECT slug FROM content_item WHERE id = '{itemId}'"))!);
            await api.ScalarAsync<int>($"""
                INSERT INTO content_tag (content_id, tag, source) VALUES ('{itemId}', 'tag{marker}', 'platform');
                INSERT INTO content_media (content_id, kind, url) VALUES ('{itemId}', 'thumbnail', 'https://{marker}.example.com/{i}.jpg');
                INSERT INTO content_click (content_id, visitor_hash, referrer) VALUES ('{itemId}', '\x01', 'https://{marker}.example.com/');
                INSERT INTO content_click_hourly (content_id, hour, clicks) VALUES ('{itemId}', date_trunc('hour', now()), 1);
                INSERT INTO trending_content (content_id, time_window, score, click_count, rank) VALUES ('{itemId}', '24h', 1, 1, 1);
                SELECT 1
                """);
        }

        // Billing records are kept on purpose, so their Stripe ids do not carry the marker.
        var subscriptionId = "sub_" + Guid.NewGuid().ToString("N")[..14];
        var customerId = "cus_" + Guid.NewGuid().ToString("N")[..14];
        var jobPayload = new JsonObject { ["note"] = marker }.ToJsonString();
        await api.ScalarAsync<int>($"""
            UPDATE users SET email = '{marker}@example.com' WHERE id = '{userId}';
            UPDATE subscription SET tier = 'pro', status = 'active', stripe_customer_id = '{customerId}', stripe_subscription_id = '{subscriptionId}',
                   stripe_price_id = '{StripeFixtures.ProPrice}', current_period_end = now() + interval '20 days'
            WHERE user_id = '{userId}';
            INSERT INTO billing_audit (action, user_id, actor, message) VALUES ('subscription_changed', '{userId}', 'stripe', 'free -> pro');
            INSERT INTO featured_creator (user_id, position, note) VALUES ('{userId}', 1, 'Featured {marker}');
            INSERT INTO job_queue (user_id, job_type, payload) VALUES ('{userId}', 'echo', '{jobPayload}');
            SELECT 1
            """);
        api.Stripe.SetSubscription(new JsonObject
        {
            ["id"] = subscriptionId,
            ["object"] = "subscription",
            ["customer"] = customerId,
            ["status"] = "active",
            ["cancel_at_period_end"] = false,
            ["created"] = FakeStripe.Now(),
            ["items"] = new JsonObject { ["object"] = "list", ["data"] = new JsonArray() },
        });
        return (userId, username, slugs, subscriptionId);
    }

    /// <summary>Rows of any table in schema public whose text holds <paramref name="marker"/>, by table.</summary>
    private async Task<Dictionary<string, long>> RowsMentioningAsync(string marker)
    {
        var found = new Dictionary<string, long>();
        await using var tables = api.DataSource.CreateCommand(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname IN ('public', 'audit') ORDER BY 1");
        var names = new List<string>();
        await using (var reader = await tables.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        foreach (var table in names)
        {
            var schema = await api.ScalarAsync<string>($"SELECT schemaname::text FROM pg_tables WHERE quote_ident(tablename) = '{table.Replace("'", "''")}' LIMIT 1");
            var count = await api.ScalarAsync<long>($"SELECT count(*) FROM {schema}.{table} t WHERE t::text ILIKE '%{marker}%'");
            if (count > 0)
            {
                found[table] = count;
            }
        }

        return found;
    }

    [Fact]
    public async Task Deleting_an_account_cancels_at_period_end_leaves_nothing_of_the_user_readable_and_its_pages_answer_410()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        var other = await SeedCreatorAsync(Guid.NewGuid().ToString("N")[..12]);
        var (userId, username, slugs, subscriptionId) = await SeedCreatorAsync(marker);
        using var anonymous = api.CreateClient();
        using var client = api.CreateClient(userId);
        using (var before = await anonymous.GetAsync($"/@{username}"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        Assert.Contains(marker, await anonymous.GetStringAsync("/api/public/content?limit=100"));
        Assert.NotEmpty(await RowsMentioningAsync(marker));

        using var deleted = await client.DeleteAsync("/api/me");
        using var again = await client.DeleteAsync("/api/me");
        using var me = await client.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, me.StatusCode);

        // Stripe: canceled at period end, once.
        var updates = api.Stripe.RequestsTo("POST", $"/v1/subscriptions/{subscriptionId}").ToList();
        Assert.Single(updates);
        Assert.Equal("true", updates[0].Form["cancel_at_period_end"]);
        Assert.Empty(api.Stripe.RequestsTo("DELETE", $"/v1/subscriptions/{subscriptionId}"));

        // The public site: 410 for the profile and the items, nothing in lists, search or sitemaps.
        foreach (var path in new[] { $"/@{username}", $"/api/public/creators/{username}", $"/c/{slugs[0]}", $"/api/public/content/{slugs[1]}" })
        {
            using var page = await anonymous.GetAsync(path);
            Assert.True(page.StatusCode == HttpStatusCode.Gone, $"{path}: {(int)page.StatusCode}");
        }

        var search = JsonDocument.Parse(await anonymous.GetStringAsync($"/api/public/search?q=title+{marker}")).RootElement;
        Assert.Empty(search.GetProperty("items").EnumerateArray());
        // Lists follow within one debounced list flush (Discovery:ListFlushSeconds, default 5).
        var listsDeadline = DateTime.UtcNow.AddSeconds(6);
        foreach (var path in new[] { "/api/public/content?limit=100", "/sitemaps/creators-1.xml", "/sitemaps/content-1.xml", "/api/public/creators/featured", "/api/public/trending" })
        {
            string body;
            while ((body = await anonymous.GetStringAsync(path)).Contains(marker, StringComparison.Ordinal) && DateTime.UtcNow < listsDeadline)
            {
                await Task.Delay(100);
            }

            Assert.False(body.Contains(marker, StringComparison.Ordinal), $"{path}: {body}");
        }

        // The database: no row anywhere (public schema and the audit trail) mentions the user's texts; the user row
        // is emptied; the billing records stay; the other creator is untouched.
        Assert.Empty(await RowsMentioningAsync(marker));
        foreach (var sql in new[]
        {
            $"SELECT count(*) FROM content_item WHERE creator_id = '{userId}'",
            $"SELECT count(*) FROM platform_account WHERE user_id = '{userId}'",
            $"SELECT count(*) FROM user_identity WHERE user_id = '{userId}'",
            $"SELECT count(*) FROM job_queue WHERE user_id = '{userId}'",
            $"SELECT count(*) FROM featured_creator WHERE user_id = '{userId}'",
            $"SELECT count(*) FROM users WHERE id = '{userId}' AND (email IS NOT NULL OR username IS NOT NULL OR display_name IS NOT NULL OR bio IS NOT NULL OR website_url IS NOT NULL OR is_public OR social_links <> '{{}}'::jsonb)",
        })
        {
            Assert.True(await api.ScalarAsync<long>(sql) == 0, sql);
        }

        Assert.Equal(subscriptionId, await api.ScalarAsync<string>($"SELECT stripe_subscription_id FROM subscription WHERE user_id = '{userId}'"));
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM billing_audit WHERE user_id = '{userId}'"));
        Assert.Equal(2L, await api.ScalarAsync<long>($"SELECT count(*) FROM content_item WHERE creator_id = '{other.UserId}'"));
        using (var otherPage = await anonymous.GetAsync($"/@{other.Username}"))
        {
            Assert.Equal(HttpStatusCode.OK, otherPage.StatusCode);
        }

        // The audit trail: one account_deleted event (the repeat added none), with what was removed.
        var stream = AuditStreams.Account(userId);
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM audit.mt_events WHERE stream_id = '{stream}'"));
        var data = await api.ScalarAsync<string>($"SELECT data::text FROM audit.mt_events WHERE stream_id = '{stream}'");
        Assert.Contains("cancel_at_period_end", data);
        Assert.Contains(userId.ToString(), data);

        // Nobody can take the username while its 410 lasts.
        using var newcomer = api.CreateClient(Guid.NewGuid());
        using var take = await newcomer.PatchAsync("/api/me/profile", new StringContent($$"""{"username":"{{username}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Conflict, take.StatusCode);
    }

    [Fact]
    public async Task With_cancel_now_the_subscription_is_canceled_at_once()
    {
        var (userId, _, _, subscriptionId) = await SeedCreatorAsync(Guid.NewGuid().ToString("N")[..12]);
        using var client = api.CreateClient(userId);

        using var deleted = await client.DeleteAsync("/api/me?cancel=now");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Single(api.Stripe.RequestsTo("DELETE", $"/v1/subscriptions/{subscriptionId}"));
        Assert.Equal("canceled", (string?)api.Stripe.GetSubscription(subscriptionId)!["status"]);
    }

    [Fact]
    public async Task Every_live_stripe_subscription_of_the_user_is_canceled_not_only_the_plans_one()
    {
        var (userId, _, _, planSubscription) = await SeedCreatorAsync(Guid.NewGuid().ToString("N")[..12]);
        var customerId = await api.ScalarAsync<string>($"SELECT stripe_customer_id FROM subscription WHERE user_id = '{userId}'");
        var second = "sub_" + Guid.NewGuid().ToString("N")[..14];
        var ended = "sub_" + Guid.NewGuid().ToString("N")[..14];
        await api.ScalarAsync<int>($"""
            INSERT INTO stripe_subscription (stripe_subscription_id, user_id, stripe_customer_id, tier, status, stripe_price_id, current_period_end)
            VALUES ('{planSubscription}', '{userId}', '{customerId}', 'pro', 'active', '{StripeFixtures.ProPrice}', now() + interval '20 days'),
                   ('{second}', '{userId}', '{customerId}', 'pro', 'past_due', '{StripeFixtures.ProPrice}', now() + interval '5 days'),
                   ('{ended}', '{userId}', '{customerId}', 'free', 'canceled', '{StripeFixtures.ProPrice}', now() - interval '5 days');
            SELECT 1
            """);
        foreach (var (id, status) in new[] { (second, "past_due"), (ended, "canceled") })
        {
            api.Stripe.SetSubscription(new JsonObject
            {
                ["id"] = id, ["object"] = "subscription", ["customer"] = customerId, ["status"] = status,
                ["cancel_at_period_end"] = false, ["created"] = FakeStripe.Now(),
                ["items"] = new JsonObject { ["object"] = "list", ["data"] = new JsonArray() },
            });
        }

        using var client = api.CreateClient(userId);
        using var deleted = await client.DeleteAsync("/api/me?cancel=now");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Single(api.Stripe.RequestsTo("DELETE", $"/v1/subscriptions/{planSubscription}"));
        Assert.Single(api.Stripe.RequestsTo("DELETE", $"/v1/subscriptions/{second}"));
        Assert.Empty(api.Stripe.RequestsTo("DELETE", $"/v1/subscriptions/{ended}"));
        Assert.Equal("canceled", (string?)api.Stripe.GetSubscription(second)!["status"]);
        var data = await api.ScalarAsync<string>($"SELECT data::text FROM audit.mt_events WHERE stream_id = '{AuditStreams.Account(userId)}'");
        Assert.Contains(planSubscription, data);
        Assert.Contains(second, data);
    }

    [Fact]
    public async Task Concurrent_deletions_with_cancel_now_all_answer_204_though_stripe_refuses_the_second_cancel()
    {
        var failures = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            var (userId, _, _, subscriptionId) = await SeedCreatorAsync(Guid.NewGuid().ToString("N")[..12]);
            using var client = api.CreateClient(userId);

            var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                using var response = await client.DeleteAsync("/api/me?cancel=now");
                return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
            }));

            failures.AddRange(responses.Where(r => r.Item1 != 204).Select(r => $"{r.Item1}: {r.Item2}"));
            Assert.Equal("canceled", (string?)api.Stripe.GetSubscription(subscriptionId)!["status"]);
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task When_stripe_fails_nothing_is_deleted_and_a_retry_completes_it()
    {
        var (userId, username, _, _) = await SeedCreatorAsync(Guid.NewGuid().ToString("N")[..12]);
        using var client = api.CreateClient(userId);

        api.Stripe.SubscriptionReadFailures = 1;
        using var failed = await client.DeleteAsync("/api/me");
        var itemsAfterFailure = await api.ScalarAsync<long>($"SELECT count(*) FROM content_item WHERE creator_id = '{userId}'");
        using var retried = await client.DeleteAsync("/api/me");

        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2L, itemsAfterFailure);
        Assert.Equal(HttpStatusCode.NoContent, retried.StatusCode);
        Assert.Equal(0L, await api.ScalarAsync<long>($"SELECT count(*) FROM content_item WHERE creator_id = '{userId}'"));
        Assert.Null(await api.ScalarAsync<string>($"SELECT username FROM users WHERE id = '{userId}'"));
        _ = username;
    }

    [Fact]
    public async Task An_unknown_cancel_mode_answers_400()
    {
        using var client = api.CreateClient(Guid.NewGuid());

        using var response = await client.DeleteAsync("/api/me?cancel=later");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task The_export_streams_my_profile_accounts_content_recent_jobs_and_billing_history_and_nothing_of_anyone_else()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        var (userId, username, slugs, subscriptionId) = await SeedCreatorAsync(marker);
        var stranger = Guid.NewGuid().ToString("N")[..12];
        await SeedCreatorAsync(stranger);
        await api.ScalarAsync<int>($"INSERT INTO job_queue (user_id, job_type, created_at) VALUES ('{userId}', 'old_job', now() - interval '40 days'); SELECT 1");
        using var client = api.CreateClient(userId);

        using var response = await client.GetAsync("/api/me/export", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();
        var export = JsonDocument.Parse(body).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.True(response.Headers.TransferEncodingChunked); // streamed, not buffered
        Assert.Equal(userId, export.GetProperty("user").GetProperty("id").GetGuid());
        Assert.Equal($"{marker}@example.com", export.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(username, export.GetProperty("profile").GetProperty("username").GetString());
        Assert.Equal($"https://x.com/{marker}", export.GetProperty("profile").GetProperty("social_links").GetProperty("x").GetString());
        Assert.Contains(export.GetProperty("identities").EnumerateArray(), i => i.GetProperty("subject").GetString() == userId.ToString());
        Assert.Equal(subscriptionId, export.GetProperty("plan").GetProperty("stripe_subscription_id").GetString());
        Assert.Single(export.GetProperty("platform_accounts").EnumerateArray());
        var content = export.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(slugs.Order(), content.Select(c => c.GetProperty("slug").GetString()!).Order());
        Assert.All(content, c => Assert.Equal("tag" + marker, c.GetProperty("tags")[0].GetProperty("tag").GetString()));
        Assert.All(content, c => Assert.Single(c.GetProperty("media").EnumerateArray()));
        var jobs = export.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("type").GetString()).ToList();
        Assert.Contains("echo", jobs);
        Assert.Contains("sync_feed", jobs);
        Assert.DoesNotContain("old_job", jobs);
        Assert.Contains(export.GetProperty("billing_history").EnumerateArray(), b => b.GetProperty("message").GetString() == "free -> pro");
        Assert.DoesNotContain(stranger, body);
    }
}
