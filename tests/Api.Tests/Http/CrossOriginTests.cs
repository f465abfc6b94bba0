using System.Net;
using Platform.Api.Tests.Discovery;

namespace Platform.Api.Tests.Http;

public sealed class CrossOriginFixture : DiscoveryHost
{
    public const string App = "https://app.example";
    public const string Admin = "https://admin.example:8443";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Cors:AllowedOrigins"] = $"{App}, {Admin}";
    }
}

/// <summary>Real CORS requests (simple and preflight) against the running Api, as a browser sends them.</summary>
public sealed class CrossOriginTests(CrossOriginFixture api) : IClassFixture<CrossOriginFixture>
{
    private const string Elsewhere = "https://elsewhere.example";

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin, string method, string? headers = null)
    {
        using var client = api.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers is not null)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }

        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("/api/public/content")]
    [InlineData("/api/public/categories")]
    [InlineData("/")]
    [InlineData("/sitemap.xml")]
    public async Task Public_reads_are_open_to_any_origin_without_credentials(string path)
    {
        using var client = api.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", Elsewhere);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        Assert.Contains("ETag", Header(response, "Access-Control-Expose-Headers"));
    }

    [Fact]
    public async Task A_public_preflight_is_answered_for_any_origin_and_never_allows_credentials()
    {
        using var response = await PreflightAsync("/api/public/content?sort=recent", Elsewhere, "GET", "if-none-match");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("GET", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("if-none-match", Header(response, "Access-Control-Allow-Headers"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));

        using var write = await PreflightAsync("/api/public/categories", Elsewhere, "DELETE");
        Assert.DoesNotContain("DELETE", Header(write, "Access-Control-Allow-Methods")); // only reads (and the click POST) cross origins
    }

    [Theory]
    [InlineData("/api/jobs", "POST")]
    [InlineData("/api/me/platforms", "POST")]
    [InlineData("/api/billing/checkout", "POST")]
    [InlineData("/api/me", "DELETE")]
    public async Task A_user_endpoint_preflight_from_an_allowed_origin_allows_credentials_and_the_method(string path, string method)
    {
        using var response = await PreflightAsync(path, CrossOriginFixture.App, method, "authorization,content-type,idempotency-key");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CrossOriginFixture.App, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Contains(method, Header(response, "Access-Control-Allow-Methods"));
        Assert.Contains("authorization", Header(response, "Access-Control-Allow-Headers"));
        Assert.Equal("600", Header(response, "Access-Control-Max-Age"));
        Assert.Contains("Origin", Header(response, "Vary"));
    }

    [Theory]
    [InlineData(Elsewhere)]
    [InlineData("https://app.example.evil.test")]
    [InlineData("http://app.example")]
    [InlineData("null")]
    public async Task A_user_endpoint_preflight_from_any_other_origin_is_not_allowed(string origin)
    {
        using var response = await PreflightAsync("/api/jobs", origin, "POST", "authorization");

        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task A_credentialed_request_from_an_allowed_origin_gets_its_origin_back_and_others_get_nothing()
    {
        using var client = api.CreateClient("user");
        var allowed = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        allowed.Headers.Add("Origin", CrossOriginFixture.Admin);
        using var ok = await client.SendAsync(allowed);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(CrossOriginFixture.Admin, Header(ok, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(ok, "Access-Control-Allow-Credentials"));

        var other = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        other.Headers.Add("Origin", Elsewhere);
        using var refused = await client.SendAsync(other);
        Assert.Null(Header(refused, "Access-Control-Allow-Origin")); // the browser withholds the response from that page
    }

    [Fact]
    public async Task Stripe_webhooks_have_no_cors()
    {
        using var response = await PreflightAsync("/webhooks/stripe", Elsewhere, "POST", "stripe-signature");

        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
    }
}
