using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.Api.Features.Billing;
using Platform.Api.Http;
using Platform.Core.Billing;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Billing;

/// <summary>The billing API against a fake Stripe API over real HTTP: the exact requests Stripe.net makes are asserted.</summary>
public class BillingApiTests(BillingApiHost api) : IClassFixture<BillingApiHost>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task A_new_user_is_on_the_free_tier_with_its_allowances()
    {
        using var client = api.CreateClient(Guid.NewGuid());

        using var response = await client.GetAsync("/api/billing/subscription");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("free", body.GetProperty("tier").GetString());
        Assert.Equal("free", body.GetProperty("effective_tier").GetString());
        Assert.Equal("active", body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("stripe_customer_id").ValueKind);
        Assert.Equal(TierEntitlements.For("free").MaxPlatformAccounts, body.GetProperty("platform_accounts").GetProperty("limit").GetInt32());
        Assert.Equal(0, body.GetProperty("platform_accounts").GetProperty("used").GetInt32());
        Assert.Equal(TierEntitlements.For("free").MaxConcurrentJobs, body.GetProperty("concurrent_jobs").GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task Billing_endpoints_need_a_signed_in_user()
    {
        using var client = api.CreateClient();

        using var subscription = await client.GetAsync("/api/billing/subscription");
        using var checkout = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });

        Assert.Equal(HttpStatusCode.Unauthorized, subscription.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, checkout.StatusCode);
    }

    [Fact]
    public async Task Checkout_creates_the_customer_once_and_a_subscription_session_with_idempotency_keys()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);

        using var first = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });
        using var again = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });
        using var business = await client.PostAsJsonAsync("/api/billing/checkout", new { price_id = StripeFixtures.BusinessPrice });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var session = await JsonAsync(first);
        var customerId = session.GetProperty("customer_id").GetString()!;
        Assert.StartsWith("https://checkout.stripe.com/", session.GetProperty("url").GetString());
        Assert.Equal("pro", session.GetProperty("tier").GetString());
        Assert.Equal(session.GetProperty("id").GetString(), (await JsonAsync(again)).GetProperty("id").GetString()); // same key → same session
        Assert.Equal(HttpStatusCode.OK, business.StatusCode);
        Assert.Equal(customerId, (await JsonAsync(business)).GetProperty("customer_id").GetString());

        var customerCreates = api.Stripe.RequestsTo("POST", "/v1/customers").Where(r => r.Form.GetValueOrDefault("metadata[user_id]") == userId.ToString()).ToList();
        var create = Assert.Single(customerCreates);
        Assert.Equal(StripeCustomers.IdempotencyKey(userId), create.IdempotencyKey);
        Assert.Equal("Bearer sk_test_fake_0123456789", create.Authorization);
        Assert.Equal(StripeFixtures.ApiVersion, create.StripeVersion);

        var sessions = api.Stripe.RequestsTo("POST", "/v1/checkout/sessions").Where(r => r.Form.GetValueOrDefault("customer") == customerId).ToList();
        Assert.Equal(3, sessions.Count);
        var request = sessions[0];
        Assert.Equal("subscription", request.Form["mode"]);
        Assert.Equal(userId.ToString(), request.Form["client_reference_id"]);
        Assert.Equal(StripeFixtures.ProPrice, request.Form["line_items[0][price]"]);
        Assert.Equal("1", request.Form["line_items[0][quantity]"]);
        Assert.Equal(userId.ToString(), request.Form["subscription_data[metadata][user_id]"]);
        Assert.False(string.IsNullOrEmpty(request.Form["success_url"]));
        Assert.StartsWith($"platform-checkout-{userId:N}-{StripeFixtures.ProPrice}-", request.IdempotencyKey);
        Assert.Equal(request.IdempotencyKey, sessions[1].IdempotencyKey);
        Assert.Equal(StripeFixtures.BusinessPrice, sessions[2].Form["line_items[0][price]"]);
        Assert.NotEqual(request.IdempotencyKey, sessions[2].IdempotencyKey);

        Assert.Equal(customerId, await api.ScalarAsync<string>($"SELECT stripe_customer_id FROM subscription WHERE user_id = '{userId}'"));
        Assert.Equal(1L, await api.ScalarAsync<long>($"SELECT count(*) FROM billing_audit WHERE user_id = '{userId}' AND action = 'customer_linked'"));
    }

    [Fact]
    public async Task Concurrent_checkouts_of_one_user_create_one_customer()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        using (await client.GetAsync("/api/billing/subscription"))
        {
            // first request creates the user
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/billing/checkout") { Content = JsonContent.Create(new { tier = "pro" }) };
            request.Headers.Add("Idempotency-Key", $"click-{i}");
            return client.SendAsync(request);
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var customers = new HashSet<string>();
        foreach (var response in responses)
        {
            customers.Add((await JsonAsync(response)).GetProperty("customer_id").GetString()!);
            response.Dispose();
        }

        Assert.Single(customers);
        Assert.Single(api.Stripe.RequestsTo("POST", "/v1/customers"), r => r.Form.GetValueOrDefault("metadata[user_id]") == userId.ToString());
        Assert.Equal(8, api.Stripe.RequestsTo("POST", "/v1/checkout/sessions").Count(r => r.Form.GetValueOrDefault("client_reference_id") == userId.ToString()));
    }

    [Theory]
    [InlineData("{\"tier\":\"free\"}")]
    [InlineData("{\"tier\":\"gold\"}")]
    [InlineData("{\"price_id\":\"price_not_ours\"}")]
    [InlineData("{\"tier\":\"pro\",\"price_id\":\"price_1ProMonthlyTest\"}")]
    [InlineData("{}")]
    public async Task Checkout_refuses_a_plan_that_is_not_sold_here(string body)
    {
        using var client = api.CreateClient(Guid.NewGuid());

        using var response = await client.PostAsync("/api/billing/checkout", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Checkout_answers_409_when_a_paid_plan_is_already_live()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        using (await client.GetAsync("/api/billing/subscription"))
        {
        }

        await ExecuteAsync($"UPDATE subscription SET tier = 'pro', status = 'active', stripe_subscription_id = 'sub_live_{userId:N}' WHERE user_id = '{userId}'");
        using var response = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "business" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Contains("/api/billing/portal", problem.GetProperty("detail").GetString());
        Assert.Equal(Problems.AlreadySubscribedType, problem.GetProperty("type").GetString());
        Assert.Equal("pro", problem.GetProperty("tier").GetString());
    }

    [Fact]
    public async Task Checkout_answers_409_while_Stripe_reports_a_live_subscription_the_platform_has_not_applied_yet()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        using var first = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });
        var customerId = (await JsonAsync(first)).GetProperty("customer_id").GetString()!;

        // The user paid the first session; its webhooks have not been processed yet.
        var subscriptionId = api.Stripe.NextId("sub");
        api.Stripe.SetSubscription(StripeFixtures.Subscription(subscriptionId, customerId, "active", userId: userId));
        var second = new HttpRequestMessage(HttpMethod.Post, "/api/billing/checkout") { Content = JsonContent.Create(new { tier = "business" }) };
        second.Headers.Add("Idempotency-Key", "another-tab");
        using var response = await client.SendAsync(second);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await JsonAsync(response);
        Assert.Equal(Problems.AlreadySubscribedType, problem.GetProperty("type").GetString());
        Assert.Equal(subscriptionId, problem.GetProperty("subscription_id").GetString());
        Assert.Single(api.Stripe.RequestsTo("POST", "/v1/checkout/sessions"), r => r.Form.GetValueOrDefault("customer") == customerId);
    }

    [Fact]
    public async Task The_plan_lists_every_subscription_of_the_user_and_checkout_refuses_while_one_is_live()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        using (await client.GetAsync("/api/billing/subscription"))
        {
        }

        // Two subscriptions as the Workers record them: a cancelled business one and a live pro one.
        await ExecuteAsync($"UPDATE subscription SET tier = 'pro', status = 'active', stripe_customer_id = 'cus_two_{userId:N}', stripe_subscription_id = 'sub_pro_{userId:N}' WHERE user_id = '{userId}'");
        await ExecuteAsync($"""
            INSERT INTO stripe_subscription (stripe_subscription_id, user_id, stripe_customer_id, tier, status, stripe_price_id, stripe_created_at)
            VALUES ('sub_pro_{userId:N}', '{userId}', 'cus_two_{userId:N}', 'pro', 'active', '{StripeFixtures.ProPrice}', now() - interval '1 day'),
                   ('sub_biz_{userId:N}', '{userId}', 'cus_two_{userId:N}', 'free', 'canceled', '{StripeFixtures.BusinessPrice}', now())
            """);

        using var checkout = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "business" });
        using var plan = await client.GetAsync("/api/billing/subscription");

        Assert.Equal(HttpStatusCode.Conflict, checkout.StatusCode);
        var subscriptions = (await JsonAsync(plan)).GetProperty("subscriptions").EnumerateArray()
            .Select(s => (s.GetProperty("stripe_subscription_id").GetString(), s.GetProperty("tier").GetString(), s.GetProperty("status").GetString()))
            .ToList();
        Assert.Equal([($"sub_biz_{userId:N}", "free", "canceled"), ($"sub_pro_{userId:N}", "pro", "active")], subscriptions);
    }

    [Fact]
    public async Task A_new_checkout_expires_the_users_earlier_open_sessions_so_two_cannot_both_be_paid()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);

        using var pro = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });
        using var proAgain = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" }); // the same session
        using var business = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "business" });

        var proSession = (await JsonAsync(pro)).GetProperty("id").GetString()!;
        var businessSession = (await JsonAsync(business)).GetProperty("id").GetString()!;
        Assert.Equal(proSession, (await JsonAsync(proAgain)).GetProperty("id").GetString());
        Assert.Equal("expired", api.Stripe.SessionStatus(proSession));
        Assert.Equal("open", api.Stripe.SessionStatus(businessSession));

        // Back to pro within the window: Stripe would replay the expired session; the user gets a new, open one.
        using var proLater = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });
        var proLaterSession = (await JsonAsync(proLater)).GetProperty("id").GetString()!;
        Assert.NotEqual(proSession, proLaterSession);
        Assert.Equal("open", api.Stripe.SessionStatus(proLaterSession));
        Assert.Equal("expired", api.Stripe.SessionStatus(businessSession));
    }

    [Fact]
    public async Task A_customer_deleted_at_Stripe_is_replaced_at_the_next_checkout_and_the_portal_says_so_meanwhile()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        using var first = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });
        var deleted = (await JsonAsync(first)).GetProperty("customer_id").GetString()!;
        api.Stripe.RemoveCustomer(deleted);

        using var portal = await client.PostAsync("/api/billing/portal", null);
        var again = new HttpRequestMessage(HttpMethod.Post, "/api/billing/checkout") { Content = JsonContent.Create(new { tier = "pro" }) };
        again.Headers.Add("Idempotency-Key", "after-deletion");
        using var checkout = await client.SendAsync(again);

        Assert.Equal(HttpStatusCode.Conflict, portal.StatusCode);
        Assert.Contains("/api/billing/checkout", (await JsonAsync(portal)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, checkout.StatusCode);
        var replacement = (await JsonAsync(checkout)).GetProperty("customer_id").GetString()!;
        Assert.NotEqual(deleted, replacement);
        Assert.Equal(replacement, await api.ScalarAsync<string>($"SELECT stripe_customer_id FROM subscription WHERE user_id = '{userId}'"));
        Assert.Equal(2L, await api.ScalarAsync<long>($"SELECT count(*) FROM billing_audit WHERE user_id = '{userId}' AND action = 'customer_linked'"));
    }

    [Fact]
    public async Task The_portal_needs_a_customer_and_then_opens_a_session_for_it()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);

        using var before = await client.PostAsync("/api/billing/portal", null);
        Assert.Equal(HttpStatusCode.Conflict, before.StatusCode);

        using var checkout = await client.PostAsJsonAsync("/api/billing/checkout", new { tier = "pro" });
        var customerId = (await JsonAsync(checkout)).GetProperty("customer_id").GetString();
        using var portal = await client.PostAsync("/api/billing/portal", null);

        Assert.Equal(HttpStatusCode.OK, portal.StatusCode);
        Assert.StartsWith("https://billing.stripe.com/", (await JsonAsync(portal)).GetProperty("url").GetString());
        var request = Assert.Single(api.Stripe.RequestsTo("POST", "/v1/billing_portal/sessions"), r => r.Form.GetValueOrDefault("customer") == customerId);
        Assert.Equal("http://localhost:5173/billing", request.Form["return_url"]);
    }

    [Fact]
    public async Task An_admin_replays_a_failed_event_and_it_is_audited()
    {
        var stripeEvent = StripeFixtures.Event("customer.subscription.updated", StripeFixtures.Subscription("sub_replay_1", "cus_replay_1"));
        var body = stripeEvent.ToJsonString();
        var eventId = (string)stripeEvent["id"]!;
        using (var anonymous = api.CreateClient())
        {
            var delivery = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body) };
            delivery.Headers.TryAddWithoutValidation("Stripe-Signature", StripeFixtures.Sign(body));
            using var delivered = await anonymous.SendAsync(delivery);
            Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        }

        // As the worker leaves it after the last attempt.
        var firstJob = await api.ScalarAsync<Guid>($"SELECT job_id FROM stripe_webhook_events WHERE stripe_event_id = '{eventId}'");
        await ExecuteAsync($"UPDATE job_queue SET status = 'failed', completed_at = now(), attempts = 4 WHERE id = '{firstJob}'");
        await ExecuteAsync($"UPDATE stripe_webhook_events SET status = 'failed', attempts = 4, last_error = 'boom' WHERE stripe_event_id = '{eventId}'");

        var adminId = Guid.NewGuid();
        using var user = api.CreateClient(Guid.NewGuid());
        using var admin = api.CreateClient(adminId, admin: true);
        using var forbidden = await user.PostAsync($"/api/admin/webhooks/{eventId}/replay", null);
        using var missing = await admin.PostAsync("/api/admin/webhooks/evt_does_not_exist/replay", null);
        using var replayed = await admin.PostAsync($"/api/admin/webhooks/{eventId}/replay", null);

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, replayed.StatusCode);
        var stored = await JsonAsync(replayed);
        Assert.Equal("pending", stored.GetProperty("status").GetString());
        Assert.Equal(0, stored.GetProperty("attempts").GetInt32());
        Assert.NotEqual(firstJob, stored.GetProperty("job_id").GetGuid());
        var audit = stored.GetProperty("audit").EnumerateArray().Select(a => (a.GetProperty("action").GetString(), a.GetProperty("actor").GetString())).ToList();
        Assert.Equal([("received", "stripe"), ("replayed", $"admin:{adminId}")], audit);

        using var view = await admin.GetAsync($"/api/admin/webhooks/{stored.GetProperty("id").GetGuid()}");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        Assert.Equal(eventId, (await JsonAsync(view)).GetProperty("stripe_event_id").GetString());
    }

    [Fact]
    public async Task A_plan_limit_is_a_403_problem_naming_the_limit_and_how_to_upgrade()
    {
        var userId = Guid.NewGuid();
        using var client = api.CreateClient(userId);
        using (await client.GetAsync("/api/billing/subscription"))
        {
        }

        foreach (var n in Enumerable.Range(1, TierEntitlements.For("free").MaxPlatformAccounts))
        {
            await ExecuteAsync($"INSERT INTO platform_account (user_id, platform, external_id) VALUES ('{userId}', 'feed', 'https://example.com/feed-{n}.xml')");
        }

        await using var connection = await api.DataSource.OpenConnectionAsync();
        var check = await TierEntitlements.CheckPlatformAccountsAsync(connection, null, userId);

        Assert.False(check.Allowed);
        Assert.Equal(3, check.Limit);
        var problem = Problems.PlanLimitReached(check);
        Assert.Equal(403, problem.StatusCode);
        Assert.Equal("Plan limit reached", problem.ProblemDetails.Title);
        Assert.Equal("free", problem.ProblemDetails.Extensions["tier"]);
        Assert.Equal("/api/billing/checkout", problem.ProblemDetails.Extensions["upgrade"]);

        await ExecuteAsync($"UPDATE subscription SET tier = 'pro', status = 'active' WHERE user_id = '{userId}'");
        Assert.True((await TierEntitlements.CheckPlatformAccountsAsync(connection, null, userId)).Allowed);
        await ExecuteAsync($"UPDATE subscription SET status = 'canceled' WHERE user_id = '{userId}'");
        Assert.False((await TierEntitlements.CheckPlatformAccountsAsync(connection, null, userId)).Allowed);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = api.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
