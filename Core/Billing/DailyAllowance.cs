using Npgsql;

namespace Platform.Core.Billing;

/// <summary>The outcome of taking from a daily allowance.</summary>
/// <param name="Allowed">Whether the amount was taken (it fitted under the limit).</param>
/// <param name="Used">The day's usage afterwards, or as it stands when refused.</param>
/// <param name="ResetsAt">When the day ends and the allowance is whole again (the next UTC midnight).</param>
public sealed record AllowanceTake(bool Allowed, int Used, DateTimeOffset ResetsAt)
{
    /// <summary>Whole seconds until <see cref="ResetsAt"/> (at least 1): the <c>Retry-After</c> of a refusal.</summary>
    public int SecondsUntilReset(DateTimeOffset now) => Math.Max(1, (int)Math.Ceiling((ResetsAt - now).TotalSeconds));
}

/// <summary>
/// Allowances per UTC day, counted in PostgreSQL (<c>daily_allowance_usage</c>, <c>take_daily_allowance()</c>,
/// migration 019) so that a bound holds across replicas and restarts. The day is the UTC calendar day (not a rolling
/// 24 hours): every allowance is whole again at 00:00 UTC. The limits come from <see cref="TierEntitlements"/> (per
/// user) or from settings (platform-wide, scope <see cref="Platform"/>).
/// </summary>
public static class DailyAllowance
{
    /// <summary>Connects plus disconnects of platform accounts, per user.</summary>
    public const string PlatformChanges = "platform_changes";

    /// <summary>AI tagging calls (one per item), per user and platform-wide.</summary>
    public const string TaggingCalls = "tagging_calls";

    /// <summary>YouTube Data API quota units spent by a user's syncs.</summary>
    public const string YouTubeUnits = "youtube_units";

    /// <summary>The scope of a platform-wide allowance (the nil uuid; no user has it).</summary>
    public static readonly Guid Platform = Guid.Empty;

    /// <summary>
    /// Takes <paramref name="amount"/> from <paramref name="counter"/> of <paramref name="scope"/> when the day's usage
    /// plus the amount stays within <paramref name="limit"/>; otherwise takes nothing. Runs in the caller's transaction
    /// (a rollback gives it back; the row stays locked until then, so concurrent takes of one scope queue up). Under a
    /// <see cref="Data.UserScope"/> only the scope's own user may be taken from (SQLSTATE 42501 otherwise).
    /// </summary>
    public static async Task<AllowanceTake> TakeAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string counter, Guid scope, int amount, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT allowed, used, resets_at FROM take_daily_allowance(@counter, @scope, @amount, @limit)", connection, transaction);
        command.Parameters.AddWithValue("counter", counter);
        command.Parameters.AddWithValue("scope", scope);
        command.Parameters.AddWithValue("amount", amount);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new AllowanceTake(reader.GetBoolean(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2));
    }

    /// <summary><see cref="TakeAsync(NpgsqlConnection, NpgsqlTransaction?, string, Guid, int, int, CancellationToken)"/> on a connection of its own.</summary>
    public static async Task<AllowanceTake> TakeAsync(
        NpgsqlDataSource dataSource, string counter, Guid scope, int amount, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await TakeAsync(connection, null, counter, scope, amount, limit, cancellationToken);
    }
}
