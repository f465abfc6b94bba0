using JasperFx.Events;
using Marten;

namespace Platform.Core.Audit;

/// <summary>
/// One entry of a job's audit trail: one <c>job_log</c> row, as <c>GET /api/jobs/{id}/audit</c> shows it.
/// </summary>
/// <param name="Version">The entry's place in the trail, 1..n in log order (not Marten's event version: one event may
/// hold several entries).</param>
/// <param name="Event">The audit event name (<see cref="AuditStore.EventNames"/>' values).</param>
/// <param name="At">When it happened (the row's <c>created_at</c>, UTC).</param>
/// <param name="Status">The job's status after it.</param>
/// <param name="Progress">0..100 on <c>progressed</c>, otherwise null.</param>
/// <param name="LogId">The <c>job_log</c> row.</param>
/// <param name="JobType">On <c>enqueued</c>: the job's type (null or empty when the job was gone at projection).</param>
/// <param name="Queue">On <c>enqueued</c>: the job's queue.</param>
/// <param name="UserId">On <c>enqueued</c>: the job's owner.</param>
public sealed record JobAuditEntry(
    long Version, string Event, DateTimeOffset At, string? Status, int? Attempt, string? WorkerId, string? Message,
    int? Progress, long LogId, string? JobType, string? Queue, Guid? UserId);

/// <summary>
/// A job's audit trail read from its Marten stream (stream id = job id), whatever shape each stored event has: one
/// <see cref="JobAuditEvent"/> per log row (streams written before <see cref="JobActivity"/>) or one
/// <see cref="JobActivity"/> per job per projector batch holding that batch's rows. Both expand to the same entries,
/// one per <c>job_log</c> row, in log order, numbered 1..n. The one place that knows the stored shapes: the Api's
/// audit endpoint, the tests and the chaos verdict read the trail through it.
/// </summary>
public static class JobAuditTrail
{
    /// <summary>The entries of a job's stream, oldest first; empty when the stream does not exist.</summary>
    public static async Task<IReadOnlyList<JobAuditEntry>> ReadAsync(IQuerySession session, Guid jobId, CancellationToken cancellationToken = default) =>
        Expand(await session.Events.FetchStreamAsync(jobId, token: cancellationToken));

    /// <summary>
    /// The entries of <paramref name="stream"/> (a job stream's events in version order). Events of other types are
    /// skipped (a job stream holds none today).
    /// </summary>
    public static IReadOnlyList<JobAuditEntry> Expand(IEnumerable<IEvent> stream)
    {
        var entries = new List<JobAuditEntry>();
        foreach (var @event in stream)
        {
            switch (@event.Data)
            {
                case JobActivity activity:
                    foreach (var e in activity.Entries)
                    {
                        entries.Add(new JobAuditEntry(
                            entries.Count + 1, e.Event, e.At, e.Status, e.Attempt, e.WorkerId, e.Message, e.Progress, e.LogId,
                            e.JobType, e.Queue, e.UserId));
                    }

                    break;
                case JobAuditEvent row:
                    var enqueued = row as JobEnqueued;
                    entries.Add(new JobAuditEntry(
                        entries.Count + 1, AuditStore.EventNames[row.GetType()], row.At, row.Status, row.Attempt, row.WorkerId,
                        row.Message, (row as JobProgressed)?.Progress, row.LogId, enqueued?.JobType, enqueued?.Queue, enqueued?.UserId));
                    break;
            }
        }

        return entries;
    }
}
