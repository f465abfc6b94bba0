using Npgsql;
using Platform.Core.Billing;

namespace Platform.Workers.Ingestion.YouTube;

/// <summary>
/// A user's daily budget of YouTube Data API quota units (<see cref="TierEntitlement.MaxYouTubeUnitsPerDay"/>), spent
/// by their syncs one unit per list call, as YouTube counts <c>channels.list</c>, <c>playlistItems.list</c> and
/// <c>videos.list</c>. Counted in PostgreSQL per UTC day (<see cref="DailyAllowance.YouTubeUnits"/>), so one creator's
/// connect-disconnect loop cannot use up the platform's daily quota (10,000 units by default) for everyone.
/// Independent of YouTube's own quota, which is the platform's and resets at midnight Pacific.
/// </summary>
public sealed class YouTubeUnitBudget
{
    private readonly NpgsqlDataSource dataSource;
    private readonly Guid userId;
    private readonly string tier;
    private readonly int limit;

    private YouTubeUnitBudget(NpgsqlDataSource dataSource, Guid userId, string tier, int limit)
    {
        this.dataSource = dataSource;
        this.userId = userId;
        this.tier = tier;
        this.limit = limit;
    }

    /// <summary>Units this sync has spent.</summary>
    public int Spent { get; private set; }

    /// <summary>Set once a call was refused: the day's units are used up.</summary>
    public PlanLimitNote? Exhausted { get; private set; }

    public static async Task<YouTubeUnitBudget> ForUserAsync(NpgsqlDataSource dataSource, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var tier = await TierEntitlements.EffectiveTierAsync(connection, null, userId, cancellationToken);
        return new YouTubeUnitBudget(dataSource, userId, tier, TierEntitlements.For(tier).MaxYouTubeUnitsPerDay);
    }

    /// <summary>Takes one unit for the next call; false (and <see cref="Exhausted"/> set) when the day's units are used up.</summary>
    public async Task<bool> TrySpendAsync(CancellationToken cancellationToken)
    {
        if (Exhausted is not null)
        {
            return false;
        }

        var take = await DailyAllowance.TakeAsync(dataSource, DailyAllowance.YouTubeUnits, userId, 1, limit, cancellationToken);
        if (take.Allowed)
        {
            Spent++;
            return true;
        }

        Exhausted = new PlanLimitNote(
            TierEntitlements.YouTubeUnitsPerDay,
            tier,
            limit,
            0,
            $"The {tier} plan spends at most {limit} YouTube quota units a day on your syncs; today's are used up, the next sync "
            + $"continues after {take.ResetsAt:yyyy-MM-dd HH:mm} UTC. Upgrade (POST /api/billing/checkout) for more.");
        return false;
    }
}
