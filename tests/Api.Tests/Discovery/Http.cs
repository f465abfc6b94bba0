using System.Net;
using System.Text.Json;

namespace Platform.Api.Tests.Discovery;

public static class Http
{
    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static List<string> Slugs(this JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("slug").GetString()!).ToList();

    public static string? NextCursor(this JsonElement page) =>
        page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_cursor").GetString();
}
