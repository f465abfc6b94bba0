-- Migration: cheaper claims and completions (server CPU per job on the queue's hot path)
-- Purpose:
--   * claim_jobs() updates its candidates through the primary key. The UPDATE joined the candidates (the claim
--     index's first p_limit due jobs, locked SKIP LOCKED) to job_queue, and once statistics know the table is large
--     the planner hashed the candidates against a sequential scan of the whole table, finished jobs included: every
--     claim of 500 read all 20,000 rows of a 20,000-job table (30 ms of the claim's 35 ms). Now the UPDATE's
--     condition is j.id = ANY (ARRAY(SELECT id FROM candidates)), which the planner answers with one job_queue_pkey
--     probe per id (QueueHotPathTests pins that plan with statistics of a 20,000-job table).
--   Measured with bench/queue-sql-loop.sh (one session, no listener: create_jobs_bulk of 50,000, then
--   claim_jobs/complete_jobs in batches of 500, backend CPU from /proc; three alternating runs each, loaded machine):
--   claim+complete 81-113 -> 44-60 ms of server CPU per 1,000 jobs, most of it from the first change; bench/README.md.
--   * claims and completions of jobs without an owner no longer notify job_progress (the lead's decision on
--     issue 14). claim_jobs() and complete_jobs() sent every claimed or completed job. The channel's readers are
--     the Api's live job streams, which serve a job to its owner only (JobEventStream.FindAsync reads it under RLS,
--     so a job with user_id NULL is never streamed), and the Workers' cancel watch, which only acts on cancel
--     requests; those come from cancel_job()'s update of cancel_requested through the row trigger
--     notify_job_change(), and a claimed job that already carries one is stopped by the executor from its claimed
--     row. So the changes of system jobs (user_id NULL: schedules, syncs, webhooks, the bench) in these two
--     functions had no reader, yet cost the JSON of each change, the NOTIFY and its delivery to every listening
--     backend, per job and twice. Both functions now build and send changes of owned jobs only
--     (array_agg ... FILTER (WHERE user_id IS NOT NULL)); a batch of system jobs sends nothing. Every other
--     notification is unchanged: release_jobs(), rescue_expired_jobs() and the row trigger (cancel, fail, retry,
--     progress) still notify every job, owned or not.
--   Arguments, results, job rows and job_log rows are those of 008 (claim_jobs) and 026 (complete_jobs).
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions: re-run the claim_jobs definition from 008_queue_hot_path.sql and the complete_jobs
-- definition from 026_complete_jobs_by_primary_key.sql.

CREATE OR REPLACE FUNCTION claim_jobs(
    p_queue         text,
    p_worker_id     text,
    p_limit         integer,
    p_lease_seconds integer DEFAULT 30)
RETURNS SETOF job_queue
LANGUAGE plpgsql
AS $$
DECLARE
    v_limit   integer := p_limit;
    v_max     integer;
    v_running integer;
BEGIN
    IF p_queue IS NULL OR p_worker_id IS NULL OR btrim(p_worker_id) = '' THEN
        RAISE EXCEPTION 'claim_jobs: p_queue and p_worker_id are required' USING ERRCODE = '22023';
    END IF;
    IF p_limit IS NULL OR p_limit < 0 THEN
        RAISE EXCEPTION 'claim_jobs: p_limit must be >= 0 (got %)', p_limit USING ERRCODE = '22023';
    END IF;
    IF p_lease_seconds IS NULL OR p_lease_seconds < 1 THEN
        RAISE EXCEPTION 'claim_jobs: p_lease_seconds must be >= 1 (got %)', p_lease_seconds USING ERRCODE = '22023';
    END IF;
    IF p_limit = 0 THEN
        RETURN;
    END IF;

    -- Global concurrency limit: serialize claimers of a limited queue only; unlimited queues take no lock.
    SELECT l.max_concurrency INTO v_max FROM job_queue_limit l WHERE l.queue = p_queue;
    IF FOUND THEN
        PERFORM pg_advisory_xact_lock(hashtext('job_queue_limit:' || p_queue));
        SELECT count(*) INTO v_running
        FROM job_queue j
        WHERE j.status = 'processing' AND j.queue = p_queue;
        v_limit := least(v_limit, v_max - v_running);
        IF v_limit <= 0 THEN
            RETURN;
        END IF;
    END IF;

    PERFORM set_config('app.job_notify', 'batch', true);
    RETURN QUERY
    WITH candidates AS (
        SELECT j.id
        FROM job_queue j
        WHERE j.status = 'pending'
          AND j.queue = p_queue
          AND j.run_at <= now()
        ORDER BY j.priority DESC, j.run_at, j.id
        LIMIT v_limit
        FOR NO KEY UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE job_queue j
        SET status       = 'processing',
            attempts     = j.attempts + 1,
            locked_by    = p_worker_id,
            locked_until = now() + make_interval(secs => p_lease_seconds),
            heartbeat_at = now(),
            started_at   = coalesce(j.started_at, now()),
            updated_at   = now()
        -- One primary-key probe per candidate: a join let the planner hash the candidates against a sequential
        -- scan of the whole table once statistics knew it was large.
        WHERE j.id = ANY (ARRAY(SELECT c.id FROM candidates c))
        RETURNING j.*
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id)
        SELECT cl.id, 'claimed', 'processing', cl.attempts, p_worker_id FROM claimed cl
    ), notified AS (
        -- Owned jobs only: nothing reads a system job's claim (see the header).
        SELECT notify_job_changes(array_agg(job_change(
                   cl.id, cl.user_id, cl.job_type, cl.status, cl.progress, cl.progress_message, cl.cancel_requested))
                   FILTER (WHERE cl.user_id IS NOT NULL)) AS notifications
        FROM claimed cl
    )
    SELECT cl.* FROM claimed cl CROSS JOIN notified
    ORDER BY cl.priority DESC, cl.run_at, cl.id;
    PERFORM set_config('app.job_notify', '', true);
END
$$;
COMMENT ON FUNCTION claim_jobs(text, text, integer, integer) IS
    'Worker fetch: atomically claims up to p_limit due pending jobs of a queue (SKIP LOCKED), leases them to p_worker_id for p_lease_seconds (each candidate updated through the primary key), respects job_queue_limit; notifies job_progress in batches for jobs with an owner (user_id set) only.';

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
    -- Owned jobs only: nothing reads a system job's completion (see the header).
    SELECT count(*), notify_job_changes(array_agg(job_change(
               d.id, d.user_id, d.job_type, 'completed', 100, d.progress_message, d.cancel_requested))
               FILTER (WHERE d.user_id IS NOT NULL))
    INTO v_count, v_notified
    FROM done d;
    PERFORM set_config('app.job_notify', '', true);

    RETURN v_count;
END
$$;
COMMENT ON FUNCTION complete_jobs(text, uuid[], jsonb[], integer) IS
    'Worker batch success: completes the listed jobs held by p_worker_id (results paired by array position; each id found by primary key, so the cost is linear in the batch); notifies job_progress in batches for jobs with an owner (user_id set) only; returns how many were completed.';
