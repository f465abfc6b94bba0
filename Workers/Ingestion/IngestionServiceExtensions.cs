using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Core.Jobs;
using Platform.Workers.Handlers;
using Platform.Workers.Ingestion.YouTube;
using Platform.Workers.Queue;

namespace Platform.Workers.Ingestion;

public static class IngestionServiceExtensions
{
    /// <summary>Content ingestion in the Workers: the sync schedule, the importers' HTTP clients and the four job handlers.</summary>
    public static IHostApplicationBuilder AddContentIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddContentIngestion();
        builder.Services.AddHostedService<SyncScheduler>();
        return builder;
    }

    /// <summary>Everything but the schedule (tests and benchmarks add handlers to their own hosts with this).</summary>
    public static IServiceCollection AddContentIngestion(this IServiceCollection services)
    {
        services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section);
        services.AddOptions<YouTubeOptions>().BindConfiguration(YouTubeOptions.Section);

        // The ingestion queue is served by default (4 at a time); Workers__Queues__ingestion overrides it.
        services.PostConfigure<WorkerOptions>(workers => workers.Queues.TryAdd(IngestionJobTypes.Queue, 4));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ContentStore>();
        services.TryAddSingleton<DiscoveryCacheInvalidator>();
        services.AddHttpClient<YouTubeClient>((sp, http) =>
        {
            var apiBase = sp.GetRequiredService<IOptions<YouTubeOptions>>().Value.ApiBase.AbsoluteUri;
            http.BaseAddress = new Uri(apiBase.EndsWith('/') ? apiBase : apiBase + "/");
            http.Timeout = TimeSpan.FromSeconds(30);
        });

        services.AddJobHandler<SyncYouTubeHandler>(JobTypes.SyncYouTube);
        return services;
    }
}
