using Platform.Api.Http;
using Platform.Core.Billing;
using Platform.Core.Data;

namespace Platform.Api.Features.Platforms;

/// <summary>
/// Connects and disconnects together are bounded per user per UTC day by the plan
/// (<see cref="TierEntitlement.MaxPlatformChangesPerDay"/>), so connect-disconnect-repeat cannot make the Workers walk a
/// channel or feed again and again. Counted in PostgreSQL (<see cref="DailyAllowance"/>) in the request's own
/// transaction: a change that fails afterwards (404, 409, 403) rolls its count back.
/// </summary>
public static class PlatformChangeAllowance
{
    /// <summary>
    /// Takes one change from the user's allowance; null when taken, else the 429 problem to answer (with
    /// <c>Retry-After</c>: the seconds until 00:00 UTC) and nothing taken.
    /// </summary>
    public static async Task<IResult?> TakeAsync(UserScope scope, Guid userId, HttpContext http, CancellationToken cancellationToken)
    {
        var check = await TierEntitlements.TakeDailyAsync(scope.Connection, scope.Transaction, userId, DailyAllowance.PlatformChanges, 1, cancellationToken);
        return check.Allowed ? null : TooMany(check, http);
    }

    /// <summary>The 429 problem for a used-up allowance, with <c>Retry-After</c>: the seconds until 00:00 UTC.</summary>
    public static IResult TooMany(DailyEntitlementCheck check, HttpContext http) =>
        Problems.RetryLater(http, StatusCodes.Status429TooManyRequests, "Too many account changes", check.Message,
            check.Take.SecondsUntilReset(DateTimeOffset.UtcNow));
}
