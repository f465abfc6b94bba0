using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Core.Ingestion;

namespace Platform.Api.Features.Platforms;

public static class PlatformsServiceExtensions
{
    /// <summary>
    /// Services of <c>/api/me/platforms</c>: the account limits seam (everyone gets the free plan's limits until a
    /// tier-aware <see cref="IPlatformAccountLimits"/> is registered before this call).
    /// </summary>
    public static WebApplicationBuilder AddPlatformAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton<IPlatformAccountLimits, FreePlatformAccountLimits>();
        return builder;
    }
}
