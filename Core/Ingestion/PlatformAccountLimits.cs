namespace Platform.Core.Ingestion;

/// <summary>What a user's plan allows for connected accounts.</summary>
/// <param name="MaxAccounts">Connected platform accounts (YouTube channels and feeds together).</param>
/// <param name="SyncInterval">How often each account is synced by the schedule.</param>
public sealed record PlatformAccountLimits(int MaxAccounts, TimeSpan SyncInterval)
{
    /// <summary>The free plan: 3 accounts, each synced every 6 hours.</summary>
    public static readonly PlatformAccountLimits Free = new(3, TimeSpan.FromHours(6));
}

/// <summary>
/// The seam where plans decide account limits. The default gives everyone <see cref="PlatformAccountLimits.Free"/>;
/// a tier-aware implementation (from the billing entitlements) replaces the registration.
/// </summary>
public interface IPlatformAccountLimits
{
    ValueTask<PlatformAccountLimits> ForUserAsync(Guid userId, CancellationToken cancellationToken);
}

public sealed class FreePlatformAccountLimits : IPlatformAccountLimits
{
    public ValueTask<PlatformAccountLimits> ForUserAsync(Guid userId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(PlatformAccountLimits.Free);
}
