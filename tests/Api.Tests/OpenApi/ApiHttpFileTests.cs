using System.Text.Json;
using System.Text.RegularExpressions;

namespace Platform.Api.Tests.OpenApi;

/// <summary><c>Api/Api.http</c> holds a request for every operation of the OpenAPI document.</summary>
public partial class ApiHttpFileTests(ApiHost api) : IClassFixture<ApiHost>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    [GeneratedRegex(@"^(GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) \{\{host\}\}(\S*)", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"\{\{[^}]+\}\}")]
    private static partial Regex Variable();

    [GeneratedRegex(@"\\\{[^}]+\}")]
    private static partial Regex EscapedParameter();

    /// <summary>The requests of an .http file as (method, path without query), <c>{{variables}}</c> as one segment each.</summary>
    private static List<(string Method, string Path)> Requests(string http) =>
        RequestLine().Matches(http)
            .Select(m => (m.Groups[1].Value, Variable().Replace(m.Groups[2].Value.Split('?')[0], "value")))
            .ToList();

    /// <summary>An OpenAPI path template as a regex: each <c>{parameter}</c> matches within one segment.</summary>
    private static Regex Template(string path) => new("^" + EscapedParameter().Replace(Regex.Escape(path), "[^/]+") + "$");

    [Fact]
    public async Task Every_operation_of_the_openapi_document_has_a_request_in_Api_http()
    {
        using var client = api.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"));
        var requests = Requests(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Api.http")));

        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(operation => Methods.Contains(operation.Name))
                .Select(operation => (Method: operation.Name.ToUpperInvariant(), Path: path.Name)))
            .ToList();
        var missing = operations
            .Where(operation => !requests.Any(r => r.Method == operation.Method && Template(operation.Path).IsMatch(r.Path)))
            .Select(operation => $"{operation.Method} {operation.Path}")
            .ToList();

        Assert.True(operations.Count > 20, $"The document lists only {operations.Count} operations");
        Assert.True(missing.Count == 0, "Api/Api.http has no request for: " + string.Join(", ", missing));
    }

    [Fact]
    public void A_request_matches_its_operation_only()
    {
        var requests = Requests("""
            GET {{host}}/api/jobs/{{job_id}}/audit?x=1
            POST {{host}}/sitemaps/content-1.xml
            """);

        Assert.Equal([("GET", "/api/jobs/value/audit"), ("POST", "/sitemaps/content-1.xml")], requests);
        Assert.Matches(Template("/api/jobs/{id}/audit"), requests[0].Path);
        Assert.DoesNotMatch(Template("/api/jobs/{id}"), requests[0].Path);
        Assert.Matches(Template("/sitemaps/{kind}-{n}.xml"), requests[1].Path);
    }
}
