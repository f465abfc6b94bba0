using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Http;

/// <summary>
/// Requests as common HTTP clients send them: a <c>Content-Type</c> on a request without a body, and JSON text, query
/// strings and paths carrying U+0000 or unpaired surrogates (which PostgreSQL cannot store).
/// </summary>
public sealed class ClientRequestTests(ApiHost api) : IClassFixture<ApiHost>
{
    private readonly Guid user = Guid.NewGuid();

    public static TheoryData<string, string> BodilessRequests => new()
    {
        { "GET", "/api/public/content?limit=2" },
        { "GET", "/api/public/trending" },
        { "GET", "/api/public/categories" },
        { "HEAD", "/api/public/content?limit=2" },
        { "GET", "/api/jobs" },
        { "GET", "/api/me/platforms" },
        { "DELETE", $"/api/me/platforms/{Guid.NewGuid()}" },
        { "GET", "/api/billing/subscription" },
        { "GET", "/robots.txt" },
    };

    [Theory]
    [MemberData(nameof(BodilessRequests))]
    public async Task A_bodiless_request_with_a_json_content_type_answers_as_without_it(string method, string path)
    {
        using var client = api.CreateClient(user);

        var (plainStatus, plainBody) = await SendAsync(client, method, path, contentType: null);
        var (typedStatus, typedBody) = await SendAsync(client, method, path, contentType: "application/json");

        Assert.True(plainStatus < HttpStatusCode.InternalServerError, $"{method} {path}: {plainStatus}");
        Assert.Equal(plainStatus, typedStatus);
        Assert.Equal(plainBody, typedBody);
    }

    [Fact]
    public async Task Getting_a_job_with_a_json_content_type_and_no_body_answers_the_job()
    {
        using var client = api.CreateClient(user);
        using var created = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { note = "hi" } });
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        var (status, body) = await SendAsync(client, "GET", $"/api/jobs/{id}", "application/json");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid());
    }

    [Theory]
    [InlineData("GET", "/api/public/content?limit=2", "")]
    [InlineData("GET", "/api/public/trending", "")]
    [InlineData("GET", "/api/public/trending", "Transfer-Encoding: chunked\r\n")] // an empty chunked body
    [InlineData("DELETE", "/api/me/platforms/00000000-0000-0000-0000-000000000001", "Transfer-Encoding: chunked\r\n")]
    public async Task A_content_type_with_no_body_as_raw_clients_send_it_answers_as_without_it(string method, string path, string framing)
    {
        // What curl -H 'Content-Type: application/json' and many client libraries send: the header, no length, no body.
        var expected = method == "DELETE" ? "HTTP/1.1 404" : "HTTP/1.1 200";
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        await using var stream = tcp.GetStream();
        var request = $"{method} {path} HTTP/1.1\r\nHost: {api.BaseAddress.Authority}\r\nAuthorization: Bearer {TestTokens.For(user)}\r\n"
            + $"Content-Type: application/json\r\n{framing}Connection: close\r\n\r\n" + (framing.Length > 0 ? "0\r\n\r\n" : string.Empty);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);

        var statusLine = await reader.ReadLineAsync();

        Assert.StartsWith(expected, statusLine);
    }

    [Theory]
    [InlineData("""{"type":"echo","payload":{"note":"a\u0000b"}}""", "payload.note")]
    [InlineData("""{"type":"echo","payload":{"items":["ok","\ud800"]}}""", "payload.items[1]")]
    [InlineData("""{"type":"echo","payload":{"a\u0000":1}}""", "payload.a")]
    [InlineData("""{"type":"echo","idempotency_key":"k\u0000"}""", "idempotency_key")]
    [InlineData("""{"type":"echo\u0000"}""", "type")]
    public async Task Json_text_postgresql_cannot_store_answers_400_naming_the_field(string body, string field)
    {
        using var client = api.CreateClient(user);

        using var response = await client.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == field);
    }

    [Theory]
    [InlineData(new byte[] { 0 })] // a raw NUL: not valid JSON text
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // a surrogate encoded as UTF-8 (CESU-8): not valid UTF-8
    public async Task Raw_bytes_that_are_not_valid_json_text_answer_400(byte[] raw)
    {
        using var client = api.CreateClient(user);
        byte[] body = [.. "{\"type\":\"echo\",\"payload\":{\"note\":\"a"u8, .. raw, .. "b\"}}"u8];

        using var response = await client.PostAsync("/api/jobs", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("/api/public/search?q=ok&category=a%00b", "category")] // q itself is free text the search cleans
    [InlineData("/api/public/content?category=a%00b", "category")]
    [InlineData("/api/public/content?a%00=1", "a")]
    [InlineData("/api/public/trending?window=%00", "window")]
    public async Task Query_values_postgresql_cannot_store_answer_400_naming_them(string path, string field)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == field);
    }

    [Theory]
    [InlineData("/api/public/creators/a%00b")]
    [InlineData("/api/public/content/a%00b")]
    [InlineData("/c/a%00b")]
    [InlineData("/@a%00b")]
    [InlineData("/api/public/creators/a%ED%A0%80b")]
    [InlineData("/api/public/content/a%ED%A0%80b")]
    [InlineData("/c/a%ED%A0%80b")]
    [InlineData("/@a%ED%A0%80b")]
    public async Task Path_values_postgresql_cannot_store_never_reach_it(string path)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync(path);

        // Kestrel itself refuses a %00 in the path (400); other bytes arrive as route values, checked like the query.
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
    }

    [Fact]
    public async Task A_token_whose_email_claim_has_nul_still_signs_the_user_in()
    {
        // The issuer's text, not the caller's: the sign-in leaves what PostgreSQL cannot store out.
        var id = Guid.NewGuid();
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Subject = new System.Security.Claims.ClaimsIdentity([new("sub", id.ToString()), new("email", "nul\0@example.test"), new("email_verified", "true")]),
            Issuer = TestTokens.Issuer,
            Audience = TestTokens.Audience,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new(
                new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Encoding.UTF8.GetBytes(TestTokens.SigningKey)),
                Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);

        using var response = await client.GetAsync("/api/jobs");

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, string method, string path, string? contentType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (contentType is not null)
        {
            request.Content = new ByteArrayContent([]);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, RemoveVolatile(body));
    }

    /// <summary>Problem details carry a per-request trace id.</summary>
    private static string RemoveVolatile(string body) =>
        System.Text.RegularExpressions.Regex.Replace(body, "\"trace_?[iI]d\":\"[^\"]*\"", "\"trace_id\":\"\"");
}
