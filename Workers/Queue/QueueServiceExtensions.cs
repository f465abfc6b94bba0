using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Core.Data;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Handlers;
using Platform.Workers.Queue.Engine;
using Platform.Workers.Queue.Maintenance;

namespace Platform.Workers.Queue;

public static class QueueServiceExtensions
{
    /// <summary>The queue engine (dispatcher, lease rescue, depth metrics), its maintenance schedules and the built-in handlers.</summary>
    public static IHostApplicationBuilder AddJobQueue(this IHostApplicationBuilder builder)
    {
        // Absurd maintenance settings stop the process at start with the setting's name instead of being read as
        // "disabled" (a negative retention), a tick that never ends (batch 0) or an error logged every tick (batch < 0).
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section)
            .Validate(o => o.JobRetention >= TimeSpan.Zero, "Workers:JobRetention must be zero (disabled) or positive.")
            .Validate(o => o.JobRetentionInterval >= TimeSpan.Zero, "Workers:JobRetentionInterval must be zero (disabled) or positive.")
            .Validate(o => o.JobRetentionBatchSize > 0, "Workers:JobRetentionBatchSize must be positive.")
            .Validate(o => o.QueryCachePurgeInterval >= TimeSpan.Zero, "Workers:QueryCachePurgeInterval must be zero (disabled) or positive.")
            .Validate(o => o.RescueInterval > TimeSpan.Zero, "Workers:RescueInterval must be positive (expired leases must be rescued).")
            .ValidateOnStart();
        builder.Services.AddSchemaReadiness();
        builder.Services.AddSingleton<QueueMetrics>();
        builder.Services.AddSingleton<JobResultCache>();
        builder.Services.TryAddSingleton<IRetryPolicy>(_ => new ExponentialBackoffRetryPolicy());
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
            .WithMetrics(m => m.AddMeter(QueueMetrics.Name, MaintenanceMetrics.Name));

        builder.Services.AddJobHandler<EchoHandler<EchoArgs>>();
        builder.Services.AddJobHandler<EchoHandler<EchoCachedArgs>>();
        return builder;
    }
}
