using Platform.Core.Audit;

namespace Platform.Workers.Audit;

/// <summary>
/// How a <c>job_log</c> row becomes its audit event: the event type per <c>job_log.event</c>, and the query that
/// builds each row's Marten event (the input of <see cref="BulkEventAppender.Statement"/>).
/// </summary>
public static class JobLogEvents
{
    /// <summary>The audit event type of each <c>job_log.event</c> value.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Types = new Dictionary<string, Type>
    {
        ["enqueued"] = typeof(JobEnqueued),
        ["claimed"] = typeof(JobClaimed),
        ["progress"] = typeof(JobProgressed),
        ["completed"] = typeof(JobSucceeded),
        ["failed"] = typeof(JobFailed),
        ["retry_scheduled"] = typeof(JobRetried),
        ["rescheduled"] = typeof(JobRescheduled),
        ["cancel_requested"] = typeof(JobCancelRequested),
        ["cancelled"] = typeof(JobCancelled),
        ["rescued"] = typeof(JobRescued),
        ["released"] = typeof(JobReleased),
    };

    /// <summary>
    /// The events of the <c>job_log</c> rows with an id in (<c>@after</c>, <c>@upto</c>], in id order, with the body
    /// Marten's serializer writes for a <see cref="JobAuditEvent"/> (System.Text.Json, property names as declared,
    /// nulls written): <c>JobId</c>, <c>At</c> (the row's <c>created_at</c> in UTC, ISO 8601 with microseconds),
    /// <c>Status</c>, <c>Attempt</c>, <c>WorkerId</c>, <c>Message</c>, <c>LogId</c>; an <c>enqueued</c> row adds its
    /// job's <c>JobType</c>, <c>Queue</c> (empty when the job is gone) and <c>UserId</c>, a <c>progress</c> row its
    /// <c>Progress</c> (<c>details.progress</c>, 0 when absent). <c>@events</c>, <c>@aliases</c> and
    /// <c>@dotnet_types</c> map <c>job_log.event</c> to Marten's type alias and .NET type (<see cref="Types"/>); a row
    /// of another event has no type and fails the append. The event's own id is a random uuid (v4).
    /// </summary>
    public const string Input =
        """
        SELECT l.job_id AS stream_id, gen_random_uuid() AS id, t.alias AS type, t.dotnet_type,
               jsonb_build_object(
                   'JobId', l.job_id,
                   'At', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                   'Status', l.status, 'Attempt', l.attempt, 'WorkerId', l.worker_id, 'Message', l.message, 'LogId', l.id)
               || CASE l.event
                      WHEN 'enqueued' THEN jsonb_build_object('JobType', coalesce(j.job_type, ''), 'Queue', coalesce(j.queue, ''), 'UserId', j.user_id)
                      WHEN 'progress' THEN jsonb_build_object('Progress', coalesce((l.details ->> 'progress')::int, 0))
                      ELSE '{}'::jsonb
                  END AS data,
               l.id AS n
        FROM job_log l
        LEFT JOIN unnest(@events::text[], @aliases::text[], @dotnet_types::text[]) AS t(event, alias, dotnet_type) ON t.event = l.event
        -- Only an 'enqueued' row needs its job (type, queue, owner): the one-time filter skips the probe for the others.
        LEFT JOIN LATERAL (
            SELECT q.job_type, q.queue, q.user_id FROM job_queue q WHERE l.event = 'enqueued' AND q.id = l.job_id OFFSET 0
        ) j ON true
        WHERE l.id > @after AND l.id <= @upto
        """;
}
