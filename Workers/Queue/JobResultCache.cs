using StackExchange.Redis;

namespace Platform.Workers.Queue;

/// <summary>
/// Results of cacheable job types in Redis (<c>jobresult:{type}:{cache key}</c>, expiring with the type's TTL): the
/// first place a worker looks before running a cacheable job, so identical work enqueued before the first copy
/// finished runs once. The database stays the record (<c>create_job</c> serves cache hits from it). Redis being down
/// only means a miss.
/// </summary>
public sealed partial class JobResultCache(IServiceProvider services, ILogger<JobResultCache> logger)
{
    private readonly IConnectionMultiplexer? redis = services.GetService<IConnectionMultiplexer>();

    public static string Key(string jobType, string cacheKey) => $"jobresult:{jobType}:{cacheKey}";

    public async Task<string?> GetAsync(string jobType, string cacheKey)
    {
        if (redis is null)
        {
            return null;
        }

        try
        {
            var value = await redis.GetDatabase().StringGetAsync(Key(jobType, cacheKey));
            return value.HasValue ? value.ToString() : null;
        }
        catch (Exception error) when (error is RedisException or TimeoutException)
        {
            LogUnavailable(error);
            return null;
        }
    }

    public async Task SetAsync(string jobType, string cacheKey, string resultJson, TimeSpan ttl)
    {
        if (redis is null)
        {
            return;
        }

        try
        {
            await redis.GetDatabase().StringSetAsync(Key(jobType, cacheKey), resultJson, ttl);
        }
        catch (Exception error) when (error is RedisException or TimeoutException)
        {
            LogUnavailable(error);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis is unavailable for job results; the database serves as the cache")]
    private partial void LogUnavailable(Exception error);
}
