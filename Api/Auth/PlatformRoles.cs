namespace Platform.Api.Auth;

/// <summary>
/// The platform's own roles, as endpoints require them (<c>Roles(PlatformRoles.Admin)</c>). A token's roles are
/// mapped to these from the configured claim (<see cref="AuthOptions.RoleClaim"/>, <see cref="AuthOptions.ProviderAdminRole"/>),
/// so a provider's role names never reach an endpoint directly.
/// </summary>
public static class PlatformRoles
{
    public const string Admin = "admin";

    /// <summary>Claim type of the mapped roles (never issued by a provider: a token cannot carry it in).</summary>
    public const string ClaimType = "platform:role";
}
