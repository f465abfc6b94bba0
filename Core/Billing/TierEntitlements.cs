using Npgsql;

namespace Platform.Core.Billing;

/// <summary>What a plan allows.</summary>
/// <param name="SyncInterval">How often each connected account is synced by the schedule.</param>
/// <param name="MaxItemsPerAccount">Content items (not <c>removed</c>) one platform account may hold; a sync keeps the rest out.</param>
/// <param name="MaxItemsPerUser">Content items (not <c>removed</c>) all of a user's accounts may hold together.</param>
/// <param name="MaxPlatformChangesPerDay">Connects plus disconnects per user per UTC day; over it: 429 until midnight UTC.</param>
/// <param name="MaxTaggingCallsPerDay">AI tagging calls (one per item) per user per UTC day; then the keyword tagger.</param>
/// <param name="MaxYouTubeUnitsPerDay">
/// YouTube Data API quota units a user's syncs may spend per UTC day, counted as YouTube counts them (each
/// <c>channels.list</c>, <c>playlistItems.list</c> and <c>videos.list</c> call is 1 unit).
/// </param>
public sealed record TierEntitlement(
    string Tier,
    int MaxPlatformAccounts,
    int MaxConcurrentJobs,
    TimeSpan SyncInterval,
    int MaxItemsPerAccount,
    int MaxItemsPerUser,
    int MaxPlatformChangesPerDay,
    int MaxTaggingCallsPerDay,
    int MaxYouTubeUnitsPerDay);

/// <summary>The outcome of an entitlement check: allowed while <see cref="Used"/> is below <see cref="Limit"/>.</summary>
public sealed record EntitlementCheck(string Entitlement, string Tier, int Limit, int Used)
{
    public bool Allowed => Used < Limit;

    public string Message => Allowed
        ? $"{Used} of {Limit} {Entitlement} used on the {Tier} plan."
        : $"The {Tier} plan allows {Limit} {Entitlement}; {Used} in use. Upgrade (POST /api/billing/checkout) or free one up.";
}

/// <summary>The outcome of taking from a daily allowance of the user's plan.</summary>
public sealed record DailyEntitlementCheck(string Entitlement, string Tier, int Limit, AllowanceTake Take)
{
    public bool Allowed => Take.Allowed;

    public string Message => Allowed
        ? $"{Take.Used} of {Limit} {Entitlement} used on the {Tier} plan today."
        : $"The {Tier} plan allows {Limit} {Entitlement} (UTC day); {Take.Used} used. Try again after {Take.ResetsAt:yyyy-MM-dd HH:mm} UTC or upgrade (POST /api/billing/checkout).";
}

/// <summary>
/// Tier entitlements, one place for every feature that needs them: how many platform accounts a user may connect, how
/// many of their jobs may be pending or running at once, and the volumes of ingestion (items kept, connects and
/// disconnects, AI tagging calls and YouTube quota units per day; the daily ones are counted by <see cref="DailyAllowance"/>). A paid tier counts only while its Stripe status is
/// active, trialing or past_due (Stripe's dunning grace); otherwise the user has the free tier's allowances.
/// The checks read through the caller's connection, so they work inside a <see cref="Data.UserScope"/> (RLS).
/// </summary>
public static class TierEntitlements
{
    public const string Free = "free";
    public const string Pro = "pro";
    public const string Business = "business";

    public const string PlatformAccounts = "platform accounts";
    public const string ConcurrentJobs = "concurrent jobs";
    public const string ItemsPerAccount = "items per account";
    public const string ItemsPerUser = "items per user";
    public const string PlatformChangesPerDay = "connects and disconnects per day";
    public const string TaggingCallsPerDay = "AI tagging calls per day";
    public const string YouTubeUnitsPerDay = "YouTube quota units per day";

    private static readonly Dictionary<string, TierEntitlement> ByTier = new(StringComparer.Ordinal)
    {
        [Free] = new(
            Free, MaxPlatformAccounts: 3, MaxConcurrentJobs: 2, SyncInterval: TimeSpan.FromHours(6),
            MaxItemsPerAccount: 500, MaxItemsPerUser: 1_000, MaxPlatformChangesPerDay: 10, MaxTaggingCallsPerDay: 200, MaxYouTubeUnitsPerDay: 500),
        [Pro] = new(
            Pro, MaxPlatformAccounts: 10, MaxConcurrentJobs: 10, SyncInterval: TimeSpan.FromHours(1),
            MaxItemsPerAccount: 5_000, MaxItemsPerUser: 25_000, MaxPlatformChangesPerDay: 30, MaxTaggingCallsPerDay: 2_000, MaxYouTubeUnitsPerDay: 2_500),
        [Business] = new(
            Business, MaxPlatformAccounts: 100, MaxConcurrentJobs: 50, SyncInterval: TimeSpan.FromMinutes(15),
            MaxItemsPerAccount: 25_000, MaxItemsPerUser: 250_000, MaxPlatformChangesPerDay: 100, MaxTaggingCallsPerDay: 20_000, MaxYouTubeUnitsPerDay: 5_000),
    };

    public static IReadOnlyCollection<TierEntitlement> All => ByTier.Values;

    public static bool IsTier(string tier) => ByTier.ContainsKey(tier);

    public static TierEntitlement For(string tier) => ByTier.TryGetValue(tier, out var entitlement) ? entitlement : ByTier[Free];

    /// <summary>The tier whose allowances apply: the paid tier only while Stripe says it is paid (or in grace).</summary>
    public static string EffectiveTier(string tier, string status) => IsLiveStatus(status) ? tier : Free;

    /// <summary>
    /// Whether a Stripe subscription status counts as paying: <c>active</c>, <c>trialing</c>, or <c>past_due</c> (Stripe's
    /// dunning grace, while it retries the payment). Every other status (<c>incomplete</c>, <c>unpaid</c>, <c>paused</c>,
    /// <c>canceled</c>, <c>incomplete_expired</c>) gives the free tier's allowances.
    /// </summary>
    public static bool IsLiveStatus(string status) => status is "active" or "trialing" or "past_due";

    /// <summary>Order of the tiers (free 0, pro 1, business 2): the higher of two live plans is the one that applies.</summary>
    public static int Rank(string tier) => tier switch
    {
        Business => 2,
        Pro => 1,
        _ => 0,
    };

    /// <summary>The user's effective tier from their subscription row (free when they have none yet).</summary>
    public static async Task<string> EffectiveTierAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var command = new NpgsqlCommand("SELECT tier, status FROM subscription WHERE user_id = @user", connection, transaction);
        command.Parameters.AddWithValue("user", userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? EffectiveTier(reader.GetString(0), reader.GetString(1)) : Free;
    }

    /// <summary>May the user connect one more platform account?</summary>
    public static async Task<EntitlementCheck> CheckPlatformAccountsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, CancellationToken cancellationToken = default)
    {
        var tier = await EffectiveTierAsync(connection, transaction, userId, cancellationToken);
        var used = await CountAsync(
            connection, transaction, "SELECT count(*) FROM platform_account WHERE user_id = @user AND is_active", userId, cancellationToken);
        return new EntitlementCheck(PlatformAccounts, tier, For(tier).MaxPlatformAccounts, used);
    }

    /// <summary>May the user have one more job pending or running (optionally counting only some job types, e.g. syncs)?</summary>
    public static async Task<EntitlementCheck> CheckConcurrentJobsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, IReadOnlyCollection<string>? jobTypes = null,
        CancellationToken cancellationToken = default) =>
        (await CheckConcurrentJobsAsync(connection, transaction, [userId], jobTypes, cancellationToken))[userId];

    /// <summary>
    /// <see cref="CheckConcurrentJobsAsync(NpgsqlConnection, NpgsqlTransaction?, Guid, IReadOnlyCollection{string}?, CancellationToken)"/>
    /// for many users in one statement (a schedule tick applies the caps in memory): each user's effective tier and
    /// their jobs pending or running (only <paramref name="jobTypes"/> when given). Every user of
    /// <paramref name="userIds"/> has an entry; a user without a subscription row has the free tier's.
    /// </summary>
    public static async Task<IReadOnlyDictionary<Guid, EntitlementCheck>> CheckConcurrentJobsAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<Guid> userIds, IReadOnlyCollection<string>? jobTypes = null,
        CancellationToken cancellationToken = default)
    {
        var checks = new Dictionary<Guid, EntitlementCheck>(userIds.Count);
        if (userIds.Count == 0)
        {
            return checks;
        }

        var typeFilter = jobTypes is null ? string.Empty : "AND j.job_type = ANY (@types)";
        await using var command = new NpgsqlCommand(
            $"""
            SELECT u.id, s.tier, s.status,
                   (SELECT count(*) FROM job_queue j
                    WHERE j.user_id = u.id AND j.status IN ('pending', 'processing') {typeFilter})
            FROM unnest(@users) AS u(id)
            LEFT JOIN subscription s ON s.user_id = u.id
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("users", userIds.Distinct().ToArray());
        if (jobTypes is not null)
        {
            command.Parameters.AddWithValue("types", jobTypes.ToArray());
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var tier = reader.IsDBNull(1) ? Free : EffectiveTier(reader.GetString(1), reader.GetString(2));
            checks[reader.GetGuid(0)] = new EntitlementCheck(ConcurrentJobs, tier, For(tier).MaxConcurrentJobs, (int)reader.GetInt64(3));
        }

        return checks;
    }

    /// <summary>
    /// Takes <paramref name="amount"/> from the user's daily allowance <paramref name="counter"/> (a
    /// <see cref="DailyAllowance"/> counter) under their plan's limit, in the caller's transaction.
    /// </summary>
    public static async Task<DailyEntitlementCheck> TakeDailyAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, string counter, int amount, CancellationToken cancellationToken = default)
    {
        var tier = await EffectiveTierAsync(connection, transaction, userId, cancellationToken);
        var (entitlement, limit) = DailyLimit(For(tier), counter);
        var take = await DailyAllowance.TakeAsync(connection, transaction, counter, userId, amount, limit, cancellationToken);
        return new DailyEntitlementCheck(entitlement, tier, limit, take);
    }

    /// <summary>The entitlement's name and the plan's limit of a <see cref="DailyAllowance"/> counter.</summary>
    public static (string Entitlement, int Limit) DailyLimit(TierEntitlement plan, string counter) => counter switch
    {
        DailyAllowance.PlatformChanges => (PlatformChangesPerDay, plan.MaxPlatformChangesPerDay),
        DailyAllowance.TaggingCalls => (TaggingCallsPerDay, plan.MaxTaggingCallsPerDay),
        DailyAllowance.YouTubeUnits => (YouTubeUnitsPerDay, plan.MaxYouTubeUnitsPerDay),
        _ => throw new ArgumentOutOfRangeException(nameof(counter), counter, "not a daily allowance of a plan"),
    };

    private static async Task<int> CountAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, Guid userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("user", userId);
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
