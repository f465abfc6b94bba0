using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo;
using Platform.Api.Http;
using StackExchange.Redis;

namespace Platform.Api.Features.Discovery;

/// <summary>Service registrations and middleware of the public discovery API (one call each from Program.cs).</summary>
public static class DiscoveryServiceExtensions
{
    public const string PublicRateLimitPolicy = "public";

    /// <summary>HybridCache over Redis, the per-client rate limit, and Redis as a non-critical (degraded) dependency.</summary>
    public static WebApplicationBuilder AddDiscovery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DiscoveryOptions>().Bind(builder.Configuration.GetSection(DiscoveryOptions.Section));

        // L2: the Aspire-registered multiplexer, behind a guard that skips Redis while it is down.
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
        services.AddSingleton<AnonymousDataSource>();
        services.AddHostedService<CacheInvalidationListener>();
        services.AddSingleton<VisitorHasher>();
        builder.AddSeo();
        services.TryAddSingleton(TimeProvider.System);

        // The Api keeps answering from Postgres without Redis: Redis failing makes /health Degraded (200), not Unhealthy.
        services.Configure<HealthCheckServiceOptions>(options =>
        {
            foreach (var registration in options.Registrations.Where(r => r.Name.Contains("redis", StringComparison.OrdinalIgnoreCase)))
            {
                registration.FailureStatus = HealthStatus.Degraded;
            }
        });

        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(PublicRateLimitPolicy, context =>
            {
                var settings = context.RequestServices.GetRequiredService<IOptions<DiscoveryOptions>>().Value;
                return RateLimits.FixedWindow(ClientAddress.Key(context), settings.RateLimitPermits, settings.RateLimitWindowSeconds);
            });
            options.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Ceiling(wait.TotalSeconds)
                    : 1;
                http.Response.Headers.RetryAfter = Math.Max(1, retryAfter).ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(http, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"Rate limit exceeded; retry after {retryAfter} s.");
            };
        });
        return builder;
    }

    /// <summary>The rate limiter middleware (endpoints opt in with <see cref="PublicRateLimitPolicy"/>).</summary>
    public static WebApplication UseDiscovery(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }
}
