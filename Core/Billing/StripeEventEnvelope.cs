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
    /// <summary>
    /// Longest event or object id accepted, in UTF-16 code units: Stripe "will never" generate an object ID longer than
    /// 255 characters (https://docs.stripe.com/upgrades, backwards-compatible changes). A longer one is not Stripe's,
    /// and past about 2,700 bytes PostgreSQL could not even index it.
    /// </summary>
    public const int MaxIdLength = 255;

    /// <summary><c>created</c> bounds in Unix seconds: what <see cref="DateTimeOffset"/> holds (0001-01-01 to 9999-12-31 UTC).</summary>
    private const long MinCreated = -62_135_596_800, MaxCreated = 253_402_300_799;

    /// <summary>
    /// Reads the envelope; false (with the reason) when the JSON is not a Stripe event: no <c>evt_</c> id of at most
    /// <see cref="MaxIdLength"/> characters, no type, no integer <c>created</c> within years 1-9999, no <c>data.object</c>
    /// (or its id longer than <see cref="MaxIdLength"/>). Never throws on any JSON.
    /// </summary>
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

        if (id.GetString()!.Length > MaxIdLength)
        {
            error = $"The event's \"id\" is longer than {MaxIdLength} characters.";
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

        if (createdUnix is < MinCreated or > MaxCreated)
        {
            error = "The event's \"created\" is not a Unix time between the years 1 and 9999.";
            return false;
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("object", out var dataObject) || dataObject.ValueKind != JsonValueKind.Object)
        {
            error = "The event has no \"data.object\".";
            return false;
        }

        var objectIdText = dataObject.TryGetProperty("id", out var objectId) && objectId.ValueKind == JsonValueKind.String ? objectId.GetString() : null;
        if (objectIdText?.Length > MaxIdLength)
        {
            error = $"The event's \"data.object.id\" is longer than {MaxIdLength} characters.";
            return false;
        }

        envelope = new StripeEventEnvelope(
            id.GetString()!,
            type.GetString()!,
            root.TryGetProperty("api_version", out var version) && version.ValueKind == JsonValueKind.String ? version.GetString() : null,
            root.TryGetProperty("livemode", out var livemode) && livemode.ValueKind == JsonValueKind.True,
            DateTimeOffset.FromUnixTimeSeconds(createdUnix),
            objectIdText,
            dataObject.TryGetProperty("object", out var objectType) && objectType.ValueKind == JsonValueKind.String ? objectType.GetString() : null);
        error = null;
        return true;
    }
}
