namespace Platform.Core.Audit;

/// <summary>
/// One state change of a job in its audit stream (Marten, schema <c>audit</c>, stream id = job id): who (worker or
/// user), when, the attempt, the status after it, and why (message). The trail's first shape, one event per
/// <c>job_log</c> row: streams written before <see cref="JobActivity"/> hold these, and they still read
/// (<see cref="JobAuditTrail"/>).
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

/// <summary>
/// The job's <c>job_log</c> rows that one projector batch found, in log order: one event per job per batch instead
/// of one per row (an event row in <c>mt_events</c> costs the server 28-36 µs whatever it carries: heap, primary key,
/// the <c>(stream_id, version)</c> index, the key check on <c>mt_streams</c>, WAL). A job whose rows fall into one batch
/// has one event for all of them. Read it through <see cref="JobAuditTrail"/>, which expands it into its entries.
/// </summary>
public sealed class JobActivity
{
    /// <summary>The log rows, in <see cref="JobActivityEntry.LogId"/> order; never empty.</summary>
    public List<JobActivityEntry> Entries { get; set; } = [];
}

/// <summary>
/// One <c>job_log</c> row inside a <see cref="JobActivity"/>. Members a row does not have (<c>Progress</c> outside
/// <c>progressed</c>, the job's fields outside <c>enqueued</c>) are left out of the body and read back as null.
/// </summary>
public sealed class JobActivityEntry
{
    /// <summary>The <c>job_log</c> row (exactly-once bookkeeping; ascending within and across a stream's events).</summary>
    public long LogId { get; set; }

    /// <summary>The audit event name (<see cref="AuditStore.EventNames"/>' values: <c>enqueued</c>, <c>claimed</c>,
    /// <c>progressed</c>, <c>succeeded</c>, …), not the log's own word for it.</summary>
    public string Event { get; set; } = string.Empty;

    /// <summary>When it happened (the row's <c>created_at</c>, UTC).</summary>
    public DateTimeOffset At { get; set; }

    public string? Status { get; set; }

    public int? Attempt { get; set; }

    public string? WorkerId { get; set; }

    public string? Message { get; set; }

    /// <summary>0..100 on a <c>progressed</c> entry (0 when the row had none), null on the others.</summary>
    public int? Progress { get; set; }

    /// <summary>On an <c>enqueued</c> entry: the job's type, queue and owner (null when the job was gone).</summary>
    public string? JobType { get; set; }

    public string? Queue { get; set; }

    public Guid? UserId { get; set; }
}

/// <summary>How far the job log has been projected into the event store.</summary>
public sealed class AuditCheckpoint
{
    public string Id { get; set; } = string.Empty;

    public long LastLogId { get; set; }
}
