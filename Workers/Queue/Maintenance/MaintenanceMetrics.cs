using System.Diagnostics.Metrics;

namespace Platform.Workers.Queue.Maintenance;

/// <summary>
/// Telemetry of the periodic tasks (<see cref="MaintenanceTask"/>), meter <c>Platform.Workers.Maintenance</c>, each
/// measurement tagged <c>task</c> (the task's class name). Static, like an <see cref="System.Diagnostics.ActivitySource"/>:
/// the tasks are created by the host and by tests alike, and a listener sees them either way.
/// </summary>
public static class MaintenanceMetrics
{
    public const string Name = "Platform.Workers.Maintenance";

    private static readonly Meter Meter = new(Name);

    /// <summary>Wall time of a tick this replica ran (all its batches), in milliseconds.</summary>
    public static readonly Histogram<double> TickDuration =
        Meter.CreateHistogram<double>("maintenance.tick.duration", unit: "ms", description: "Time of a tick this replica ran, all batches");

    /// <summary>Rows the ticks affected (deleted, rescued, enqueued, projected...; the task's own measure).</summary>
    public static readonly Counter<long> Rows =
        Meter.CreateCounter<long>("maintenance.rows", description: "Rows affected by the ticks this replica ran");

    /// <summary>Ticks skipped because another replica held the task's advisory lock.</summary>
    public static readonly Counter<long> Skipped =
        Meter.CreateCounter<long>("maintenance.skipped", description: "Ticks left to the replica holding the lock");

    /// <summary>Ticks that failed (each followed by a backoff).</summary>
    public static readonly Counter<long> Failures =
        Meter.CreateCounter<long>("maintenance.failures", description: "Ticks that failed");
}
