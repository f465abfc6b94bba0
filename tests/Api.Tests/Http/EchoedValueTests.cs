using System.Net;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Http;

/// <summary>
/// A value the Api refuses is cited, not reflected: a 5,000-character route or query value that fails binding (a
/// Guid id, an int limit) or that no resource matches answers a short problem (RFC 9457, the shape of
/// <see cref="ProblemShapeTests"/>) that still names the parameter, with the value cut to a short prefix marked as
/// cut, so no request can make the platform send (or log) arbitrary large text back.
/// </summary>
public sealed class EchoedValueTests(ApiHost api) : IClassFixture<ApiHost>
{
    /// <summary>5,000 digits: not a Guid, beyond an int, and a string no resource has.</summary>
    private static readonly string LongValue = string.Concat(Enumerable.Repeat("1234567890", 500));

    /// <summary>Far more than a short citation, far less than the 5,000 characters sent.</summary>
    private const int MaxBodyBytes = 2048;

    private readonly Guid user = Guid.NewGuid();

    public static TheoryData<string, string, string, string> BindingFailures => new()
    {
        // client, method, path (the long value replaces {v}), the parameter the problem names
        { "user", "GET", "/api/jobs/{v}", "id" },
        { "user", "GET", "/api/jobs/{v}/audit", "id" },
        { "user", "POST", "/api/jobs/{v}/cancel", "id" },
        { "user", "GET", "/api/jobs?limit={v}", "limit" },
        { "user", "GET", "/api/me/platforms/{v}", "id" },
        { "user", "DELETE", "/api/me/platforms/{v}", "id" },
        { "anonymous", "POST", "/api/public/content/{v}/click", "id" },
        { "anonymous", "GET", "/api/public/content?limit={v}", "limit" },
        { "anonymous", "GET", "/api/public/trending?limit={v}", "limit" },
        { "anonymous", "GET", "/api/public/search?q=x&limit={v}", "limit" },
        { "anonymous", "GET", "/api/public/creators/someone?limit={v}", "limit" },
        { "admin", "PATCH", "/api/admin/featured-creators/{v}", "id" },
    };

    [Theory]
    [MemberData(nameof(BindingFailures))]
    public async Task A_long_value_that_fails_binding_is_cited_by_a_short_prefix(string who, string method, string path, string parameter)
    {
        var (status, contentType, body) = await SendAsync(who, method, path);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", contentType);
        AssertShortAndNotReflected(body);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.StartsWith("https://tools.ietf.org/html/rfc9110#", problem.GetProperty("type").GetString());
        Assert.True(problem.TryGetProperty("trace_id", out _), body);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal(parameter, error.GetProperty("name").GetString(), StringComparer.OrdinalIgnoreCase);
        var reason = error.GetProperty("reason").GetString()!;
        Assert.Contains(LongValue[..32], reason); // the start of the value is still cited, for the caller's debugging
        Assert.Contains("…", reason);             // marked as cut
    }

    public static TheoryData<string, string, string, HttpStatusCode> OtherRefusals => new()
    {
        // a string route value no resource has, or a value the endpoint parses itself
        { "user", "GET", "/api/jobs/{v}/ws", HttpStatusCode.BadRequest },
        { "admin", "GET", "/api/admin/webhooks/{v}", HttpStatusCode.NotFound },
        { "admin", "POST", "/api/admin/webhooks/{v}/replay", HttpStatusCode.NotFound },
        { "anonymous", "GET", "/api/public/creators/{v}", HttpStatusCode.NotFound },
        { "anonymous", "GET", "/api/public/content/{v}", HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(OtherRefusals))]
    public async Task A_long_value_no_resource_matches_is_not_reflected(string who, string method, string path, HttpStatusCode expected)
    {
        var (status, contentType, body) = await SendAsync(who, method, path);

        Assert.Equal(expected, status);
        Assert.Equal("application/problem+json", contentType);
        AssertShortAndNotReflected(body);
    }

    [Fact]
    public async Task A_long_unknown_field_name_is_cited_by_a_short_prefix()
    {
        using var client = api.CreateClient(user);

        using var response = await client.PatchAsync("/api/me/profile", new StringContent($$"""{"{{LongValue}}":1}""", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        AssertShortAndNotReflected(body);
        var error = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray());
        Assert.StartsWith(LongValue[..32], error.GetProperty("name").GetString());
    }

    public static TheoryData<string, string?> UnstorableNames => new()
    {
        // path (the long value replaces {v}), JSON body
        { "/api/jobs?{v}%00=1", null },
        { "/api/jobs", """{"type":"echo","payload":{"{v}":"\u0000"}}""" },
    };

    [Theory]
    [MemberData(nameof(UnstorableNames))]
    public async Task A_long_name_holding_unstorable_text_is_cited_by_a_short_prefix(string path, string? body)
    {
        using var client = api.CreateClient(user);

        using var response = await client.PostAsync(
            path.Replace("{v}", LongValue, StringComparison.Ordinal),
            new StringContent(body?.Replace("{v}", LongValue, StringComparison.Ordinal) ?? "{}", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        AssertShortAndNotReflected(text);
        var error = Assert.Single(JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateArray());
        Assert.EndsWith("…", error.GetProperty("name").GetString());
    }

    private async Task<(HttpStatusCode Status, string? ContentType, string Body)> SendAsync(string who, string method, string path)
    {
        using var client = who switch
        {
            "anonymous" => api.CreateClient(),
            "admin" => api.CreateClient(user, admin: true),
            _ => api.CreateClient(user),
        };
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{v}", LongValue, StringComparison.Ordinal));
        if (method is "POST" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    private static void AssertShortAndNotReflected(string body)
    {
        Assert.True(Encoding.UTF8.GetByteCount(body) < MaxBodyBytes, $"{Encoding.UTF8.GetByteCount(body)} bytes: {body[..Math.Min(body.Length, 300)]}…");
        Assert.DoesNotContain(LongValue[..100], body, StringComparison.Ordinal);
    }
}
