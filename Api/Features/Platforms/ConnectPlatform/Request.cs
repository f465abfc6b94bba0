namespace Platform.Api.Features.Platforms.ConnectPlatform;

public sealed class Request
{
    /// <summary><c>youtube</c> or <c>feed</c>.</summary>
    public string Platform { get; set; } = string.Empty;

    /// <summary>YouTube: a channel id, <c>@handle</c> or channel URL.</summary>
    public string? Channel { get; set; }

    /// <summary>Feed: the RSS/Atom URL.</summary>
    public string? Url { get; set; }
}
