using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using Platform.Api.Features.Discovery;
using Platform.Core.Discovery;
using StackExchange.Redis;

namespace Platform.Api.Caching;

/// <summary>
/// The public API's cache: HybridCache (this replica's memory, then Redis) keyed by the normalized query, tagged
/// for invalidation. HybridCache runs one factory per key at a time in a process (stampede protection).
/// <see cref="InvalidateAsync"/> drops the tags here and announces them on Redis so the other replicas drop them
/// too; when Redis is down the short local lifetime bounds how long another replica can serve stale data. A scoped tag
/// (<see cref="DiscoveryCacheTags.Creator"/>, <see cref="DiscoveryCacheTags.Item"/>) is evicted at once and makes the
/// lists flush through the <see cref="ListFlushDebouncer"/>.
/// </summary>
public sealed class PublicCache(
    HybridCache cache,
    ListFlushDebouncer lists,
    IConnectionMultiplexer redis,
    IOptions<DiscoveryOptions> options,
    ILogger<PublicCache> logger)
{
    private readonly HybridCacheEntryOptions entryOptions = new()
    {
        Expiration = TimeSpan.FromSeconds(options.Value.DistributedCacheSeconds),
        LocalCacheExpiration = TimeSpan.FromSeconds(Math.Min(options.Value.LocalCacheSeconds, options.Value.DistributedCacheSeconds)),
    };

    private readonly bool enabled = options.Value.CacheEnabled;

    public ValueTask<CachedResponse> GetOrCreateAsync<TState>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<CachedResponse>> factory,
        string[] tags,
        CancellationToken ct)
    {
        if (!enabled)
        {
            return factory(state, ct);
        }

        return cache.GetOrCreateAsync("pub:" + key, state, factory, entryOptions, tags, ct);
    }

    /// <summary>Drops every entry carrying one of <paramref name="tags"/>, here and (through Redis pub/sub) on the other replicas.</summary>
    public async Task InvalidateAsync(IReadOnlyCollection<string> tags, CancellationToken ct = default)
    {
        foreach (var tag in tags)
        {
            await InvalidateLocallyAsync(tag);
        }

        if (!redis.IsConnected)
        {
            logger.LogWarning("Redis is down: cache tags {Tags} were invalidated on this replica only", string.Join(", ", tags));
            return;
        }

        try
        {
            var subscriber = redis.GetSubscriber();
            foreach (var tag in tags)
            {
                await subscriber.PublishAsync(RedisChannel.Literal(DiscoveryCacheTags.InvalidationChannel), tag);
            }
        }
        catch (Exception error) when (error is RedisException or TimeoutException)
        {
            logger.LogWarning(error, "Could not announce the invalidation of {Tags} to the other replicas", string.Join(", ", tags));
        }
    }

    /// <summary>Called for an invalidation announced by any process (including this one: a repeat is harmless).</summary>
    internal ValueTask InvalidateLocallyAsync(string tag)
    {
        if (DiscoveryCacheTags.IsScoped(tag))
        {
            lists.Request();
        }

        return cache.RemoveByTagAsync(tag);
    }
}

/// <summary>
/// Subscribes this replica to the invalidation channel for its lifetime. Redis' client resubscribes after a reconnect;
/// if Redis was down when the Api started, the subscription is made when the connection comes up.
/// </summary>
public sealed class CacheInvalidationListener(IConnectionMultiplexer redis, PublicCache cache, ILogger<CacheInvalidationListener> logger)
    : IHostedService
{
    private int subscribed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        await SubscribeAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        return Task.CompletedTask;
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (Volatile.Read(ref subscribed) == 0)
        {
            _ = SubscribeAsync();
        }
    }

    private async Task SubscribeAsync()
    {
        if (!redis.IsConnected)
        {
            logger.LogWarning("Redis is down: cache invalidations from other replicas are not heard until it is back");
            return;
        }

        try
        {
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(DiscoveryCacheTags.InvalidationChannel), (channel, tag) =>
            {
                if (!tag.IsNullOrEmpty)
                {
                    _ = cache.InvalidateLocallyAsync(tag.ToString());
                }
            });
            Volatile.Write(ref subscribed, 1);
        }
        catch (Exception error) when (error is RedisException or TimeoutException)
        {
            // Not fatal: the Api serves from Postgres; local cache lifetimes bound staleness until Redis is back.
            logger.LogWarning(error, "Could not subscribe to cache invalidations; retrying when Redis reconnects");
        }
    }
}
