using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Platform.Api.Tests.Http;

/// <summary>
/// More inputs of the kinds in <see cref="ClientRequestTests"/>: other content types on bodiless requests, HEAD,
/// an explicit <c>Content-Length: 0</c>, an empty chunked body, and NUL / overlong UTF-8 in query strings and
/// profile JSON keys. Never a 500; a refusal is an RFC 9457 problem naming the field.
/// </summary>
public sealed class OtherClientInputTests(ApiHost api) : IClassFixture<ApiHost>
{
    private readonly Guid user = Guid.NewGuid();

    [Theory]
    [InlineData("GET", "/api/public/content?limit=2", "application/json; charset=utf-8")]
    [InlineData("GET", "/api/public/trending", "application/json; charset=utf-8")]
    [InlineData("GET", "/api/public/trending", "text/plain")]
    [InlineData("GET", "/api/public/categories", "text/plain")]
    [InlineData("GET", "/api/jobs", "text/plain; charset=utf-8")]
    [InlineData("HEAD", "/api/public/trending", "application/json")]
    [InlineData("HEAD", "/api/public/categories", "application/json; charset=utf-8")]
    [InlineData("HEAD", "/api/public/search?q=x", "application/json")]
    [InlineData("HEAD", "/api/public/creators/featured", "text/plain")]
    [InlineData("HEAD", "/robots.txt", "application/json")]
    [InlineData("HEAD", "/sitemap.xml", "application/json")]
    [InlineData("DELETE", "/api/me/platforms/00000000-0000-0000-0000-000000000002", "application/json")]
    public async Task A_bodiless_request_answers_as_without_its_content_type(string method, string path, string contentType)
    {
        using var client = api.CreateClient(user);

        var plain = await SendAsync(client, method, path, null);
        var typed = await SendAsync(client, method, path, contentType); // an empty body: Content-Length: 0

        Assert.True(plain.Status < HttpStatusCode.InternalServerError, $"{method} {path}: {plain.Status}");
        Assert.Equal(plain.Status, typed.Status);
        Assert.Equal(plain.Body, typed.Body);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8", "")]
    [InlineData("text/plain", "")]
    [InlineData("application/json", "Transfer-Encoding: chunked\r\n")]
    [InlineData("application/json; charset=utf-8", "Transfer-Encoding: chunked\r\n")]
    [InlineData("application/json", "Content-Length: 0\r\n")]
    public async Task Getting_a_job_over_a_raw_connection_answers_the_job(string contentType, string framing)
    {
        using var client = api.CreateClient(user);
        using var created = await client.PostAsJsonAsync("/api/jobs", new { type = "echo", payload = new { note = "hi" } });
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        await using var stream = tcp.GetStream();
        var chunked = framing.StartsWith("Transfer-Encoding", StringComparison.Ordinal);
        var request = $"GET /api/jobs/{id} HTTP/1.1\r\nHost: {api.BaseAddress.Authority}\r\nAuthorization: Bearer {TestTokens.For(user)}\r\n"
            + $"Content-Type: {contentType}\r\n{framing}Connection: close\r\n\r\n" + (chunked ? "0\r\n\r\n" : string.Empty);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);

        var response = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains(id.ToString(), response);
    }

    [Theory]
    [InlineData("/api/public/search?q=%00")]
    [InlineData("/api/public/search?q=a%00b")]
    [InlineData("/api/public/search?q=%C0%80")]
    [InlineData("/api/public/search?q=%ED%A0%80")]
    public async Task Search_text_is_cleaned_not_refused(string path)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode}: {text}");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            AssertProblemNaming(text, "q", response);
        }
    }

    [Theory]
    [InlineData("/api/public/content?cursor=%00", "cursor")]
    [InlineData("/api/public/content?tag=%00", "tag")]
    [InlineData("/api/public/content?category=%00", "category")]
    [InlineData("/api/public/trending?category=%00", "category")]
    [InlineData("/api/public/search?q=x&tag=%00", "tag")]
    public async Task Query_values_with_nul_answer_400_naming_them(string path, string field)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode}: {text}");
        AssertProblemNaming(text, field, response);
    }

    [Theory]
    [InlineData("/api/public/content?cursor=%C0%80")]
    [InlineData("/api/public/content?tag=%C0%80")]
    [InlineData("/api/public/content?category=%C0%80")]
    [InlineData("/api/public/content?cursor=%FF%FE")]
    [InlineData("/api/public/content?tag=%ED%A0%80")] // ASP.NET Core decodes invalid UTF-8 in a query to U+FFFD
    public async Task Overlong_or_invalid_utf8_in_a_query_never_answers_500(string path)
    {
        using var client = api.CreateClient();

        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode}: {text}");
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Theory]
    [InlineData("""{"social_links":{"you\u0000tube":"https://youtube.com/@a"}}""")]
    [InlineData("""{"social_links":{"\ud800":"https://youtube.com/@a"}}""")]
    [InlineData("""{"social_links":{"youtube":"https://youtube.com/@a\u0000"}}""")]
    public async Task Profile_social_links_postgresql_cannot_store_answer_400_naming_the_field(string body)
    {
        using var client = api.CreateClient(user);

        using var response = await client.PatchAsync("/api/me/profile", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var names = JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains(names, n => n is not null && n.StartsWith("social_links", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Profile_social_links_with_overlong_utf8_bytes_answer_400()
    {
        using var client = api.CreateClient(user);
        byte[] body = [.. "{\"social_links\":{\"a"u8, 0xC0, 0x80, .. "\":\"https://example.com\"}}"u8];

        using var response = await client.PatchAsync("/api/me/profile", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static void AssertProblemNaming(string text, string field, HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("name").GetString() == field);
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
        return (response.StatusCode, System.Text.RegularExpressions.Regex.Replace(body, "\"trace_?[iI]d\":\"[^\"]*\"", "\"trace_id\":\"\""));
    }
}
