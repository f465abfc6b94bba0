using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Api.Features.Discovery;
using StackExchange.Redis;

namespace Platform.Api.Caching;

public static class CachingServiceExtensions
{
    /// <summary>
    /// The public reads' cache: HybridCache (this replica's memory, then Redis behind <see cref="ResilientDistributedCache"/>),
    /// <see cref="PublicCache"/> with its cross-replica invalidation (<see cref="CacheInvalidationListener"/>), the list
    /// flush debouncer and the page tags. Settings are the <c>Discovery</c> section's cache keys
    /// (<see cref="DiscoveryOptions"/>). Redis is a non-critical dependency: failing, it makes <c>/health</c> Degraded
    /// (200), not Unhealthy, and the Api keeps answering from Postgres.
    /// </summary>
    public static WebApplicationBuilder AddPublicCache(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DiscoveryOptions>().Bind(builder.Configuration.GetSection(DiscoveryOptions.Section));
        services.AddSingleton<IDistributedCache>(sp =>
        {
            var redis = sp.GetRequiredService<IConnectionMultiplexer>();
            var inner = new RedisCache(Options.Create(new RedisCacheOptions
            {
                ConnectionMultiplexerFactory = () => Task.FromResult(redis),
                InstanceName = sp.GetRequiredService<IOptions<DiscoveryOptions>>().Value.CacheKeyPrefix,
            }));
            return new ResilientDistributedCache(inner, redis, sp.GetRequiredService<ILogger<ResilientDistributedCache>>());
        });
        services.AddHybridCache(options =>
        {
            options.MaximumPayloadBytes = 4 * 1024 * 1024;
            options.MaximumKeyLength = 512;
        });
        services.AddSingleton<PublicCache>();
        services.AddSingleton<ListFlushDebouncer>();
        services.AddSingleton<PublicPageTags>();
        services.AddHostedService<CacheInvalidationListener>();
        services.Configure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations.Where(r => r.Name.Contains("redis", StringComparison.OrdinalIgnoreCase)))
            {
                registration.FailureStatus = HealthStatus.Degraded;
            }
        });
        return builder;
    }
}
