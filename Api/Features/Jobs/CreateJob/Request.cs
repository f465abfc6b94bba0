using System.Text.Json;

namespace Platform.Api.Features.Jobs.CreateJob;

public sealed class Request
{
    public string Type { get; set; } = string.Empty;

    public JsonElement? Payload { get; set; }

    public string? IdempotencyKey { get; set; }

    public int? Priority { get; set; }

    public DateTimeOffset? RunAt { get; set; }
}
