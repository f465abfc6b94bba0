using System.Net;

namespace Platform.Api.Tests.Discovery;

public sealed class OpenApiTests(DiscoveryHost api) : IClassFixture<DiscoveryHost>
{
    [Fact]
    public async Task The_openapi_document_lists_the_public_endpoints_in_snake_case_and_the_ui_answers()
    {
        using var client = api.CreateClient();

        var document = await client.GetJsonAsync("/swagger/v1/swagger.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var path in new[]
                 {
                     "/api/public/categories", "/api/public/content", "/api/public/content/{slug}", "/api/public/trending",
                     "/api/public/creators/featured", "/api/public/creators/{username}", "/api/public/search", "/api/public/content/{id}/click",
                 })
        {
            Assert.Contains(path, paths);
        }

        var text = document.GetRawText();
        Assert.Contains("next_cursor", text);
        Assert.DoesNotContain("\"NextCursor\"", text);

        using var ui = await client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Equal("text/html", ui.Content.Headers.ContentType?.MediaType);
    }
}
