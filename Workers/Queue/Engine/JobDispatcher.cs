using System.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Core.Data;
using Platform.Core.Jobs;

namespace Platform.Workers.Queue.Engine;

/// <summary>
/// The queue engine of one Workers process, composed of: a <see cref="QueueProducer"/> per queue served (claim loop,
/// local buffer, executor slots running <see cref="JobExecutor"/>), one <see cref="CompletionWriter"/> (outcomes back
/// to the database, completions in batches, backpressure), one <see cref="LeaseHeartbeat"/>, one
/// <see cref="QueueListener"/> (wake-ups and cancel requests over LISTEN), one <see cref="JobTimeouts"/> (the running
/// jobs' time limits) and <see cref="RunningJobs"/>, the jobs held here. It owns startup (once the schema is ready) and shutdown: buffered jobs are released at once, running ones get
/// <see cref="WorkerOptions.ShutdownGrace"/> to finish, then their tokens fire and they are released (the interrupted
/// attempt does not count). Several processes share the work safely.
/// </summary>
public sealed partial class JobDispatcher : BackgroundService
{
    /// <summary>How long stopped jobs get to hand back their outcome after the grace period.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);

    private readonly WorkerOptions options;
    private readonly SchemaReadiness schema;
    private readonly ILogger<JobDispatcher> logger;
    private readonly RunningJobs running = new();
    private readonly List<QueueProducer> producers;
    private readonly Dictionary<string, QueueProducer> producersByQueue;
    private readonly CompletionWriter writer;
    private readonly LeaseHeartbeat heartbeat;
    private readonly QueueListener listener;
    private readonly JobTimeouts timeouts;

    public JobDispatcher(
        NpgsqlDataSource dataSource,
        IServiceScopeFactory scopes,
        IEnumerable<JobHandlerType> handlerTypes,
        IOptions<WorkerOptions> options,
        QueueMetrics metrics,
        JobResultCache resultCache,
        IRetryPolicy retryPolicy,
        SchemaReadiness schema,
        ILoggerFactory loggers)
    {
        this.options = options.Value;
        this.schema = schema;
        logger = loggers.CreateLogger<JobDispatcher>();
        WorkerId = this.options.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";
        var lease = this.options.LeaseDuration;
        var sql = new EngineSql(dataSource, WorkerId, lease);
        writer = new CompletionWriter(
            sql, dataSource, running, resultCache, metrics, this.options.CompletionBatchSize, this.options.CompletionWriters,
            WakeAll, loggers.CreateLogger<CompletionWriter>());
        var executor = new JobExecutor(scopes, handlerTypes, dataSource, resultCache, retryPolicy, metrics, WorkerId, loggers.CreateLogger<JobExecutor>());
        producers = this.options.Queues.Where(q => q.Value > 0)
            .Select(q => new QueueProducer(
                q.Key, q.Value, this.options.Prefetch ?? q.Value, this.options.ClaimBatchSize, this.options.PollInterval, lease,
                sql, running, executor, writer, metrics, loggers.CreateLogger<QueueProducer>()))
            .ToList();
        producersByQueue = producers.ToDictionary(p => p.Name);
        heartbeat = new LeaseHeartbeat(sql, running, this.options.HeartbeatInterval, lease, loggers.CreateLogger<LeaseHeartbeat>());
        timeouts = new JobTimeouts(running);
        listener = new QueueListener(
            dataSource, this.options.ListenCheckInterval, Wake, WakeAll, running, loggers.CreateLogger<QueueListener>());
    }

    public string WorkerId { get; }

    /// <summary>Jobs held by this process: claimed and not yet written back (buffered, running, or being completed).</summary>
    public int InFlight => running.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Nothing is claimed until the database holds the schema this build was made with.
        await schema.WaitUntilReadyAsync(stoppingToken);
        LogStarting(WorkerId, string.Join(", ", producers.Select(p => $"{p.Name}×{p.Concurrency}")));
        using var background = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var listening = listener.RunAsync(background.Token);
        var beating = heartbeat.RunAsync(background.Token);
        var timing = timeouts.RunAsync(background.Token);
        var writing = writer.RunAsync();
        var slots = producers.Select(p => p.RunSlotsAsync()).ToList();
        await Task.WhenAll(producers.Select(p => p.ClaimLoopAsync(stoppingToken)));

        // Claimed but not started: back to pending at once, without waiting for anything.
        await writer.ReleaseAsync(producers.SelectMany(p => p.TakeUnstarted()).ToList());

        // Running jobs get the grace period; then their tokens fire and they hand themselves back (released).
        var deadline = Stopwatch.StartNew();
        while (!running.IsEmpty && deadline.Elapsed < options.ShutdownGrace)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        if (!running.IsEmpty)
        {
            LogReleasing(running.Count);
            running.StopAll(StopReason.Shutdown);
            var wait = Stopwatch.StartNew();
            while (!running.IsEmpty && wait.Elapsed < StopWait)
            {
                await Task.Delay(20, CancellationToken.None);
            }
        }

        var slotsDone = Task.WhenAll(slots);
        if (await Task.WhenAny(slotsDone, Task.Delay(StopWait, CancellationToken.None)) != slotsDone)
        {
            LogHandlersIgnoreToken(running.Count);
        }

        writer.Complete();
        await writing;
        // Only jobs whose handlers ignore their token are left: released, so another worker may run them (their late
        // outcome is refused, as they are no longer held here).
        await writer.ReleaseAsync(running.All());

        await background.CancelAsync();
        await Task.WhenAll(listening, beating, timing).ContinueWith(_ => { }, TaskScheduler.Default);
        LogStopped(WorkerId);
    }

    private void Wake(string queue)
    {
        if (producersByQueue.TryGetValue(queue, out var producer))
        {
            producer.Wake();
        }
    }

    private void WakeAll()
    {
        foreach (var producer in producers)
        {
            producer.Wake();
        }
    }

    [LoggerMessage(LogLevel.Information, "Worker {WorkerId} serving {Queues}")]
    private partial void LogStarting(string workerId, string queues);

    [LoggerMessage(LogLevel.Information, "Worker {WorkerId} stopped")]
    private partial void LogStopped(string workerId);

    [LoggerMessage(LogLevel.Error, "{Count} jobs still run after their tokens fired at shutdown; releasing them anyway")]
    private partial void LogHandlersIgnoreToken(int count);

    [LoggerMessage(LogLevel.Warning, "Shutdown grace period over: releasing {Count} running jobs back to pending")]
    private partial void LogReleasing(int count);
}
