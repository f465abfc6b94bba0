-- Migration: complete_jobs() finds each job by its primary key (linear in the batch, whatever the statistics say)
-- Purpose:
--   complete_jobs() joined the batch (unnest of ids and results) to job_queue filtered by status = 'processing' and
--   locked_by = the worker. Table statistics never see a worker's id (ANALYZE finds locked_by NULL on almost every
--   row), so the planner estimated one held job, scanned idx_job_queue_lease_expiry for them and rescanned the whole
--   batch for each: a nested loop of batch x held jobs (a batch of 500 with 500 held: 124,750 comparisons, 210 ms of
--   the statement's 253 ms on PostgreSQL 15; with the bench's batches of 1,000 about 0.13 ms of server time per job,
--   more than claiming it). Now each id of the batch is looked up through job_queue_pkey and locked
--   (FOR NO KEY UPDATE, the lock the UPDATE takes anyway), and only then checked for status and worker, so the plan is
--   one index probe per job: 2.1 ms for the same 500. The lock before the check keeps the check true until commit
--   (under READ COMMITTED the locking read re-reads a row changed meanwhile, e.g. rescued by rescue_expired_jobs()).
--   Semantics, arguments, result and notifications are those of 008.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions: re-run the complete_jobs definition from 008_queue_hot_path.sql.

CREATE OR REPLACE FUNCTION complete_jobs(
    p_worker_id         text,
    p_job_ids           uuid[],
    p_results           jsonb[],
    p_cache_ttl_seconds integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count    integer;
    v_notified integer;
BEGIN
    IF p_results IS NOT NULL AND cardinality(p_results) <> cardinality(p_job_ids) THEN
        RAISE EXCEPTION 'complete_jobs: % job ids but % results', cardinality(p_job_ids), cardinality(p_results)
            USING ERRCODE = '22023';
    END IF;

    PERFORM set_config('app.job_notify', 'batch', true);
    WITH input AS (
        SELECT DISTINCT ON (t.job_id) t.job_id, t.result
        FROM unnest(p_job_ids, p_results) AS t(job_id, result)
        WHERE t.job_id IS NOT NULL
        ORDER BY t.job_id
    ), held AS (
        -- One primary-key probe per id. OFFSET 0 keeps the status and worker conditions out of the subquery, where
        -- the planner would otherwise scan the lease index (estimated to hold one row) for every id.
        SELECT h.id, i.result
        FROM input i
        CROSS JOIN LATERAL (
            SELECT j.id, j.status, j.locked_by
            FROM job_queue j
            WHERE j.id = i.job_id
            OFFSET 0
            FOR NO KEY UPDATE
        ) h
        WHERE h.status = 'processing'
          AND h.locked_by = p_worker_id
    ), done AS (
        UPDATE job_queue j
        SET status           = 'completed',
            progress         = 100,
            result           = h.result,
            error            = NULL,
            completed_at     = now(),
            locked_by        = NULL,
            locked_until     = NULL,
            cache_expires_at = CASE WHEN j.cache_key IS NOT NULL AND p_cache_ttl_seconds > 0
                                    THEN now() + make_interval(secs => p_cache_ttl_seconds) END,
            updated_at       = now()
        FROM held h
        WHERE j.id = h.id
        RETURNING j.id, j.user_id, j.job_type, j.attempts, j.progress_message, j.cancel_requested
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id)
        SELECT d.id, 'completed', 'completed', d.attempts, p_worker_id FROM done d
    )
    SELECT count(*), notify_job_changes(array_agg(job_change(
               d.id, d.user_id, d.job_type, 'completed', 100, d.progress_message, d.cancel_requested)))
    INTO v_count, v_notified
    FROM done d;
    PERFORM set_config('app.job_notify', '', true);

    RETURN v_count;
END
$$;
COMMENT ON FUNCTION complete_jobs(text, uuid[], jsonb[], integer) IS
    'Worker batch success: completes the listed jobs held by p_worker_id (results paired by array position; each id found by primary key, so the cost is linear in the batch); notifies job_progress in batches; returns how many were completed.';
