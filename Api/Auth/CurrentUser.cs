using System.Security.Claims;

namespace Platform.Api.Auth;

public static class CurrentUser
{
    /// <summary>Claim type of the platform user id the caller's <c>(iss, sub)</c> resolved to (added by <see cref="EnsureUserMiddleware"/>).</summary>
    public const string UserIdClaim = "platform:user_id";

    /// <summary>The caller's platform user id (a uuid), or null when anonymous.</summary>
    public static Guid? UserId(this ClaimsPrincipal principal) =>
        Guid.TryParse(principal.FindFirstValue(UserIdClaim), out var id) ? id : null;

    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(PlatformRoles.Admin);
}
