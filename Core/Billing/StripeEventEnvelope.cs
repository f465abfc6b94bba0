using System.Text.Json;

namespace Platform.Core.Billing;

/// <summary>
/// The fields of a Stripe event (<c>{"id":"evt_...","object":"event","type":...,"created":...,"data":{"object":{...}}}</c>)
/// that intake and processing need, read with System.Text.Json so that any API version parses.
/// </summary>
public sealed record StripeEventEnvelope(
    string Id,
    string Type,
    string? ApiVersion,
    bool Livemode,
    DateTimeOffset Created,
    string? ObjectId,
    string? ObjectType)
{
    /// <summary>Reads the envelope; false (with the reason) when the JSON is not a Stripe event.</summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out StripeEventEnvelope? envelope, out string? error)
    {
        envelope = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            using var document = JsonDocument.ParseValue(ref reader);
            return TryRead(document.RootElement, out envelope, out error);
        }
        catch (JsonException)
        {
            error = "The body is not JSON.";
            return false;
        }
    }

    public static bool TryRead(JsonElement root, out StripeEventEnvelope? envelope, out string? error)
    {
        envelope = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "The body is not a JSON object.";
            return false;
        }

        if (!root.TryGetProperty("object", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() != "event")
        {
            error = "The body is not a Stripe event (\"object\" is not \"event\").";
            return false;
        }

        if (!root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || !(id.GetString() ?? string.Empty).StartsWith("evt_", StringComparison.Ordinal))
        {
            error = "The event has no \"id\" of the form evt_...";
            return false;
        }

        if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
        {
            error = "The event has no \"type\".";
            return false;
        }

        if (!root.TryGetProperty("created", out var created) || !created.TryGetInt64(out var createdUnix))
        {
            error = "The event has no \"created\" time.";
            return false;
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("object", out var dataObject) || dataObject.ValueKind != JsonValueKind.Object)
        {
            error = "The event has no \"data.object\".";
            return false;
        }

        envelope = new StripeEventEnvelope(
            id.GetString()!,
            type.GetString()!,
            root.TryGetProperty("api_version", out var version) && version.ValueKind == JsonValueKind.String ? version.GetString() : null,
            root.TryGetProperty("livemode", out var livemode) && livemode.ValueKind == JsonValueKind.True,
            DateTimeOffset.FromUnixTimeSeconds(createdUnix),
            dataObject.TryGetProperty("id", out var objectId) && objectId.ValueKind == JsonValueKind.String ? objectId.GetString() : null,
            dataObject.TryGetProperty("object", out var objectType) && objectType.ValueKind == JsonValueKind.String ? objectType.GetString() : null);
        error = null;
        return true;
    }
}
