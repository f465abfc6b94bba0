namespace Platform.Api.Features.Platforms.DisconnectPlatform;

public sealed class Request
{
    public Guid Id { get; set; }

    /// <summary>Query <c>content</c>: <c>keep</c> (default: imported items stay published) or <c>unpublish</c>.</summary>
    public string? Content { get; set; }
}
