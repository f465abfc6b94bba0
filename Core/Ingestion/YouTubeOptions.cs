namespace Platform.Core.Ingestion;

/// <summary>
/// YouTube settings, section <c>YouTube</c>: the Data API v3 (<c>YouTube__ApiKey</c>, <c>YouTube__ApiBase</c>) that the
/// Workers sync with and the Api verifies channel ownership with, and the OAuth client (<c>YouTube__OAuth__*</c>).
/// </summary>
public sealed class YouTubeOptions
{
    public const string Section = "YouTube";

    public string? ApiKey { get; set; }

    /// <summary>The API's base URL; tests point it at a local fake.</summary>
    public Uri ApiBase { get; set; } = new("https://www.googleapis.com/youtube/v3/");

    /// <summary>
    /// <c>YouTube__SharedWalkMaxAge</c>: how recent a complete walk of a channel by another account must be for a sync
    /// to walk only the uploads not stored yet (the Workers' <c>ChannelWalks</c>); default 1 day, <c>00:00:00</c> makes
    /// every sync walk the whole list.
    /// </summary>
    public TimeSpan SharedWalkMaxAge { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Google OAuth 2.0 (authorization code with PKCE) for proving channel ownership.</summary>
    public YouTubeOAuthOptions OAuth { get; set; } = new();
}

/// <summary>
/// The Google OAuth 2.0 web client that proves YouTube channel ownership (RFC 6749 authorization code grant with
/// RFC 7636 PKCE S256, scope <c>https://www.googleapis.com/auth/youtube.readonly</c>). Configured when
/// <see cref="ClientId"/> and <see cref="ClientSecret"/> are set; Google's endpoints by default.
/// </summary>
public sealed class YouTubeOAuthOptions
{
    public const string Scope = "https://www.googleapis.com/auth/youtube.readonly";

    /// <summary><c>YouTube__OAuth__ClientId</c>: the OAuth client id from the Google Cloud console.</summary>
    public string? ClientId { get; set; }

    /// <summary><c>YouTube__OAuth__ClientSecret</c> (a secret parameter in the AppHost).</summary>
    public string? ClientSecret { get; set; }

    /// <summary><c>YouTube__OAuth__AuthorizationEndpoint</c>: where the browser is sent to consent.</summary>
    public Uri AuthorizationEndpoint { get; set; } = new("https://accounts.google.com/o/oauth2/v2/auth");

    /// <summary><c>YouTube__OAuth__TokenEndpoint</c>: where the Api exchanges the code (with the PKCE verifier).</summary>
    public Uri TokenEndpoint { get; set; } = new("https://oauth2.googleapis.com/token");

    /// <summary>
    /// <c>YouTube__OAuth__ReturnUrl</c>: where the browser lands after the callback, with
    /// <c>?youtube_verification=verified&amp;channels=UC…</c> or <c>?youtube_verification=error&amp;reason=…</c>.
    /// Default <c>/</c> of the Api's public origin.
    /// </summary>
    public string ReturnUrl { get; set; } = "/";

    /// <summary>How long an authorization may take from <c>authorize</c> to the callback (the state's lifetime).</summary>
    public TimeSpan StateLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret);
}
