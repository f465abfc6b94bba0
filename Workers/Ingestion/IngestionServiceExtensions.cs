using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Core.Data;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Workers.Handlers;
using Platform.Core.Ingestion.Feeds;
using Platform.Workers.Ingestion.Media;
using Platform.Workers.Ingestion.Tagging;
using Platform.Workers.Ingestion.YouTube;
using Platform.Workers.Queue;

namespace Platform.Workers.Ingestion;

public static class IngestionServiceExtensions
{
    public const string UserAgent = FeedClientRegistration.UserAgent;

    /// <summary>Content ingestion in the Workers: the sync schedule, the importers' HTTP clients and the four job handlers.</summary>
    public static IHostApplicationBuilder AddContentIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddContentIngestion();
        builder.Services.AddSchemaReadiness();
        builder.Services.AddHostedService<SyncScheduler>();
        return builder;
    }

    /// <summary>Everything but the schedule (tests and benchmarks add handlers to their own hosts with this).</summary>
    public static IServiceCollection AddContentIngestion(this IServiceCollection services)
    {
        services.AddOptions<YouTubeOptions>().BindConfiguration(YouTubeOptions.Section);

        // The ingestion queue is served by default (4 at a time); Workers__Queues__ingestion overrides it.
        services.PostConfigure<WorkerOptions>(workers => workers.Queues.TryAdd(JobQueues.Ingestion, 4));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ContentStore>();
        services.TryAddSingleton<DiscoveryCacheInvalidator>();
        services.AddHttpClient<YouTubeClient>((sp, http) =>
        {
            var apiBase = sp.GetRequiredService<IOptions<YouTubeOptions>>().Value.ApiBase.AbsoluteUri;
            http.BaseAddress = new Uri(apiBase.EndsWith('/') ? apiBase : apiBase + "/");
            http.Timeout = TimeSpan.FromSeconds(30);
        });

        // Feed and media URLs come from users: see FeedClientRegistration (the feed client is shared with the Api's
        // ownership check); media are fetched under the same rules.
        services.AddFeedClient();
#pragma warning disable EXTEXP0001
        services.AddHttpClient<MediaProbe>(http =>
            {
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
            })
            .RemoveAllResilienceHandlers()
            .ConfigureAdditionalHttpMessageHandlers((handlers, _) => handlers.Clear())
            .ConfigurePrimaryHttpMessageHandler(sp => SafeHttpHandler.Create(sp.GetRequiredService<IOptions<IngestionOptions>>().Value));
#pragma warning restore EXTEXP0001

        // Tagging: the keyword extractor, or an OpenAI-compatible endpoint when Tagging__Endpoint is set.
        services.AddOptions<TaggingOptions>().BindConfiguration(TaggingOptions.Section);
        services.TryAddSingleton<KeywordTagger>();
        // Completions take seconds: the service defaults' 10 s attempt / 30 s total timeouts would cut them off, so
        // this client gets its own standard pipeline (replacing a default one is only offered as evaluation API).
#pragma warning disable EXTEXP0001
        services.AddHttpClient<OpenAiCompatibleTagger>(http => http.Timeout = TimeSpan.FromMinutes(4))
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience =>
            {
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(60);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(3);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(2);
            });
#pragma warning restore EXTEXP0001
        services.TryAddTransient<IContentTagger>(sp => sp.GetRequiredService<IOptions<TaggingOptions>>().Value.Endpoint is null
            ? sp.GetRequiredService<KeywordTagger>()
            : sp.GetRequiredService<OpenAiCompatibleTagger>());
        services.TryAddTransient<TaggingRouter>();

        services.AddJobHandler<SyncYouTubeHandler>();
        services.AddJobHandler<SyncFeedHandler>();
        services.AddJobHandler<TagContentHandler>();
        services.AddJobHandler<RefreshMediaHandler>();
        return services;
    }
}
