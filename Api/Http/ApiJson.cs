using System.Text.Json;

namespace Platform.Api.Http;

/// <summary>The API's JSON conventions (snake_case, like Stripe's API and the schema), for code that writes JSON itself.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
    };
}
