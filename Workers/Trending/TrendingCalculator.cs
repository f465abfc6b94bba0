using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Discovery;
using Platform.Workers.Queue.Maintenance;
using StackExchange.Redis;

namespace Platform.Workers.Trending;

/// <summary>Outcome of one tick: <see cref="Ran"/> is false when another replica held the lock.</summary>
public sealed record TrendingResult(bool Ran, long ClicksRolledUp, int RowsChanged, TimeSpan Elapsed);

/// <summary>
/// One trending tick: <see cref="ComputeAsync"/> in a transaction holding <see cref="LockKey"/> (so exactly one replica
/// computes a tick; the schedule, <see cref="TrendingService"/>, takes it as every periodic task does) rolls new clicks
/// up into <c>content_click_hourly</c> and <c>content_item.click_count</c>, then runs <c>refresh_trending()</c> for 24h
/// and 7d; after the commit <see cref="PublishAsync"/> tells the Api replicas (Redis pub/sub) that trending lists are
/// stale, brings the search's typo dictionary up to date (<c>refresh_search_words()</c>, its own lock) and cuts the
/// search's table of the newest items back to <see cref="TrendingOptions.SearchRecentItems"/>. The formula
/// is in 003's SQL and README.
/// </summary>
public sealed class TrendingCalculator(
    NpgsqlDataSource dataSource,
    IOptions<TrendingOptions> options,
    ILogger<TrendingCalculator> logger,
    IConnectionMultiplexer? redis = null)
{
    /// <summary>Advisory lock key of the trending tick ("trend" in ASCII).</summary>
    public const long LockKey = 0x7472656E64;

    public static readonly string[] Windows = ["24h", "7d"];

    /// <summary>
    /// One tick outside the schedule (tests, tools): <see cref="ComputeAsync"/> under the lock, then
    /// <see cref="PublishAsync"/>; <see cref="TrendingResult.Ran"/> is false when another replica holds the lock.
    /// </summary>
    public async Task<TrendingResult> RecomputeAsync(DateTimeOffset? now = null, CancellationToken ct = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var computed = await LeaderLock.TryRunAsync(dataSource, LockKey, (connection, transaction, token) => ComputeAsync(connection, transaction, now, token), ct);
        if (computed is not { } counts)
        {
            return new TrendingResult(false, 0, 0, stopwatch.Elapsed);
        }

        await PublishAsync(counts.ClicksRolledUp, counts.RowsChanged, ct);
        return new TrendingResult(true, counts.ClicksRolledUp, counts.RowsChanged, stopwatch.Elapsed);
    }

    /// <summary>
    /// The locked part of a tick, in the caller's transaction (which must hold <see cref="LockKey"/>): roll settled
    /// clicks up, then refresh both windows as of <paramref name="now"/> (the database's clock when null).
    /// </summary>
    public async Task<(long ClicksRolledUp, int RowsChanged)> ComputeAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset? now, CancellationToken ct)
    {
        var settings = options.Value;
        long rolledUp = 0;
        while (true)
        {
            await using var rollup = new NpgsqlCommand("SELECT rollup_content_clicks(make_interval(secs => @settle), 1000000)", connection, transaction);
            rollup.Parameters.AddWithValue("settle", (double)settings.SettleSeconds);
            rollup.CommandTimeout = 600;
            var batch = (long)(await rollup.ExecuteScalarAsync(ct))!;
            rolledUp += batch;
            if (batch == 0)
            {
                break;
            }
        }

        var changed = 0;
        foreach (var window in Windows)
        {
            await using var refresh = new NpgsqlCommand(
                "SELECT refresh_trending(@window, coalesce(@now, now()), @gravity, @top, @top_per_category)", connection, transaction);
            refresh.Parameters.AddWithValue("window", window);
            refresh.Parameters.Add(new NpgsqlParameter("now", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)now ?? DBNull.Value });
            refresh.Parameters.AddWithValue("gravity", settings.Gravity);
            refresh.Parameters.AddWithValue("top", settings.Top);
            refresh.Parameters.AddWithValue("top_per_category", settings.TopPerCategory);
            refresh.CommandTimeout = 600;
            changed += (int)(await refresh.ExecuteScalarAsync(ct))!;
        }

        return (rolledUp, changed);
    }

    /// <summary>
    /// After the computation committed: tell the Api replicas that trending lists are stale (when anything changed),
    /// then bring the search's typo dictionary up to date and trim its table of the newest items.
    /// </summary>
    public async Task PublishAsync(long clicksRolledUp, int rowsChanged, CancellationToken ct)
    {
        if (clicksRolledUp > 0 || rowsChanged > 0)
        {
            await AnnounceAsync(clicksRolledUp > 0);
        }

        // The search's typo dictionary: words of titles changed since the last tick (a full recount once a day); and
        // its table of the newest items cut back to its size (the rows inserted since the last tick, in one delete).
        await using var words = dataSource.CreateCommand("SELECT refresh_search_words(), trim_search_recent(@keep)");
        words.Parameters.AddWithValue("keep", options.Value.SearchRecentItems);
        words.CommandTimeout = 600;
        await words.ExecuteNonQueryAsync(ct);
        logger.LogDebug("Trending: {Clicks} clicks rolled up, {Rows} trending rows changed", clicksRolledUp, rowsChanged);
    }

    private async Task AnnounceAsync(bool clickCountsChanged)
    {
        if (redis is null || !redis.IsConnected)
        {
            return; // the Api's cache lifetimes bound the staleness
        }

        try
        {
            var channel = RedisChannel.Literal(DiscoveryCacheTags.InvalidationChannel);
            await redis.GetSubscriber().PublishAsync(channel, DiscoveryCacheTags.Trending);
            if (clickCountsChanged)
            {
                // Popularity sorts read click_count; they carry the trending tag too.
                logger.LogDebug("Click counts changed; popular lists invalidated with the trending tag");
            }
        }
        catch (Exception error) when (error is RedisException or TimeoutException)
        {
            logger.LogWarning(error, "Could not announce the trending refresh");
        }
    }
}
