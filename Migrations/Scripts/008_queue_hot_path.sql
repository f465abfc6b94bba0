-- Migration: a cheaper hot path for the job queue (enqueue, claim, complete)
-- Purpose:
--   Measured one step at a time (100,000 jobs through create_jobs_bulk, then claim_jobs/complete_jobs in batches
--   of 500 from one session, PostgreSQL 15, 2 cores): claim+complete went from about 4.0 s to about 2.5 s and
--   enqueue from 1.3 s to 0.8 s. The steps:
--   * job ids are UUIDv7 (time-ordered; uuid_v7() below, the same layout as PostgreSQL 18's uuidv7()): new rows
--     land at the right edge of every btree on id (job_queue_pkey, idx_job_log_job) instead of random pages.
--   * job_log.job_id has no foreign key any more. The key checked every log row against job_queue with a
--     FOR KEY SHARE lookup (three per job); the cascade it gave is kept by a statement-level AFTER DELETE trigger
--     (deletes are rare: retention, user deletion), so a job's log still goes with it.
--   * idx_job_queue_queue_status (pending and processing) took an entry on every claim. idx_job_queue_claim is now
--     the only index on pending jobs, so a claim can only walk it in order and stop after its batch (an index led
--     by (queue, run_at) tempted the planner, with statistics taken while the queue was empty, to sort every
--     pending job for each claim: 64 ms instead of 0.4 ms with 100,000 pending). next_job_due_at() skip-scans the
--     claim index (one probe per priority), pending counts read it, and processing counts use
--     idx_job_queue_lease_expiry (the in-flight set is small: the Workers stop claiming while completions wait).
--   * idx_job_queue_cleanup took an entry on every completion; retention now finds old finished jobs through a
--     BRIN index on created_at (a job finished before the cutoff was created before it too).
--   * state-change notifications: claim_jobs, complete_jobs, release_jobs and rescue_expired_jobs send their own
--     (JSON arrays of up to 16 jobs from their RETURNING rows: job_change() and notify_job_changes(json[])). Every other
--     update is notified by a row trigger whose WHEN clause skips rows that did not change state and statements
--     that notify themselves (transaction-local setting app.job_notify = 'batch'), so no transition tables are
--     captured on the hot path. The message format is unchanged (005).
--   * updated_at: the hot functions set it themselves; the row trigger runs only when a statement does not.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions (one transaction):
--   ALTER TABLE job_queue ALTER COLUMN id SET DEFAULT gen_random_uuid();
--   DELETE FROM job_log l WHERE NOT EXISTS (SELECT 1 FROM job_queue j WHERE j.id = l.job_id);
--   ALTER TABLE job_log ADD CONSTRAINT job_log_job_id_fkey FOREIGN KEY (job_id) REFERENCES job_queue (id) ON DELETE CASCADE;
--   DROP TRIGGER IF EXISTS trg_job_queue_delete_logs ON job_queue; DROP FUNCTION IF EXISTS delete_job_logs();
--   DROP TRIGGER IF EXISTS trg_job_queue_notify_change ON job_queue; DROP FUNCTION IF EXISTS notify_job_change();
--   DROP FUNCTION IF EXISTS notify_job_changes(json[]);
--   DROP FUNCTION IF EXISTS job_change(uuid, uuid, text, text, integer, text, boolean);
--   re-create idx_job_queue_queue_status and idx_job_queue_cleanup as in 002, drop idx_job_queue_created_brin,
--   re-create trg_job_queue_notify_changes as in 005 and trg_job_queue_updated_at as in 002, and re-run the
--   function definitions of 002 (claim_jobs, complete_jobs, release_jobs, rescue_expired_jobs, next_job_due_at,
--   job_queue_stats, cleanup_old_jobs).

-- ---------------------------------------------------------------------------------------------
-- UUIDv7 job ids
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION uuid_v7()
RETURNS uuid
LANGUAGE sql
VOLATILE
PARALLEL SAFE
AS $$
    -- 48-bit Unix time in milliseconds, then the random bits of a v4 UUID with the version nibble set to 7
    -- (the variant bits of gen_random_uuid() are already RFC 9562's).
    SELECT encode(
               set_bit(set_bit(
                   overlay(uuid_send(gen_random_uuid())
                           PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                           FROM 1 FOR 6),
                   52, 1), 53, 1),
               'hex')::uuid
$$;
COMMENT ON FUNCTION uuid_v7() IS
    'RFC 9562 version 7 UUID (millisecond time prefix, random rest): time-ordered keys for append-mostly tables. PostgreSQL 18 has uuidv7() built in; this one runs on 15 too.';

ALTER TABLE job_queue ALTER COLUMN id SET DEFAULT uuid_v7();

-- ---------------------------------------------------------------------------------------------
-- job_log without a foreign key; the cascade as a statement trigger
-- ---------------------------------------------------------------------------------------------
ALTER TABLE job_log DROP CONSTRAINT IF EXISTS job_log_job_id_fkey;

CREATE OR REPLACE FUNCTION delete_job_logs()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM job_log l USING deleted_jobs d WHERE l.job_id = d.id;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION delete_job_logs() IS
    'AFTER DELETE statement trigger function on job_queue: deletes the job_log rows of the deleted jobs (what ON DELETE CASCADE did, without a key check on every log insert).';

CREATE OR REPLACE TRIGGER trg_job_queue_delete_logs
    AFTER DELETE ON job_queue
    REFERENCING OLD TABLE AS deleted_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION delete_job_logs();

-- ---------------------------------------------------------------------------------------------
-- Indexes: nothing on job_queue takes an entry on claim except the primary key and the lease index
-- ---------------------------------------------------------------------------------------------
DROP INDEX IF EXISTS idx_job_queue_queue_status;
DROP INDEX IF EXISTS idx_job_queue_cleanup;

CREATE INDEX IF NOT EXISTS idx_job_queue_created_brin
    ON job_queue USING brin (created_at);
COMMENT ON INDEX idx_job_queue_created_brin IS
    'cleanup_old_jobs(): the block ranges of jobs created before the retention cutoff; tiny, rows arrive in time order.';

-- ---------------------------------------------------------------------------------------------
-- Notifications
-- ---------------------------------------------------------------------------------------------
DROP TRIGGER IF EXISTS trg_job_queue_notify_changes ON job_queue;
DROP FUNCTION IF EXISTS notify_job_changes();

CREATE OR REPLACE FUNCTION job_change(
    p_id               uuid,
    p_user_id          uuid,
    p_job_type         text,
    p_status           text,
    p_progress         integer,
    p_message          text,
    p_cancel_requested boolean)
RETURNS json
LANGUAGE sql
STABLE
AS $$
    -- The message is cut to 200 characters (the job row keeps up to 1000): 16 changes stay under NOTIFY's 8000 bytes.
    SELECT json_build_object('id', p_id, 'user_id', p_user_id, 'job_type', p_job_type, 'status', p_status,
                             'progress', p_progress, 'message', left(p_message, 200), 'cancel_requested', p_cancel_requested)
$$;
COMMENT ON FUNCTION job_change(uuid, uuid, text, text, integer, text, boolean) IS
    'One job state change as sent on job_progress (the format of 005): {id, user_id, job_type, status, progress, message, cancel_requested}.';

CREATE OR REPLACE FUNCTION notify_job_changes(p_changes json[])
RETURNS integer
LANGUAGE sql
VOLATILE
AS $$
    -- One NOTIFY per 16 changes (8000-byte payload limit; job_change() cuts each message to 200 characters).
    SELECT count(pg_notify('job_progress', c.payload))::integer
    FROM (
        SELECT json_agg(u.change ORDER BY u.n)::text AS payload
        FROM unnest(p_changes) WITH ORDINALITY AS u(change, n)
        GROUP BY (u.n - 1) / 16
    ) c
$$;
COMMENT ON FUNCTION notify_job_changes(json[]) IS
    'NOTIFY job_progress with the given job changes ({id, user_id, job_type, status, progress, message, cancel_requested}) as JSON arrays of up to 16; returns the number of notifications.';

CREATE OR REPLACE FUNCTION notify_job_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('job_progress',
        job_change(NEW.id, NEW.user_id, NEW.job_type, NEW.status, NEW.progress, NEW.progress_message, NEW.cancel_requested)::text);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION notify_job_change() IS
    'AFTER UPDATE row trigger function: NOTIFY job_progress with one job change object (same fields as notify_job_changes).';

CREATE OR REPLACE TRIGGER trg_job_queue_notify_change
    AFTER UPDATE ON job_queue
    FOR EACH ROW
    WHEN ((OLD.status IS DISTINCT FROM NEW.status
           OR OLD.progress IS DISTINCT FROM NEW.progress
           OR OLD.progress_message IS DISTINCT FROM NEW.progress_message
           OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested)
          AND current_setting('app.job_notify', true) IS DISTINCT FROM 'batch')
    EXECUTE FUNCTION notify_job_change();

-- updated_at: statements that set it themselves skip the row trigger.
CREATE OR REPLACE TRIGGER trg_job_queue_updated_at
    BEFORE UPDATE ON job_queue
    FOR EACH ROW
    WHEN (OLD.updated_at IS NOT DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- The batch functions, notifying from their own RETURNING rows
-- ---------------------------------------------------------------------------------------------
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
        FROM candidates c
        WHERE j.id = c.id
        RETURNING j.*
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id)
        SELECT cl.id, 'claimed', 'processing', cl.attempts, p_worker_id FROM claimed cl
    ), notified AS (
        SELECT notify_job_changes(array_agg(job_change(
                   cl.id, cl.user_id, cl.job_type, cl.status, cl.progress, cl.progress_message, cl.cancel_requested))) AS notifications
        FROM claimed cl
    )
    SELECT cl.* FROM claimed cl CROSS JOIN notified
    ORDER BY cl.priority DESC, cl.run_at, cl.id;
    PERFORM set_config('app.job_notify', '', true);
END
$$;
COMMENT ON FUNCTION claim_jobs(text, text, integer, integer) IS
    'Worker fetch: atomically claims up to p_limit due pending jobs of a queue (SKIP LOCKED), leases them to p_worker_id for p_lease_seconds, respects job_queue_limit; notifies job_progress in batches.';

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
    ), done AS (
        UPDATE job_queue j
        SET status           = 'completed',
            progress         = 100,
            result           = i.result,
            error            = NULL,
            completed_at     = now(),
            locked_by        = NULL,
            locked_until     = NULL,
            cache_expires_at = CASE WHEN j.cache_key IS NOT NULL AND p_cache_ttl_seconds > 0
                                    THEN now() + make_interval(secs => p_cache_ttl_seconds) END,
            updated_at       = now()
        FROM input i
        WHERE j.id = i.job_id
          AND j.status = 'processing'
          AND j.locked_by = p_worker_id
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
    'Worker batch success: completes the listed jobs held by p_worker_id (results paired by array position); notifies job_progress in batches; returns how many were completed.';

CREATE OR REPLACE FUNCTION release_jobs(p_worker_id text, p_job_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count    integer;
    v_queues   text[];
    v_notified integer;
BEGIN
    PERFORM set_config('app.job_notify', 'batch', true);
    WITH released AS (
        UPDATE job_queue j
        SET status       = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'pending' END,
            attempts     = greatest(j.attempts - 1, 0),   -- the interrupted attempt does not count
            locked_by    = NULL,
            locked_until = NULL,
            completed_at = CASE WHEN j.cancel_requested THEN now() END,
            updated_at   = now()
        WHERE j.id = ANY (p_job_ids)
          AND j.status = 'processing'
          AND j.locked_by = p_worker_id
        RETURNING j.id, j.user_id, j.job_type, j.status, j.progress, j.progress_message, j.cancel_requested,
                  j.attempts, j.queue
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id, message)
        SELECT r.id, CASE r.status WHEN 'cancelled' THEN 'cancelled' ELSE 'released' END,
               r.status, r.attempts, p_worker_id, 'released by worker'
        FROM released r
    )
    SELECT count(*),
           array_agg(DISTINCT r.queue) FILTER (WHERE r.status = 'pending'),
           notify_job_changes(array_agg(job_change(
               r.id, r.user_id, r.job_type, r.status, r.progress, r.progress_message, r.cancel_requested)))
    INTO v_count, v_queues, v_notified
    FROM released r;
    PERFORM set_config('app.job_notify', '', true);

    PERFORM pg_notify('job_queue_wakeup', q) FROM unnest(v_queues) AS q;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION release_jobs(text, uuid[]) IS
    'Graceful worker shutdown: hands held jobs back to pending without consuming an attempt and wakes the other workers; returns the count.';

CREATE OR REPLACE FUNCTION rescue_expired_jobs(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count    integer;
    v_queues   text[];
    v_notified integer;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'rescue_expired_jobs: p_limit must be >= 1 (got %)', p_limit USING ERRCODE = '22023';
    END IF;

    PERFORM set_config('app.job_notify', 'batch', true);
    WITH expired AS (
        SELECT j.id, j.locked_by AS previous_worker
        FROM job_queue j
        WHERE j.status = 'processing'
          AND j.locked_until < now()
        ORDER BY j.locked_until
        LIMIT p_limit
        FOR NO KEY UPDATE SKIP LOCKED
    ), rescued AS (
        UPDATE job_queue j
        SET status       = CASE WHEN j.cancel_requested THEN 'cancelled'
                                WHEN j.attempts >= j.max_attempts THEN 'failed'
                                ELSE 'pending' END,
            error        = CASE WHEN j.cancel_requested THEN j.error ELSE 'lease expired' END,
            completed_at = CASE WHEN j.cancel_requested OR j.attempts >= j.max_attempts THEN now() END,
            locked_by    = NULL,
            locked_until = NULL,
            updated_at   = now()
        FROM expired e
        WHERE j.id = e.id
          AND j.status = 'processing'
        RETURNING j.id, j.user_id, j.job_type, j.status, j.progress, j.progress_message, j.cancel_requested,
                  j.attempts, j.queue, e.previous_worker
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id, message)
        SELECT r.id, 'rescued', r.status, r.attempts, r.previous_worker, 'lease expired'
        FROM rescued r
    )
    SELECT count(*),
           array_agg(DISTINCT r.queue) FILTER (WHERE r.status = 'pending'),
           notify_job_changes(array_agg(job_change(
               r.id, r.user_id, r.job_type, r.status, r.progress, r.progress_message, r.cancel_requested)))
    INTO v_count, v_queues, v_notified
    FROM rescued r;
    PERFORM set_config('app.job_notify', '', true);

    PERFORM pg_notify('job_queue_wakeup', q) FROM unnest(v_queues) AS q;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION rescue_expired_jobs(integer) IS
    'Scheduler: jobs whose lease expired (crashed/stalled worker) go back to pending, or to failed when attempts are used up (error ''lease expired''); returns the count.';

-- ---------------------------------------------------------------------------------------------
-- Readers of the dropped indexes
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION next_job_due_at(p_queue text)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_priority smallint;
    v_run_at   timestamptz;
    v_next     timestamptz;
BEGIN
    -- A skip scan over idx_job_queue_claim (queue, priority DESC, run_at, id): the first entry of each priority
    -- holds that priority's earliest run_at; priorities are few, so this reads a handful of index entries.
    SELECT j.priority, j.run_at INTO v_priority, v_next
    FROM job_queue j
    WHERE j.queue = p_queue AND j.status = 'pending'
    ORDER BY j.priority DESC, j.run_at, j.id
    LIMIT 1;
    WHILE v_priority IS NOT NULL LOOP
        SELECT j.priority, j.run_at INTO v_priority, v_run_at
        FROM job_queue j
        WHERE j.queue = p_queue AND j.status = 'pending' AND j.priority < v_priority
        ORDER BY j.priority DESC, j.run_at, j.id
        LIMIT 1;
        IF FOUND THEN
            v_next := least(v_next, v_run_at);
        ELSE
            v_priority := NULL;
        END IF;
    END LOOP;
    RETURN v_next;
END
$$;
COMMENT ON FUNCTION next_job_due_at(text) IS
    'Worker idle loop: run_at of the earliest pending job of a queue (a skip scan over idx_job_queue_claim, one probe per priority); NULL when none.';

CREATE OR REPLACE FUNCTION job_queue_stats(p_include_finished boolean DEFAULT true)
RETURNS TABLE (queue text, status text, count bigint, oldest timestamptz)
LANGUAGE sql
STABLE
AS $$
    SELECT s.queue, s.status, s.count, s.oldest
    FROM (
        SELECT j.queue, j.status, count(*)::bigint AS count, min(j.created_at) AS oldest
        FROM job_queue j WHERE j.status = 'pending'                     -- idx_job_queue_claim
        GROUP BY j.queue, j.status
        UNION ALL
        SELECT j.queue, j.status, count(*)::bigint, min(j.created_at)
        FROM job_queue j WHERE j.status = 'processing'                  -- idx_job_queue_lease_expiry
        GROUP BY j.queue, j.status
        UNION ALL
        SELECT j.queue, j.status, count(*)::bigint, min(j.created_at)
        FROM job_queue j
        WHERE p_include_finished AND j.status IN ('completed', 'failed', 'cancelled')
        GROUP BY j.queue, j.status
    ) s
    ORDER BY s.queue, s.status
$$;
COMMENT ON FUNCTION job_queue_stats(boolean) IS
    'Monitoring: job count and oldest created_at per (queue, status). Pass false to count only pending/processing (through the partial indexes, cheap at 10M rows).';

CREATE OR REPLACE FUNCTION cleanup_old_jobs(
    p_older_than interval DEFAULT interval '30 days',
    p_batch_size integer  DEFAULT 5000)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    IF p_older_than IS NULL OR p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION 'cleanup_old_jobs: p_older_than is required and p_batch_size must be >= 1'
            USING ERRCODE = '22023';
    END IF;

    -- completed_at >= created_at, so created_at < cutoff is implied: the BRIN index narrows the scan to old blocks.
    DELETE FROM job_queue j
    WHERE j.id IN (
        SELECT x.id
        FROM job_queue x
        WHERE x.created_at < now() - p_older_than
          AND x.status IN ('completed', 'failed', 'cancelled')
          AND x.completed_at < now() - p_older_than
        LIMIT p_batch_size
        FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION cleanup_old_jobs(interval, integer) IS
    'Retention: deletes one batch of finished jobs (and their log) completed before now() - p_older_than; call until it returns < p_batch_size.';
