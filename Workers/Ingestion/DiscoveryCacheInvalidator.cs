using Platform.Core.Ingestion;
using StackExchange.Redis;

namespace Platform.Workers.Ingestion;

/// <summary>
/// Tells the Api's discovery cache what changed: <c>PUBLISH discovery:invalidate &lt;tag&gt;</c> on the <c>cache</c>
/// Redis connection (see <see cref="DiscoveryInvalidation"/>). Best effort: a lost message only means the cache entry
/// lives out its TTL, so failures are logged, never thrown into the job.
/// </summary>
public sealed partial class DiscoveryCacheInvalidator(IServiceProvider services, ILogger<DiscoveryCacheInvalidator> logger)
{
    /// <summary>
    /// Publishes <c>creator:&lt;id&gt;</c> only: the Api evicts that creator's pages at once and flushes the lists
    /// debounced, so syncing one creator never empties the cache of every other creator's pages.
    /// </summary>
    public Task ContentChangedAsync(Guid creatorId) =>
        PublishAsync(DiscoveryInvalidation.ContentChanged(creatorId));

    public async Task PublishAsync(params string[] tags)
    {
        if (services.GetService<IConnectionMultiplexer>() is not { } redis)
        {
            return; // no cache configured (tests, tools): nothing to invalidate
        }

        try
        {
            var subscriber = redis.GetSubscriber();
            var channel = RedisChannel.Literal(DiscoveryInvalidation.Channel);
            foreach (var tag in tags)
            {
                await subscriber.PublishAsync(channel, tag);
            }
        }
        catch (Exception error) when (error is RedisException or TimeoutException or ObjectDisposedException)
        {
            LogPublishFailed(error, string.Join(", ", tags));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not publish discovery cache invalidation for {Tags}")]
    private partial void LogPublishFailed(Exception error, string tags);
}
