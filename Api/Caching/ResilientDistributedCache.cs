using Microsoft.Extensions.Caching.Distributed;
using StackExchange.Redis;

namespace Platform.Api.Caching;

/// <summary>
/// HybridCache's L2: Redis, skipped while the connection is down so a dead Redis costs nothing per request (no
/// connect timeouts on the hot path). Reads then miss and writes are dropped; HybridCache falls back to its memory
/// and to Postgres, and /health reports Redis as degraded.
/// </summary>
public sealed class ResilientDistributedCache(IDistributedCache inner, IConnectionMultiplexer redis, ILogger<ResilientDistributedCache> logger)
    : IDistributedCache
{
    public byte[]? Get(string key) => redis.IsConnected ? Try(() => inner.Get(key)) : null;

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        if (!redis.IsConnected)
        {
            return null;
        }

        try
        {
            return await inner.GetAsync(key, token);
        }
        catch (Exception error) when (IsRedisFailure(error))
        {
            logger.LogDebug(error, "L2 read failed");
            return null;
        }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        if (redis.IsConnected)
        {
            Try(() => { inner.Set(key, value, options); return true; });
        }
    }

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (!redis.IsConnected)
        {
            return;
        }

        try
        {
            await inner.SetAsync(key, value, options, token);
        }
        catch (Exception error) when (IsRedisFailure(error))
        {
            logger.LogDebug(error, "L2 write failed");
        }
    }

    public void Refresh(string key)
    {
        if (redis.IsConnected)
        {
            Try(() => { inner.Refresh(key); return true; });
        }
    }

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        if (!redis.IsConnected)
        {
            return;
        }

        try
        {
            await inner.RefreshAsync(key, token);
        }
        catch (Exception error) when (IsRedisFailure(error))
        {
            logger.LogDebug(error, "L2 refresh failed");
        }
    }

    public void Remove(string key)
    {
        if (redis.IsConnected)
        {
            Try(() => { inner.Remove(key); return true; });
        }
    }

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        if (!redis.IsConnected)
        {
            return;
        }

        try
        {
            await inner.RemoveAsync(key, token);
        }
        catch (Exception error) when (IsRedisFailure(error))
        {
            logger.LogDebug(error, "L2 remove failed");
        }
    }

    private T? Try<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception error) when (IsRedisFailure(error))
        {
            logger.LogDebug(error, "L2 call failed");
            return default;
        }
    }

    private static bool IsRedisFailure(Exception error) => error is RedisException or TimeoutException or ObjectDisposedException;
}
