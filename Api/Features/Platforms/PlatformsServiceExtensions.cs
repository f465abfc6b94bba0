using Platform.Api.Features.Platforms.Verification;
using Platform.Api.Features.Platforms.VerifyPlatform;
using Platform.Api.Features.Platforms.YouTubeOAuth;
using Platform.Core.Ingestion;
using Platform.Core.Ingestion.Feeds;

namespace Platform.Api.Features.Platforms;

public static class PlatformsServiceExtensions
{
    /// <summary>
    /// Services of <c>/api/me/platforms</c>: the account limits of the user's plan (<see cref="TierPlatformAccountLimits"/>)
    /// and ownership verification (feed token check, YouTube OAuth; settings <c>Ingestion__*</c> and <c>YouTube__*</c>).
    /// </summary>
    public static WebApplicationBuilder AddPlatformAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TierPlatformAccountLimits>();

        // Ownership verification: the feed check fetches through the Workers' safe feed client.
        builder.Services.AddFeedClient();
        builder.Services.AddOptions<YouTubeOptions>().BindConfiguration(YouTubeOptions.Section);
        builder.Services.AddSingleton<PlatformAccountConnector>();
        builder.Services.AddSingleton<OwnershipVerifier>();
        builder.Services.AddSingleton<OAuthStateStore>();
        builder.Services.AddScoped<FeedOwnershipCheck>();
        builder.Services.AddHttpClient<YouTubeChannelOwnership>(http => http.Timeout = TimeSpan.FromSeconds(30));
        return builder;
    }
}
