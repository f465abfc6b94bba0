using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Workers.Queue;

/// <summary>Queue telemetry: one ActivitySource for job spans, one Meter for counters and durations.</summary>
public sealed class QueueMetrics : IDisposable
{
    public const string Name = "Platform.Workers.Jobs";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter meter;

    public QueueMetrics(IMeterFactory meterFactory)
    {
        meter = meterFactory.Create(Name);
        Claimed = meter.CreateCounter<long>("jobs.claimed", description: "Jobs claimed by this worker");
        Completed = meter.CreateCounter<long>("jobs.completed", description: "Jobs completed");
        Failed = meter.CreateCounter<long>("jobs.failed", description: "Attempts that failed (retried or final)");
        Retried = meter.CreateCounter<long>("jobs.retried", description: "Failed attempts scheduled for a retry");
        Rescued = meter.CreateCounter<long>("jobs.rescued", description: "Jobs whose lease expired and were put back");
        Duration = meter.CreateHistogram<double>("jobs.duration", unit: "ms", description: "Handler run time");
        ClaimLatency = meter.CreateHistogram<double>("jobs.claim_latency", unit: "ms", description: "From due (run_at) to claimed");
    }

    public Counter<long> Claimed { get; }
    public Counter<long> Completed { get; }
    public Counter<long> Failed { get; }
    public Counter<long> Retried { get; }
    public Counter<long> Rescued { get; }
    public Histogram<double> Duration { get; }
    public Histogram<double> ClaimLatency { get; }

    /// <summary>Registers the queue-depth gauge (by queue and status) read from a periodically refreshed snapshot.</summary>
    public void ObserveDepth(Func<IEnumerable<(string Queue, string Status, long Count)>> snapshot) =>
        meter.CreateObservableGauge(
            "jobs.queue_depth",
            () => snapshot().Select(s => new Measurement<long>(s.Count, new("queue", s.Queue), new("status", s.Status))),
            description: "Jobs by queue and status");

    public void Dispose() => meter.Dispose();
}
