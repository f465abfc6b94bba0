using Npgsql;
using Platform.Core.Billing;

namespace Platform.Api.Features.Platforms;

/// <summary>What a user's plan allows for connected accounts.</summary>
/// <param name="MaxAccounts">Connected platform accounts (YouTube channels and feeds together).</param>
/// <param name="SyncInterval">How often each account is synced by the schedule.</param>
public sealed record PlatformAccountLimits(int MaxAccounts, TimeSpan SyncInterval);

/// <summary>Account limits from the user's plan (<see cref="TierEntitlements"/>): how many accounts, how often synced.</summary>
public sealed class TierPlatformAccountLimits(NpgsqlDataSource dataSource)
{
    public async ValueTask<PlatformAccountLimits> ForUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var entitlement = TierEntitlements.For(await TierEntitlements.EffectiveTierAsync(connection, null, userId, cancellationToken));
        return new PlatformAccountLimits(entitlement.MaxPlatformAccounts, entitlement.SyncInterval);
    }
}
