using Platform.Core.Audit;

namespace Platform.Workers.Audit;

/// <summary>
/// How <c>job_log</c> rows become audit events: the audit name of each <c>job_log.event</c>, and the query that builds,
/// per job, the one <see cref="JobActivity"/> event holding a batch's rows of that job (the input of
/// <see cref="BulkEventAppender.Statement"/>).
/// </summary>
public static class JobLogEvents
{
    /// <summary>
    /// The audit event type of each <c>job_log.event</c> value in the trail's first shape (one event per row); their
    /// names (<see cref="AuditStore.EventNames"/>) are what a <see cref="JobActivityEntry.Event"/> holds.
    /// </summary>
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

    /// <summary>The audit event name of each <c>job_log.event</c> value (e.g. <c>completed</c> → <c>succeeded</c>).</summary>
    public static readonly IReadOnlyDictionary<string, string> Names =
        Types.ToDictionary(t => t.Key, t => AuditStore.EventNames[t.Value]);

    /// <summary>
    /// One <see cref="JobActivity"/> per job with <c>job_log</c> rows with an id in (<c>@after</c>, <c>@upto</c>]: its
    /// stream is the job, its body Marten's serializer reads back (System.Text.Json, property names as declared)
    /// <c>{"Entries": [...]}</c> with one object per row in id order: <c>LogId</c>, <c>Event</c> (the audit name, from
    /// <c>@events</c> → <c>@names</c>, <see cref="Names"/>), <c>At</c> (the row's <c>created_at</c> as PostgreSQL writes
    /// a timestamptz in JSON, ISO 8601 with microseconds and the session's offset: run it under
    /// <c>SET LOCAL TimeZone = 'UTC'</c> so the offset is <c>+00:00</c>), <c>Status</c>, <c>Attempt</c>, <c>WorkerId</c>,
    /// <c>Message</c> (nulls written); a <c>progress</c> row adds <c>Progress</c> (<c>details.progress</c>, 0 when
    /// absent), an <c>enqueued</c> row its job's <c>JobType</c>, <c>Queue</c> and <c>UserId</c> (null when the job is
    /// gone). The events come in the order of each job's first row (<c>n</c>), so sequence numbers follow the log.
    /// <c>@alias</c> and <c>@dotnet_type</c> are Marten's names of <see cref="JobActivity"/>. A job with a row whose event
    /// has no name gets no type and fails the append (<c>mt_events.type</c> is NOT NULL): an unknown event is never
    /// dropped. The event's own id is a random uuid (v4).
    /// </summary>
    /// <remarks>
    /// Built as the per-row statement was (a base object plus the event's own members) rather than one object with
    /// every member and <c>jsonb_strip_nulls</c>, and with the timestamp as JSON instead of <c>to_char</c>: about 10 %
    /// less server CPU for the whole append (5,000 jobs of two rows each, rolled back, 6 interleaved rounds: 17-19
    /// against 19-22 ticks of 10 ms).
    /// </remarks>
    public const string Input =
        """
        SELECT l.job_id AS stream_id, gen_random_uuid() AS id,
               CASE WHEN bool_and(t.name IS NOT NULL) THEN @alias::text END AS type, @dotnet_type::text AS dotnet_type,
               jsonb_build_object('Entries', jsonb_agg(
                   jsonb_build_object('LogId', l.id, 'Event', t.name, 'At', l.created_at, 'Status', l.status,
                                      'Attempt', l.attempt, 'WorkerId', l.worker_id, 'Message', l.message)
                   || CASE l.event
                          WHEN 'enqueued' THEN jsonb_build_object('JobType', j.job_type, 'Queue', j.queue, 'UserId', j.user_id)
                          WHEN 'progress' THEN jsonb_build_object('Progress', coalesce((l.details ->> 'progress')::int, 0))
                          ELSE '{}'::jsonb
                      END
                   ORDER BY l.id)) AS data,
               min(l.id) AS n
        FROM job_log l
        LEFT JOIN unnest(@events::text[], @names::text[]) AS t(event, name) ON t.event = l.event
        -- Only an 'enqueued' row needs its job (type, queue, owner): the one-time filter skips the probe for the others.
        LEFT JOIN LATERAL (
            SELECT q.job_type, q.queue, q.user_id FROM job_queue q WHERE l.event = 'enqueued' AND q.id = l.job_id OFFSET 0
        ) j ON true
        WHERE l.id > @after AND l.id <= @upto
        GROUP BY l.job_id
        """;
}
