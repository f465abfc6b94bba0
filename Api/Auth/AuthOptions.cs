namespace Platform.Api.Auth;

/// <summary>
/// JWT bearer settings, section <c>Auth</c>. Production: <see cref="Authority"/> (an OIDC issuer whose keys are
/// discovered). Otherwise HS256 tokens signed with <see cref="SigningKey"/> (the AppHost passes a generated secret).
/// Tokens carry <c>sub</c> = the user's id (a uuid) and <c>role</c> = <c>admin</c> for admins.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";
    public const string AdminRole = "admin";

    public string? Authority { get; set; }

    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "platform";

    public string Audience { get; set; } = "platform-api";
}
