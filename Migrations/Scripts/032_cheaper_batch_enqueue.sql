-- Migration: a cheaper batch enqueue (issue 14: typed batch enqueue >= 1.3x graphile-worker's addJobs)
-- Purpose:
--   * The wake-up of newly inserted jobs (NOTIFY job_queue_wakeup, one per queue with due pending jobs) was an AFTER
--     INSERT statement trigger over a transition table: every inserted row was copied into a tuplestore and read back
--     with a DISTINCT, about a seventh of create_jobs_bulk's time for 1,000 jobs (EXPLAIN ANALYZE: trigger 7.0 ms of
--     54 ms, plus the copy inside the insert). trg_job_queue_notify_enqueued is now a row trigger whose WHEN clause
--     skips rows that are not due and pending, and statements that notify themselves (transaction-local setting
--     app.job_notify = 'batch', as claim_jobs and complete_jobs do since 008): no transition table is captured on
--     insert any more. A direct INSERT (one job from create_job, an operator's) still wakes its queue, once per
--     queue and transaction (PostgreSQL folds identical notifications).
--   * create_jobs_bulk() sets app.job_notify = 'batch' around its insert and sends the one NOTIFY itself (p_queue,
--     when the jobs are due). Same signature, arguments, defaults, checks, rows (jobs and their 'enqueued' job_log
--     rows, unchanged) and privileges as 028.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here); safe to run again. PostgreSQL 15+.
--
-- Rollback instructions (one transaction):
--   re-run the notify_job_enqueued() function and trg_job_queue_notify_enqueued trigger of 002 (section 14; the
--   trigger after DROP TRIGGER IF EXISTS trg_job_queue_notify_enqueued ON job_queue), then the create_jobs_bulk
--   section of 028_bulk_enqueue_options.sql (CREATE OR REPLACE, same signature).

-- ---------------------------------------------------------------------------------------------
-- The wake-up of inserted jobs: a row trigger that batch statements switch off
-- ---------------------------------------------------------------------------------------------
DROP TRIGGER IF EXISTS trg_job_queue_notify_enqueued ON job_queue;

CREATE OR REPLACE FUNCTION notify_job_enqueued()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Identical notifications of one transaction are delivered once: a queue is woken once however many rows.
    PERFORM pg_notify('job_queue_wakeup', NEW.queue);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION notify_job_enqueued() IS
    'AFTER INSERT row trigger function: NOTIFY job_queue_wakeup with the queue of a due pending job (once per queue and transaction).';

CREATE TRIGGER trg_job_queue_notify_enqueued
    AFTER INSERT ON job_queue
    FOR EACH ROW
    WHEN (NEW.status = 'pending' AND NEW.run_at <= now()
          AND current_setting('app.job_notify', true) IS DISTINCT FROM 'batch')
    EXECUTE FUNCTION notify_job_enqueued();

-- ---------------------------------------------------------------------------------------------
-- create_jobs_bulk: notifies once itself
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION create_jobs_bulk(
    p_user_id          uuid,
    p_job_type         text,
    p_payloads         jsonb[],
    p_queue            text        DEFAULT 'default',
    p_priority         integer     DEFAULT 0,
    p_max_attempts     integer     DEFAULT 3,
    p_ids              uuid[]      DEFAULT NULL,
    p_idempotency_keys text[]      DEFAULT NULL,
    p_run_at           timestamptz DEFAULT NULL,
    p_timeout_seconds  integer     DEFAULT NULL,
    p_trace_parent     text        DEFAULT NULL,
    p_trace_state      text        DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    IF p_job_type IS NULL OR btrim(p_job_type) = '' THEN
        RAISE EXCEPTION 'create_jobs_bulk: p_job_type must not be empty' USING ERRCODE = '22023';
    END IF;
    IF p_queue IS NULL OR btrim(p_queue) = '' THEN
        RAISE EXCEPTION 'create_jobs_bulk: p_queue must not be empty' USING ERRCODE = '22023';
    END IF;
    IF p_priority IS NULL OR p_priority NOT BETWEEN -32768 AND 32767 THEN
        RAISE EXCEPTION 'create_jobs_bulk: p_priority % is outside -32768..32767', p_priority USING ERRCODE = '22023';
    END IF;
    IF p_max_attempts IS NULL OR p_max_attempts < 1 THEN
        RAISE EXCEPTION 'create_jobs_bulk: p_max_attempts must be at least 1 (got %)', p_max_attempts USING ERRCODE = '22023';
    END IF;
    IF p_timeout_seconds IS NOT NULL AND p_timeout_seconds < 1 THEN
        RAISE EXCEPTION 'create_jobs_bulk: p_timeout_seconds must be at least 1 (got %)', p_timeout_seconds USING ERRCODE = '22023';
    END IF;
    IF p_payloads IS NULL OR cardinality(p_payloads) = 0 THEN
        RETURN 0;
    END IF;
    IF (p_ids IS NOT NULL AND cardinality(p_ids) <> cardinality(p_payloads))
       OR (p_idempotency_keys IS NOT NULL AND cardinality(p_idempotency_keys) <> cardinality(p_payloads)) THEN
        RAISE EXCEPTION 'create_jobs_bulk: p_ids and p_idempotency_keys need one element per payload (% payloads)',
            cardinality(p_payloads) USING ERRCODE = '22023';
    END IF;
    PERFORM app_assert_caller(p_user_id);

    -- The rows' wake-up is this function's one NOTIFY below, not the row trigger's (app.job_notify = 'batch').
    PERFORM set_config('app.job_notify', 'batch', true);
    -- unnest() pads a NULL array with NULLs: no id = a new UUIDv7, no key = none.
    WITH ins AS (
        INSERT INTO job_queue (id, user_id, queue, job_type, payload, priority, run_at, max_attempts, timeout_seconds,
                               idempotency_key, trace_parent, trace_state)
        SELECT coalesce(p.id, uuid_v7()), p_user_id, p_queue, p_job_type, coalesce(p.payload, '{}'::jsonb),
               p_priority::smallint, coalesce(p_run_at, now()), p_max_attempts, p_timeout_seconds,
               p.idempotency_key, p_trace_parent, p_trace_state
        FROM unnest(p_payloads, p_ids, p_idempotency_keys) AS p(payload, id, idempotency_key)
        RETURNING job_queue.id
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt)
        SELECT ins.id, 'enqueued', 'pending', 0 FROM ins
    )
    SELECT count(*) INTO v_count FROM ins;
    PERFORM set_config('app.job_notify', '', true);

    IF v_count > 0 AND coalesce(p_run_at, now()) <= now() THEN
        PERFORM pg_notify('job_queue_wakeup', p_queue);
    END IF;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[], timestamptz, integer, text, text) IS
    'Bulk enqueue (the enqueue client''s typed batch, webhook intake, imports, benchmarks): one multi-row INSERT of many jobs of one type with the options create_job takes except result caching (ids from p_ids when given, else UUIDv7; idempotency keys from p_idempotency_keys, a key already used raises 23505; run_at, max_attempts, timeout, trace context for all of them) plus their ''enqueued'' log rows, one wake-up NOTIFY of p_queue when the jobs are due (sent here, not by the row trigger); returns the count.';

REVOKE ALL ON FUNCTION create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[], timestamptz, integer, text, text) FROM PUBLIC;
