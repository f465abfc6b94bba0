using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.Api.Tests.Billing;
using Platform.Api.Tests.Discovery;
using Platform.TestSupport.Stripe;

namespace Platform.Api.Tests.Limits;

public sealed class SmallLimitsHost : DiscoveryHost
{
    public (Guid Id, string Slug) Item { get; private set; }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["RateLimits:ProbePermits"] = "3";
        settings["RateLimits:ProbeWindowSeconds"] = "60";
        settings["Http:MaxRequestBodyBytes"] = "1024";
        settings["OpenApi:Enabled"] = "false";
    }

    protected override async Task SeedAsync(DiscoveryData data)
    {
        var creator = await data.CreatorAsync("limits_creator");
        Item = await data.ItemAsync(creator, "An item", publishedAt: DateTimeOffset.UtcNow.AddDays(-1));
    }
}

/// <summary>The small bounds of issue 15: probes, request bodies, Swagger, the admin publish route.</summary>
public sealed class SmallLimitsTests(SmallLimitsHost api) : IClassFixture<SmallLimitsHost>
{
    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/robots.txt")]
    public async Task Probes_and_robots_are_rate_limited_per_client(string path)
    {
        using var client = api.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.GetAsync(path);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.DoesNotContain(HttpStatusCode.InternalServerError, statuses);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_413_before_authentication()
    {
        using var anonymous = api.CreateClient();
        var huge = "{\"type\":\"echo\",\"payload\":{\"x\":\"" + new string('a', 1_000_000) + "\"}}";

        using var withLength = await anonymous.PostAsync("/api/jobs", new StringContent(huge, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, withLength.StatusCode);
        Assert.Equal("application/problem+json", withLength.Content.Headers.ContentType?.MediaType);

        // Chunked (no Content-Length): refused while reading, still 413 and never a 500.
        using var user = api.CreateClient("user");
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var streamed = await user.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);

        // A body within the limit still reaches the endpoint.
        using var small = await user.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { hello = "world" } });
        Assert.True(small.IsSuccessStatusCode, $"{(int)small.StatusCode}: {await small.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Swagger_is_off_when_configured_off()
    {
        using var client = api.CreateClient();

        using var document = await client.GetAsync("/swagger/v1/swagger.json");
        using var ui = await client.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.NotFound, document.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, ui.StatusCode);
    }

    [Theory]
    [InlineData("publish/")]
    [InlineData("PUBLISH")]
    [InlineData("Publish/")]
    public async Task Variants_of_the_publish_route_never_unpublish(string action)
    {
        using var admin = api.CreateClient("admin");
        await api.Data.ExecuteAsync("UPDATE content_item SET status = 'published' WHERE id = @id", ("id", api.Item.Id));

        using var response = await admin.PostAsync($"/api/admin/content/{api.Item.Id}/{action}", null);

        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("published", await api.ScalarAsync<string>($"SELECT status FROM content_item WHERE id = '{api.Item.Id}'"));
    }
}

public sealed class UnsignedWebhookLimitHost : BillingApiHost
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["RateLimits:UnsignedWebhookPermits"] = "3";
        settings["RateLimits:UnsignedWebhookWindowSeconds"] = "60";
        settings["Http:MaxRequestBodyBytes"] = "512"; // the webhook keeps its own, larger limit
    }
}

public sealed class UnsignedWebhookLimitTests(UnsignedWebhookLimitHost api) : IClassFixture<UnsignedWebhookLimitHost>
{
    private async Task<HttpResponseMessage> PostAsync(string body, string? signature)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Unsigned_requests_are_limited_per_client_and_signed_events_never()
    {
        var body = StripeFixtures.Event("customer.subscription.updated", StripeFixtures.Subscription("sub_Limits0001", "cus_Limits")).ToJsonString();
        Assert.True(body.Length > 512, "the event must be larger than the general body limit");

        for (var i = 0; i < 3; i++)
        {
            using var refused = await PostAsync(body, i % 2 == 0 ? null : "t=1,v1=deadbeef");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using (var limited = await PostAsync(body, null))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.NotNull(limited.Headers.RetryAfter?.Delta);
            using var problem = JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
            Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
        }

        for (var i = 0; i < 5; i++)
        {
            var signedBody = StripeFixtures.Event("customer.subscription.updated", StripeFixtures.Subscription($"sub_Limits10{i}", "cus_Limits")).ToJsonString();
            using var accepted = await PostAsync(signedBody, StripeFixtures.Sign(signedBody));
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }
    }
}
