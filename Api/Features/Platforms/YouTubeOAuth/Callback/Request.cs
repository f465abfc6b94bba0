namespace Platform.Api.Features.Platforms.YouTubeOAuth.Callback;

/// <summary>What Google appends to the redirect URI (RFC 6749 §4.1.2): <c>code</c> and <c>state</c>, or <c>error</c> and <c>state</c>.</summary>
public sealed class Request
{
    [FastEndpoints.QueryParam]
    public string? Code { get; set; }

    [FastEndpoints.QueryParam]
    public string? State { get; set; }

    [FastEndpoints.QueryParam]
    public string? Error { get; set; }
}
