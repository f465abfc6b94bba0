namespace Platform.Core.Audit;

/// <summary>
/// One state change of a job in its audit stream (Marten, schema <c>audit</c>, stream id = job id): who (worker or
/// user), when, the attempt, the status after it, and why (message).
/// </summary>
public abstract class JobAuditEvent
{
    public Guid JobId { get; set; }

    /// <summary>When it happened (the job log's time, not when it was projected).</summary>
    public DateTimeOffset At { get; set; }

    /// <summary>The job's status after the event.</summary>
    public string? Status { get; set; }

    public int? Attempt { get; set; }

    public string? WorkerId { get; set; }

    public string? Message { get; set; }

    /// <summary>The job_log row this event was projected from (exactly-once bookkeeping).</summary>
    public long LogId { get; set; }
}

public sealed class JobEnqueued : JobAuditEvent
{
    public string JobType { get; set; } = string.Empty;
    public string Queue { get; set; } = string.Empty;
    public Guid? UserId { get; set; }
}

public sealed class JobClaimed : JobAuditEvent;

public sealed class JobProgressed : JobAuditEvent
{
    public int Progress { get; set; }
}

public sealed class JobSucceeded : JobAuditEvent;

public sealed class JobFailed : JobAuditEvent;

public sealed class JobRetried : JobAuditEvent;

public sealed class JobRescheduled : JobAuditEvent;

public sealed class JobCancelRequested : JobAuditEvent;

public sealed class JobCancelled : JobAuditEvent;

public sealed class JobRescued : JobAuditEvent;

public sealed class JobReleased : JobAuditEvent;

/// <summary>How far the job log has been projected into the event store.</summary>
public sealed class AuditCheckpoint
{
    public string Id { get; set; } = string.Empty;

    public long LastLogId { get; set; }
}
