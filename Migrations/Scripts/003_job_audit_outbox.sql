-- Migration: job progress in the job log (the audit trail's outbox)
-- Purpose:
--   The Workers project job_log into Marten's event store (schema audit), one stream per job. Every state change
--   already writes job_log; progress reports did not. From now on each progress report is logged too, so the audit
--   trail shows "progressed" events with their worker, attempt, percentage and message.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions: re-run the update_job_progress definition from 002_async_job_queue.sql.

CREATE OR REPLACE FUNCTION update_job_progress(
    p_job_id    uuid,
    p_worker_id text,
    p_progress  integer,
    p_message   text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_attempt integer;
BEGIN
    IF p_progress IS NULL OR p_progress NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'update_job_progress: p_progress must be 0..100 (got %)', p_progress USING ERRCODE = '22023';
    END IF;

    UPDATE job_queue j
    SET progress         = p_progress::smallint,
        progress_message = coalesce(left(p_message, 1000), j.progress_message)
    WHERE j.id = p_job_id
      AND j.status = 'processing'
      AND j.locked_by = p_worker_id
    RETURNING j.attempts INTO v_attempt;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO job_log (job_id, event, status, attempt, worker_id, message, details)
    VALUES (p_job_id, 'progress', 'processing', v_attempt, p_worker_id, left(p_message, 1000),
            jsonb_build_object('progress', p_progress));
    RETURN true;
END
$$;
COMMENT ON FUNCTION update_job_progress(uuid, text, integer, text) IS
    'Worker progress report (0..100 and an optional message; NULL keeps the previous one), logged in job_log; the progress trigger NOTIFYs job_progress. False if not held.';
