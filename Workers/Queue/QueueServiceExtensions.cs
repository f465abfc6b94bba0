using Platform.Core.Data;
using Platform.Core.Jobs;
using Platform.Workers.Handlers;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Queue;

public static class QueueServiceExtensions
{
    /// <summary>The queue engine (dispatcher, lease rescue, depth metrics), its maintenance schedules and the built-in handlers.</summary>
    public static IHostApplicationBuilder AddJobQueue(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section);
        builder.Services.AddSchemaReadiness();
        builder.Services.AddSingleton<QueueMetrics>();
        builder.Services.AddSingleton<JobResultCache>();
        builder.Services.AddSingleton<JobDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobDispatcher>());
        builder.Services.AddHostedService<LeaseRescuer>();
        builder.Services.AddHostedService<QueueDepthSampler>();
        builder.Services.AddSingleton<JobRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobRetention>());
        builder.Services.AddSingleton<QueryCachePurge>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueryCachePurge>());
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(QueueMetrics.Name))
            .WithMetrics(m => m.AddMeter(QueueMetrics.Name));

        builder.Services.AddJobHandler<EchoHandler>(JobTypes.Echo);
        builder.Services.AddJobHandler<EchoHandler>(JobTypes.EchoCached);
        return builder;
    }
}
