using System.Security.Claims;

namespace Platform.Api.Auth;

public static class CurrentUser
{
    /// <summary>The caller's user id (<c>sub</c>), or null when anonymous or when <c>sub</c> is not a uuid.</summary>
    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue("sub"), out var id) ? id : null;

    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(AuthOptions.AdminRole);
}
