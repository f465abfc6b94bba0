using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Platform.Core.Data;
using Platform.Core.Ingestion;

namespace Platform.Workers.Ingestion.Tagging;

/// <summary>
/// Tags with an OpenAI-compatible chat completions endpoint (<c>POST …/chat/completions</c>, bearer <c>Tagging__ApiKey</c>):
/// the model answers a JSON object <c>{"tags": [...]}</c>. A failed call fails the attempt (the job retries).
/// </summary>
public sealed class OpenAiCompatibleTagger(HttpClient http, IOptions<TaggingOptions> options) : IContentTagger
{
    public async Task<IReadOnlyList<SuggestedTag>> TagAsync(TaggableContent content, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var endpoint = settings.Endpoint ?? throw new InvalidOperationException("Tagging__Endpoint is not configured.");
        var url = endpoint.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal)
            ? endpoint
            : new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/chat/completions");
        var description = PostgresText.Truncate(content.Description, 2000)!; // cut at a text element, never inside a surrogate pair
        var body = new JsonObject
        {
            ["model"] = settings.Model,
            ["temperature"] = 0,
            ["response_format"] = new JsonObject { ["type"] = "json_object" },
            ["messages"] = new JsonArray(
                new JsonObject
                {
                    ["role"] = "system",
                    ["content"] = $"You tag creator content for a discovery platform. Answer only with a JSON object {{\"tags\": [...]}} holding at most {settings.MaxTags} short lowercase English topic tags (1-3 words each), most relevant first.",
                },
                new JsonObject
                {
                    ["role"] = "user",
                    ["content"] = $"Title: {content.Title}\nDescription: {description}\nCreator's own tags: {string.Join(", ", content.PlatformTags)}",
                }),
        };

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        if (!string.IsNullOrEmpty(settings.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var completion = await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken);
        var text = completion?["choices"]?[0]?["message"]?["content"]?.GetValue<string>()
            ?? throw new InvalidOperationException("The tagging endpoint answered without choices[0].message.content.");
        return Parse(text, settings.MaxTags);
    }

    /// <summary><c>{"tags":[...]}</c> or a bare array, possibly inside a ```json fence.</summary>
    public static IReadOnlyList<SuggestedTag> Parse(string text, int maxTags)
    {
        var json = text.Trim();
        if (json.StartsWith("```", StringComparison.Ordinal))
        {
            json = json.Trim('`').Trim();
            json = json.StartsWith("json", StringComparison.OrdinalIgnoreCase) ? json[4..] : json;
        }

        json = PostgresText.CleanJson(json)!; // the model's text: its tags are stored as text

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException error)
        {
            throw new InvalidOperationException($"The tagging endpoint's answer is not JSON: {error.Message}", error);
        }

        var array = node as JsonArray ?? node?["tags"] as JsonArray
            ?? throw new InvalidOperationException("The tagging endpoint's answer has no \"tags\" array.");
        return ImportedItem.NormalizeTags(array.Select(t => t is JsonValue value && value.TryGetValue<string>(out var s) ? s : null))
            .Take(maxTags)
            .Select(t => new SuggestedTag(t, null))
            .ToList();
    }
}
