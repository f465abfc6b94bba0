using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using Platform.Api.Tests.Billing;
using Platform.TestSupport;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Http;

/// <summary>The billing Api reaching PostgreSQL through a <see cref="TcpFaultProxy"/> the tests break.</summary>
public sealed class DatabaseOutageHost : BillingApiHost
{
    public TcpFaultProxy Proxy { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Proxy = new TcpFaultProxy((await TestInfrastructure.PostgresAsync()).Port);
        await base.InitializeAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["ConnectionStrings:platformdb"] = new NpgsqlConnectionStringBuilder(ConnectionString) { Port = Proxy.Port }.ConnectionString;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Proxy.Dispose();
    }
}

/// <summary>
/// A PostgreSQL restart or crash as the Api sees it (found by <c>bench -- chaos</c>: webhooks and job requests were
/// answered 500): every pooled connection breaks, new ones are refused for a while, then the server is back. The Api
/// must answer 503 with <c>Retry-After</c> as problem details (never 500) while it is down, store nothing it did not
/// acknowledge, and serve again as soon as the server accepts connections.
/// </summary>
public sealed class DatabaseOutageTests(DatabaseOutageHost api) : IClassFixture<DatabaseOutageHost>
{
    private static (string Id, string Body) SignedEvent()
    {
        var stripeEvent = StripeFixtures.Event(
            "customer.subscription.updated", StripeFixtures.Subscription("sub_" + Guid.NewGuid().ToString("N")[..14], "cus_Outage"));
        return ((string)stripeEvent["id"]!, stripeEvent.ToJsonString());
    }

    private static async Task<HttpResponseMessage> PostWebhookAsync(HttpClient client, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeFixtures.Sign(body));
        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> PostJobAsync(HttpClient client) =>
        client.PostAsync("/api/jobs", new StringContent("""{"type":"echo","payload":{}}""", Encoding.UTF8, "application/json"));

    private static async Task AssertUnavailableProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
    }

    private void GoDown()
    {
        api.Proxy.RefuseNew = true;
        api.Proxy.ResetAll();
    }

    [Fact]
    public async Task While_postgres_is_down_a_webhook_gets_503_with_retry_after_is_not_stored_and_is_stored_once_it_is_back()
    {
        using var client = api.CreateClient();
        var warm = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostWebhookAsync(client, SignedEvent().Body)));
        Assert.All(warm, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        GoDown();
        var (id, body) = SignedEvent();
        for (var i = 0; i < 3; i++)
        {
            using var refused = await PostWebhookAsync(client, body);
            await AssertUnavailableProblemAsync(refused);
        }

        Assert.Equal(0, await api.ScalarAsync<long>($"SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));

        api.Proxy.RefuseNew = false;
        using var redelivered = await PostWebhookAsync(client, body); // Stripe re-delivers after a non-2xx
        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        Assert.Equal(1, await api.ScalarAsync<long>($"SELECT count(*) FROM stripe_webhook_events WHERE stripe_event_id = '{id}'"));
    }

    [Fact]
    public async Task After_a_restart_broke_the_pool_only_one_request_meets_a_broken_connection_and_gets_503_not_500()
    {
        using var client = api.CreateClient(Guid.NewGuid(), admin: true);
        var warm = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostJobAsync(client)));
        Assert.All(warm, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));

        api.Proxy.ResetAll(); // the server restarted: it accepts new connections, the pooled ones are dead

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await PostJobAsync(client);
            statuses.Add(response.StatusCode);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                await AssertUnavailableProblemAsync(response);
            }
        }

        Assert.InRange(statuses.Count(s => s == HttpStatusCode.ServiceUnavailable), 0, 1);
        Assert.All(statuses.Skip(1), s => Assert.Equal(HttpStatusCode.Accepted, s));
    }

    [Fact]
    public async Task While_postgres_is_down_a_site_page_a_browser_asks_for_is_a_503_page_in_the_layout_not_problem_json()
    {
        using var client = api.CreateClient();
        GoDown();
        try
        {
            // A browser (Accept: text/html) opening a page no cache holds: it must see the site's error page, not raw JSON.
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/tag/outage-{Guid.NewGuid():N}");
            request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
            using var page = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), page.Headers.RetryAfter?.Delta);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.True(page.Headers.CacheControl?.NoStore, "an outage page must not be cached");
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("class=\"brand\"", html); // the site's layout
            Assert.Contains("<meta name=\"robots\" content=\"noindex\">", html);
            Assert.Contains("<h1>Temporarily unavailable</h1>", html);

            // The JSON API and clients that do not ask for HTML keep RFC 9457 problem details.
            using var plain = await client.GetAsync($"/tag/outage-{Guid.NewGuid():N}");
            await AssertUnavailableProblemAsync(plain);
        }
        finally
        {
            api.Proxy.RefuseNew = false;
        }
    }

    [Fact]
    public async Task While_postgres_is_down_cached_public_reads_still_answer()
    {
        using var client = api.CreateClient();
        using (var warm = await client.GetAsync("/api/public/categories"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        GoDown();
        try
        {
            using var cached = await client.GetAsync("/api/public/categories");
            Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
            using var uncached = await client.GetAsync("/api/public/content?category=news&limit=3");
            Assert.True(uncached.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"got {(int)uncached.StatusCode}");
            if (uncached.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                await AssertUnavailableProblemAsync(uncached);
            }
        }
        finally
        {
            api.Proxy.RefuseNew = false;
        }
    }
}
