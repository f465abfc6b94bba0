using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Platform.Api.Tests.Http;

/// <summary>
/// Every problem answers in one shape whatever wrote it: FastEndpoints' validation problems (its validators, and
/// <c>SendErrorsAsync</c> from a middleware) cite RFC 9110 as ASP.NET Core's problems do, and carry the same
/// <c>trace_id</c>, the request's W3C trace context, not Kestrel's connection-based request id.
/// </summary>
public sealed partial class ProblemShapeTests(ApiHost api) : IClassFixture<ApiHost>
{
    private readonly Guid user = Guid.NewGuid();

    public static TheoryData<string, string> ValidationProblems => new()
    {
        { "FastEndpoints validator", """{"type":"echo","priority":1000}""" },
        { "StorableTextMiddleware", """{"type":"echo","payload":{"x":1e1000000}}""" },
    };

    [Theory]
    [MemberData(nameof(ValidationProblems))]
    public async Task A_validation_problem_has_the_type_and_trace_id_of_ASP_NET_Cores_problems(string writer, string body)
    {
        using var client = api.CreateClient(user);

        using var validation = await client.PostAsync("/api/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
        using var aspNetCore = await client.PostAsync("/api/jobs", new ByteArrayContent(Encoding.UTF8.GetBytes(body))); // no Content-Type: 415
        var problem = JsonDocument.Parse(await validation.Content.ReadAsStringAsync()).RootElement;
        var reference = JsonDocument.Parse(await aspNetCore.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, validation.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, aspNetCore.StatusCode);
        // ASP.NET Core's type for a 400 (RFC 9110 section 15.5.1), as its own 415 cites RFC 9110 section 15.5.16.
        Assert.Equal(TypedResults.Problem(statusCode: 400).ProblemDetails.Type, problem.GetProperty("type").GetString());
        Assert.StartsWith("https://tools.ietf.org/html/rfc9110#", reference.GetProperty("type").GetString());
        Assert.Matches(W3CTraceParent(), reference.GetProperty("trace_id").GetString());
        Assert.True(W3CTraceParent().IsMatch(problem.GetProperty("trace_id").GetString()!), $"{writer}: {problem}");
        Assert.False(problem.TryGetProperty("traceId", out _), problem.ToString());
        Assert.NotEmpty(problem.GetProperty("errors").EnumerateArray());
    }

    /// <summary>A W3C <c>traceparent</c>: version, trace id, parent span id, flags.</summary>
    [GeneratedRegex("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
    private static partial Regex W3CTraceParent();
}
