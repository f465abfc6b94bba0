using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Api.Features.Discovery.Shared;

/// <summary>The wire format of the public API: snake_case, as configured for FastEndpoints in Program.cs.</summary>
public static class DiscoveryJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);
}
