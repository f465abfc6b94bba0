-- Migration: create_jobs_bulk() takes the per-job options create_job() takes (issue 14, typed batch enqueue)
-- Purpose:
--   * The enqueue client's typed batch (JobQueueClient.EnqueueManyAsync: a sync's tag_content / refresh_media jobs
--     in one round trip) goes through create_jobs_bulk, which (after 025) set user, type, payload, queue, priority,
--     max_attempts, ids and idempotency keys: the jobs lost their type's timeout and the enqueuer's trace context, and
--     could not be scheduled for later. It now also takes p_run_at, p_timeout_seconds, p_trace_parent and
--     p_trace_state, all defaulting to what it did before (run now, no timeout, no trace).
--   * Everything 025 gave it stays: the same first eight parameters in the same order and with the same defaults
--     (p_max_attempts 3, required; p_ids: given ids, else UUIDv7 generated here; p_idempotency_keys: one per payload,
--     a key already used raises 23505), so record_stripe_webhooks() (025), which calls it with named arguments, and
--     every positional caller are unchanged. Still one multi-row INSERT plus the 'enqueued' job_log rows, no result
--     cache (create_job, one job at a time, for that). Same caller check, same privileges (not executable by PUBLIC).
--   * One create_jobs_bulk remains: 025's signature is dropped (so a call cannot be ambiguous between overloads).
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here); safe to run again. PostgreSQL 15+.
--
-- Rollback instructions (one transaction):
--   DROP FUNCTION IF EXISTS create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[], timestamptz, integer, text, text);
--   then re-run the create_jobs_bulk section of 025_set_based_stripe_intake.sql (with its REVOKE ... FROM PUBLIC).

DROP FUNCTION IF EXISTS create_jobs_bulk(uuid, text, jsonb[], text, integer);
DROP FUNCTION IF EXISTS create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[]);

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

    RETURN v_count;
END
$$;
COMMENT ON FUNCTION create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[], timestamptz, integer, text, text) IS
    'Bulk enqueue (the enqueue client''s typed batch, webhook intake, imports, benchmarks): one multi-row INSERT of many jobs of one type with the options create_job takes except result caching (ids from p_ids when given, else UUIDv7; idempotency keys from p_idempotency_keys, a key already used raises 23505; run_at, max_attempts, timeout, trace context for all of them) plus their ''enqueued'' log rows, one wake-up NOTIFY (statement trigger); returns the count.';

REVOKE ALL ON FUNCTION create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[], timestamptz, integer, text, text) FROM PUBLIC;
