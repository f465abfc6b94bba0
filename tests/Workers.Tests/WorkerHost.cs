using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;
using Platform.Workers.Audit;
using Platform.Workers.Queue;
using Platform.Workers.Queue.Engine;

namespace Platform.Workers.Tests;

/// <summary>An in-process queue engine (dispatcher, rescuer) against a test database: one "Workers replica".</summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly IHost host;

    private WorkerHost(IHost host) => this.host = host;

    public JobDispatcher Dispatcher => host.Services.GetRequiredService<JobDispatcher>();

    public IServiceProvider Services => host.Services;

    public static async Task<WorkerHost> StartAsync(
        string connectionString,
        Action<IServiceCollection>? services = null,
        IDictionary<string, string?>? settings = null,
        bool audit = false,
        string? redis = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Workers:HeartbeatInterval"] = "00:00:01",
            ["Workers:RescueInterval"] = "00:00:01",
            ["Workers:PollInterval"] = "00:00:00.200",
            ["Workers:ShutdownGrace"] = "00:00:05",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        if (redis is not null)
        {
            builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis));
        }

        builder.AddJobQueue();
        if (audit)
        {
            builder.AddJobAudit();
        }

        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new WorkerHost(host);
    }

    public Task StopAsync() => host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
