using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Core.Data;

/// <summary>
/// Readiness that follows the schema: the <c>schema</c> health check (part of <c>/health</c>, not of <c>/alive</c>)
/// is unhealthy, with the reason as its description, until the database holds every migration this build needs
/// (<see cref="SchemaVersion"/>); background services that touch the schema await <see cref="WaitUntilReadyAsync"/>
/// before their first query. One loop per process polls the database every <see cref="PollInterval"/> (an empty or
/// unreachable database is only a reason, never a crash) and stops once the schema is there: it never goes back.
/// </summary>
public sealed partial class SchemaReadiness : IHealthCheck, IAsyncDisposable
{
    public const string HealthCheckName = "schema";

    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly NpgsqlDataSource dataSource;
    private readonly ILogger logger;
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock gate = new();
    private Task? polling;
    private volatile string reason = "not checked yet";

    public SchemaReadiness(NpgsqlDataSource dataSource, ILogger<SchemaReadiness> logger)
    {
        this.dataSource = dataSource;
        this.logger = logger;
    }

    public bool IsReady => ready.Task.IsCompleted;

    /// <summary>Why the process is not ready yet (null once it is).</summary>
    public string? Reason => IsReady ? null : reason;

    /// <summary>Completes once the schema is there (at once when it already was); cancellable.</summary>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        EnsurePolling();
        return ready.Task.WaitAsync(cancellationToken);
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!IsReady)
        {
            EnsurePolling();
            // Answer with the database's state now rather than the loop's last look.
            await CheckOnceAsync(cancellationToken);
        }

        return IsReady
            ? HealthCheckResult.Healthy($"schema at or above {SchemaVersion.RequiredScript}")
            : new HealthCheckResult(context.Registration.FailureStatus, reason);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (polling is not null)
        {
            await polling.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        stopping.Dispose();
    }

    private void EnsurePolling()
    {
        lock (gate)
        {
            polling ??= Task.Run(PollAsync);
        }
    }

    private async Task PollAsync()
    {
        try
        {
            string? logged = null;
            while (!await CheckOnceAsync(stopping.Token))
            {
                if (reason != logged)
                {
                    logged = reason;
                    LogNotReady(logged);
                }

                await Task.Delay(PollInterval, stopping.Token);
            }

            LogReady(SchemaVersion.RequiredScript);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The host is shutting down.
        }
    }

    private async Task<bool> CheckOnceAsync(CancellationToken cancellationToken)
    {
        if (IsReady)
        {
            return true;
        }

        try
        {
            var missing = await SchemaVersion.CheckAsync(dataSource, cancellationToken);
            if (missing is null)
            {
                ready.TrySetResult();
                return true;
            }

            reason = missing;
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            reason = $"database unreachable: {error.Message}";
        }

        return false;
    }

    [LoggerMessage(LogLevel.Information, "Not ready: {Reason}; checking again shortly")]
    private partial void LogNotReady(string reason);

    [LoggerMessage(LogLevel.Information, "Schema ready: the database holds {Script} or newer")]
    private partial void LogReady(string script);
}

public static class SchemaReadinessExtensions
{
    /// <summary>
    /// Registers <see cref="SchemaReadiness"/> once (safe to call from every feature that needs it) and its
    /// <c>schema</c> health check. Needs an <see cref="NpgsqlDataSource"/> in the container.
    /// </summary>
    public static IServiceCollection AddSchemaReadiness(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(SchemaReadiness)))
        {
            return services;
        }

        services.TryAddSingleton<SchemaReadiness>();
        services.AddHealthChecks().AddCheck<SchemaReadiness>(SchemaReadiness.HealthCheckName);
        return services;
    }
}
