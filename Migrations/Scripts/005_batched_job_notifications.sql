-- Migration: job state-change notifications batched per statement
-- Purpose:
--   002 notified job_progress once per changed row. NOTIFY serializes commits on a global lock and each
--   notification is queued separately, so claiming or completing a batch of 500 jobs queued 500 notifications.
--   Now one statement-level trigger sends the changed rows of a statement as JSON arrays of at most 16 jobs:
--   a batch of 500 becomes 32 notifications. Listeners (the Api's live streams, the Workers' cancel watch)
--   accept an array or a single object. The message in a notification is cut to 200 characters (the job row
--   keeps up to 1000), which keeps every notification under the 8000-byte limit.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions:
--   DROP TRIGGER IF EXISTS trg_job_queue_notify_changes ON job_queue;
--   DROP FUNCTION IF EXISTS notify_job_changes();
--   then re-create trg_job_queue_notify_progress as in 002_async_job_queue.sql.

DROP TRIGGER IF EXISTS trg_job_queue_notify_progress ON job_queue;

CREATE OR REPLACE FUNCTION notify_job_changes()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('job_progress', c.payload)
    FROM (
        SELECT json_agg(json_build_object(
                   'id', ch.id,
                   'user_id', ch.user_id,
                   'job_type', ch.job_type,
                   'status', ch.status,
                   'progress', ch.progress,
                   'message', left(ch.progress_message, 200),
                   'cancel_requested', ch.cancel_requested))::text AS payload
        FROM (
            SELECT n.id, n.user_id, n.job_type, n.status, n.progress, n.progress_message, n.cancel_requested,
                   (row_number() OVER () - 1) / 16 AS chunk
            FROM new_rows n
            JOIN old_rows o ON o.id = n.id
            WHERE o.status IS DISTINCT FROM n.status
               OR o.progress IS DISTINCT FROM n.progress
               OR o.progress_message IS DISTINCT FROM n.progress_message
               OR o.cancel_requested IS DISTINCT FROM n.cancel_requested
        ) ch
        GROUP BY ch.chunk
    ) c;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION notify_job_changes() IS
    'AFTER UPDATE statement trigger function: NOTIFY job_progress with JSON arrays (up to 16 jobs each) of {id, user_id, job_type, status, progress, message, cancel_requested} for the jobs whose state changed.';

CREATE OR REPLACE TRIGGER trg_job_queue_notify_changes
    AFTER UPDATE ON job_queue
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_job_changes();
