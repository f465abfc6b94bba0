namespace Platform.Api.Features.Jobs.GetJobAudit;

public sealed record Response(Guid JobId, IReadOnlyList<AuditEntry> Events);

/// <summary>One audit entry: what happened, when, to which attempt, by which worker, and why; <c>version</c> is its place in the trail (1..n).</summary>
public sealed record AuditEntry(
    long Version, string Event, DateTimeOffset At, string? Status, int? Attempt, string? WorkerId, string? Message, int? Progress);
