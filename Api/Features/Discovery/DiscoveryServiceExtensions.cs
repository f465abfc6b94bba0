using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Api.Caching;
using Platform.Api.Features.Discovery.Search;
using Platform.Api.Features.Discovery.Shared;
using Platform.Api.Features.Seo;

namespace Platform.Api.Features.Discovery;

/// <summary>Service registrations of the public discovery API and the site built on it (one call from Program.cs).</summary>
public static class DiscoveryServiceExtensions
{
    /// <summary>Rate-limit policy of the public reads, per client address (<c>Discovery:RateLimitPermits</c>; see <c>RateLimits</c>).</summary>
    public const string PublicRateLimitPolicy = "public";

    /// <summary>The public cache, the anonymous data source, the visitor hasher, search's common lexemes and the server-rendered site.</summary>
    public static WebApplicationBuilder AddDiscovery(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddPublicCache();
        services.AddSingleton<AnonymousDataSource>();
        services.AddSingleton<VisitorHasher>();
        services.AddSingleton<CommonLexemes>();
        builder.AddSeo();
        services.TryAddSingleton(TimeProvider.System);
        return builder;
    }
}
