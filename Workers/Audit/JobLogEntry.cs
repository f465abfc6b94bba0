using Platform.Core.Audit;

namespace Platform.Workers.Audit;

/// <summary>A job_log row, with what the audit event needs from its job.</summary>
public sealed record JobLogEntry(
    long Id, Guid JobId, string Event, string? Status, int? Attempt, string? WorkerId, string? Message, int? Progress,
    DateTimeOffset At, string? JobType, string? Queue, Guid? UserId)
{
    /// <summary>The audit event of this row.</summary>
    public JobAuditEvent ToAuditEvent()
    {
        JobAuditEvent audit = Event switch
        {
            "enqueued" => new JobEnqueued { JobType = JobType ?? string.Empty, Queue = Queue ?? string.Empty, UserId = UserId },
            "claimed" => new JobClaimed(),
            "progress" => new JobProgressed { Progress = Progress ?? 0 },
            "completed" => new JobSucceeded(),
            "failed" => new JobFailed(),
            "retry_scheduled" => new JobRetried(),
            "rescheduled" => new JobRescheduled(),
            "cancel_requested" => new JobCancelRequested(),
            "cancelled" => new JobCancelled(),
            "rescued" => new JobRescued(),
            "released" => new JobReleased(),
            _ => throw new InvalidOperationException($"Unknown job_log event '{Event}' (row {Id})."),
        };
        audit.JobId = JobId;
        audit.At = At;
        audit.Status = Status;
        audit.Attempt = Attempt;
        audit.WorkerId = WorkerId;
        audit.Message = Message;
        audit.LogId = Id;
        return audit;
    }
}
