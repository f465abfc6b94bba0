using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Platform.Core.Ingestion.Feeds;

public static class FeedClientRegistration
{
    public const string UserAgent = "PlatformIngestion/1.0";

    /// <summary>
    /// <see cref="FeedClient"/> for the Workers' feed sync and the Api's feed ownership check (one fetcher, one policy):
    /// feed URLs come from users, so they are fetched only from public addresses on standard ports
    /// (<see cref="SafeHttpHandler"/>), within the total deadline <see cref="FeedClient"/> enforces itself, and with none
    /// of the service defaults' handlers: no service discovery (a user's host name must never resolve to one of our
    /// services) and no retries (a refusal is final, and the queue already retries transient failures with backoff).
    /// Binds <see cref="IngestionOptions"/> (section <c>Ingestion</c>).
    /// </summary>
    public static IServiceCollection AddFeedClient(this IServiceCollection services)
    {
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section);
#pragma warning disable EXTEXP0001
        services.AddHttpClient<FeedClient>(http =>
            {
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.MaxResponseContentBufferSize = FeedClient.MaxFeedBytes;
                http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
            })
            .RemoveAllResilienceHandlers()
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear())
            .ConfigurePrimaryHttpMessageHandler(sp => SafeHttpHandler.Create(sp.GetRequiredService<IOptions<IngestionOptions>>().Value));
#pragma warning restore EXTEXP0001
        return services;
    }
}
