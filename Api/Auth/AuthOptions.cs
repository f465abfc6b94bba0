namespace Platform.Api.Auth;

/// <summary>
/// JWT bearer settings, section <c>Auth</c>. Two kinds of issuer, either or both:
/// <list type="bullet">
/// <item>the platform's own: HS256 tokens signed with <see cref="SigningKey"/>, <c>iss</c> = <see cref="Issuer"/>
/// (the AppHost passes a generated secret; the tests mint these); their <c>sub</c> is the user's id (a uuid).</item>
/// <item>an OIDC provider at <see cref="Authority"/> (Auth0, Google, Entra ID, Okta, Keycloak…): its issuer and keys
/// come from <c>{Authority}/.well-known/openid-configuration</c>; any <c>sub</c>.</item>
/// </list>
/// Outside Development, with an authority the HS256 issuer is off unless <see cref="AllowSigningKeyWithAuthority"/>.
/// Either way a user is keyed by <c>(iss, sub)</c> (<see cref="EnsureUserMiddleware"/>); both need <c>aud</c> =
/// <see cref="Audience"/>.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The platform role admin endpoints require (<c>Roles(AuthOptions.AdminRole)</c>); see <see cref="PlatformRoles"/>.</summary>
    public const string AdminRole = PlatformRoles.Admin;

    public string? Authority { get; set; }

    /// <summary>Whether the authority's metadata must be fetched over https (default true; false only for a local issuer over http).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// The platform's HS256 key (at least 32 bytes). Outside Development it is ignored when <see cref="Authority"/> is
    /// set, unless <see cref="AllowSigningKeyWithAuthority"/>: production users come from the OIDC issuer, and a key
    /// shared with other services must not let anyone who holds it mint tokens for any user.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Setting <c>Auth:AllowSigningKeyWithAuthority</c> (default false): outside Development, also accept tokens signed
    /// with <see cref="SigningKey"/> while an <see cref="Authority"/> is configured (e.g. during a migration to OIDC).
    /// Development always accepts both.
    /// </summary>
    public bool AllowSigningKeyWithAuthority { get; set; }

    public string Issuer { get; set; } = "platform";

    public string Audience { get; set; } = "platform-api";

    /// <summary>The claim that carries roles (default <c>role</c>; e.g. <c>roles</c> for Entra ID, a namespaced claim for Auth0). An array is several roles.</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>
    /// Setting <c>Auth:AdminRole</c>: the value of <see cref="RoleClaim"/> that makes a caller a platform admin (default
    /// <c>admin</c>). Named apart from the <see cref="AdminRole"/> constant, which is the platform's own role.
    /// </summary>
    [Microsoft.Extensions.Configuration.ConfigurationKeyName("AdminRole")]
    public string ProviderAdminRole { get; set; } = PlatformRoles.Admin;
}
