using Npgsql;
using Platform.Core.Billing;
using Platform.Core.Ingestion;

namespace Platform.Api.Features.Platforms;

/// <summary>Account limits from the user's plan (<see cref="TierEntitlements"/>): how many accounts, how often synced.</summary>
public sealed class TierPlatformAccountLimits(NpgsqlDataSource dataSource) : IPlatformAccountLimits
{
    public async ValueTask<PlatformAccountLimits> ForUserAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var entitlement = TierEntitlements.For(await TierEntitlements.EffectiveTierAsync(connection, null, userId, cancellationToken));
        return new PlatformAccountLimits(entitlement.MaxPlatformAccounts, entitlement.SyncInterval);
    }
}
