-- Migration: Async job queue + Stripe webhook infrastructure
-- Purpose:
--   * job_queue / job_log: a Postgres job queue for 10M+ rows and 10K+ jobs/s. Workers claim batches
--     with FOR NO KEY UPDATE SKIP LOCKED, hold short leases renewed by heartbeats, complete/fail in
--     batches; retries use exponential backoff with jitter; expired leases are rescued; optional
--     per-queue global concurrency limits (job_queue_limit); idempotency keys and a result cache.
--   * stripe_webhook_events: each Stripe event stored once (UNIQUE stripe_event_id) together with its
--     processing job, in one transaction; processing status and retries tracked per event.
--   * Stripe ids on subscription; query_cache (database-side record of cached results, Redis first).
--   * Triggers: updated_at, a per-statement wake-up NOTIFY (job_queue_wakeup, payload = queue name)
--     and a progress/status NOTIFY (job_progress, JSON payload).
--   * Row-level security for the per-user Api role app_user (app.user_id set per transaction).
--   Schedules (cleanup, lease rescue) are driven by the C# Workers, not pg_cron.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions (run in one transaction; destroys queue and webhook data):
--   DROP TABLE IF EXISTS job_log, stripe_webhook_events, job_queue, job_queue_limit, query_cache CASCADE;
--       -- drops their triggers, policies and indexes too
--   DROP FUNCTION IF EXISTS app_current_user_id(), app_assert_caller(uuid), ensure_user(uuid, text),
--       create_job(uuid, text, jsonb, text, integer, timestamptz, text, integer, text, integer, text, text),
--       create_jobs_bulk(uuid, text, jsonb[], text, integer), claim_jobs(text, text, integer, integer),
--       heartbeat_jobs(text, uuid[], integer), complete_job(uuid, text, jsonb, integer),
--       complete_jobs(text, uuid[], jsonb[], integer), fail_job(uuid, text, text, double precision, boolean),
--       release_jobs(text, uuid[]), reschedule_job(uuid, text, timestamptz, text), cancel_job(uuid, uuid),
--       update_job_progress(uuid, text, integer, text), rescue_expired_jobs(integer),
--       next_job_due_at(text), get_cached_job_result(text, text),
--       get_jobs_page(uuid, text, text, timestamptz, uuid, integer), job_queue_stats(boolean),
--       cleanup_old_jobs(interval, integer),
--       record_stripe_webhook(text, text, jsonb, text, boolean, timestamptz, text, boolean, text),
--       mark_webhook_processing(uuid), mark_webhook_processed(uuid), mark_webhook_failed(uuid, text, boolean),
--       replay_stripe_webhook(uuid), cleanup_old_webhooks(interval, integer),
--       cache_get(text), cache_set(text, jsonb, integer), cache_purge_expired(),
--       notify_job_enqueued(), notify_job_progress();
--   DROP POLICY IF EXISTS subscription_select_own ON subscription;
--   DROP POLICY IF EXISTS platform_account_all_own ON platform_account;
--   DROP POLICY IF EXISTS users_select_own_or_public ON users;
--   DROP POLICY IF EXISTS users_select_public ON users;
--   ALTER TABLE subscription DISABLE ROW LEVEL SECURITY;
--   ALTER TABLE platform_account DISABLE ROW LEVEL SECURITY;
--   ALTER TABLE users DISABLE ROW LEVEL SECURITY;
--   REVOKE ALL ON subscription, platform_account FROM app_user;
--   ALTER TABLE subscription DROP COLUMN IF EXISTS stripe_customer_id,
--       DROP COLUMN IF EXISTS stripe_subscription_id, DROP COLUMN IF EXISTS stripe_price_id,
--       DROP COLUMN IF EXISTS stripe_status_updated_at, DROP COLUMN IF EXISTS trial_end;

-- =============================================================================================
-- SECTION 1: Stripe columns on subscription
-- =============================================================================================
ALTER TABLE subscription
    ADD COLUMN IF NOT EXISTS stripe_customer_id       text,
    ADD COLUMN IF NOT EXISTS stripe_subscription_id   text,
    ADD COLUMN IF NOT EXISTS stripe_price_id          text,
    ADD COLUMN IF NOT EXISTS stripe_status_updated_at timestamptz, -- Stripe object time of the state applied last (ordering guard)
    ADD COLUMN IF NOT EXISTS trial_end                timestamptz;

CREATE UNIQUE INDEX IF NOT EXISTS subscription_stripe_customer_id_key
    ON subscription (stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;
COMMENT ON INDEX subscription_stripe_customer_id_key IS
    'Webhook handler: find the subscription row of a Stripe customer (cus_...); one row per customer.';

CREATE UNIQUE INDEX IF NOT EXISTS subscription_stripe_subscription_id_key
    ON subscription (stripe_subscription_id) WHERE stripe_subscription_id IS NOT NULL;
COMMENT ON INDEX subscription_stripe_subscription_id_key IS
    'Webhook handler: find the row of a Stripe subscription (sub_...); one row per Stripe subscription.';

-- =============================================================================================
-- SECTION 2: job_queue
-- =============================================================================================
CREATE TABLE IF NOT EXISTS job_queue (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid        REFERENCES users (id) ON DELETE CASCADE,  -- NULL = system job
    queue            text        NOT NULL DEFAULT 'default',
    job_type         text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status           text        NOT NULL DEFAULT 'pending',
    priority         smallint    NOT NULL DEFAULT 0,                       -- higher runs first
    run_at           timestamptz NOT NULL DEFAULT now(),                   -- not claimable before
    attempts         integer     NOT NULL DEFAULT 0,                       -- claims so far (incremented on claim)
    max_attempts     integer     NOT NULL DEFAULT 3,
    idempotency_key  text,
    cache_key        text,
    cache_expires_at timestamptz,
    result           jsonb,
    error            text,
    progress         smallint    NOT NULL DEFAULT 0,
    progress_message text,
    locked_by        text,                                                 -- worker id holding the lease
    locked_until     timestamptz,                                          -- the lease
    heartbeat_at     timestamptz,
    timeout_seconds  integer,
    cancel_requested boolean     NOT NULL DEFAULT false,
    trace_parent     text,                                                 -- W3C traceparent of the enqueuer
    trace_state      text,
    started_at       timestamptz,
    completed_at     timestamptz,                                          -- set on every terminal status
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_queue_status_check
        CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled')),
    CONSTRAINT job_queue_queue_check CHECK (char_length(queue) BETWEEN 1 AND 64),
    CONSTRAINT job_queue_job_type_check CHECK (char_length(job_type) BETWEEN 1 AND 100),
    CONSTRAINT job_queue_attempts_check CHECK (attempts >= 0),
    CONSTRAINT job_queue_max_attempts_check CHECK (max_attempts > 0),
    CONSTRAINT job_queue_progress_check CHECK (progress BETWEEN 0 AND 100),
    CONSTRAINT job_queue_timeout_check CHECK (timeout_seconds IS NULL OR timeout_seconds > 0),
    CONSTRAINT job_queue_idempotency_key_check
        CHECK (idempotency_key IS NULL OR char_length(idempotency_key) BETWEEN 1 AND 255),
    CONSTRAINT job_queue_lease_check CHECK (status <> 'processing' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
) WITH (
    fillfactor = 80,                               -- room on each page for HOT updates (heartbeat, progress)
    autovacuum_vacuum_scale_factor = 0.01,         -- vacuum after 1% dead rows, not the default 20%
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.01,  -- keep the visibility map fresh for index-only scans
    autovacuum_analyze_scale_factor = 0.01,
    autovacuum_vacuum_cost_delay = 1               -- ms; let autovacuum keep up with the churn
);
COMMENT ON TABLE job_queue IS
    'Background jobs. Lifecycle: pending -> processing (claimed, leased) -> completed | failed | cancelled; retries go back to pending.';

CREATE INDEX IF NOT EXISTS idx_job_queue_claim
    ON job_queue (queue, priority DESC, run_at, id) WHERE status = 'pending';
COMMENT ON INDEX idx_job_queue_claim IS
    'claim_jobs(): next due pending jobs of a queue in priority, run_at, id order (FOR NO KEY UPDATE SKIP LOCKED).';

CREATE INDEX IF NOT EXISTS idx_job_queue_lease_expiry
    ON job_queue (locked_until) WHERE status = 'processing';
COMMENT ON INDEX idx_job_queue_lease_expiry IS
    'rescue_expired_jobs(): processing jobs whose lease (locked_until) is in the past, oldest first.';

CREATE UNIQUE INDEX IF NOT EXISTS job_queue_idempotency_key
    ON job_queue ((coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid)), job_type, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
COMMENT ON INDEX job_queue_idempotency_key IS
    'create_job(): one job per (user or system, job_type, idempotency_key); target of ON CONFLICT DO NOTHING.';

CREATE INDEX IF NOT EXISTS idx_job_queue_cache_lookup
    ON job_queue (job_type, cache_key, completed_at DESC)
    WHERE status = 'completed' AND cache_key IS NOT NULL;
COMMENT ON INDEX idx_job_queue_cache_lookup IS
    'get_cached_job_result() / create_job(): newest completed job with a cache_key (then cache_expires_at > now()).';

CREATE INDEX IF NOT EXISTS idx_job_queue_user_created
    ON job_queue (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
COMMENT ON INDEX idx_job_queue_user_created IS
    'get_jobs_page() without status: a user''s jobs newest first, keyset on (created_at, id); also the user_id FK cascade.';

CREATE INDEX IF NOT EXISTS idx_job_queue_user_status_created
    ON job_queue (user_id, status, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
COMMENT ON INDEX idx_job_queue_user_status_created IS
    'get_jobs_page(p_status): a user''s jobs in one status newest first, keyset on (created_at, id).';

CREATE INDEX IF NOT EXISTS idx_job_queue_cleanup
    ON job_queue (completed_at) WHERE status IN ('completed', 'failed', 'cancelled');
COMMENT ON INDEX idx_job_queue_cleanup IS
    'cleanup_old_jobs(): finished jobs older than the retention period, oldest first.';

CREATE INDEX IF NOT EXISTS idx_job_queue_queue_status
    ON job_queue (queue, status, run_at) WHERE status IN ('pending', 'processing');
COMMENT ON INDEX idx_job_queue_queue_status IS
    'Queue depth: job_queue_stats() active counts, claim_jobs() running count under a concurrency limit, next_job_due_at().';

CREATE INDEX IF NOT EXISTS idx_job_queue_type_status
    ON job_queue (job_type, status, created_at DESC);
COMMENT ON INDEX idx_job_queue_type_status IS
    'Admin/monitoring: jobs of one type in one status, newest first (e.g. failed stripe_webhook jobs).';

CREATE INDEX IF NOT EXISTS idx_job_queue_locked_by
    ON job_queue (locked_by) WHERE status = 'processing';
COMMENT ON INDEX idx_job_queue_locked_by IS
    'Jobs currently held by one worker (shutdown release, diagnostics of a stuck worker).';

CREATE OR REPLACE TRIGGER trg_job_queue_updated_at
    BEFORE UPDATE ON job_queue
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Optional global (cross-replica) concurrency limit per queue. No row = unlimited (and lock-free).
CREATE TABLE IF NOT EXISTS job_queue_limit (
    queue           text        PRIMARY KEY,
    max_concurrency integer     NOT NULL CHECK (max_concurrency >= 0),  -- 0 pauses the queue
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE job_queue_limit IS
    'Per-queue cap on jobs in processing across all workers, enforced by claim_jobs(); 0 pauses the queue.';

CREATE OR REPLACE TRIGGER trg_job_queue_limit_updated_at
    BEFORE UPDATE ON job_queue_limit
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- =============================================================================================
-- SECTION 3: job_log (append-only history of each job)
-- =============================================================================================
CREATE TABLE IF NOT EXISTS job_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id     uuid        NOT NULL REFERENCES job_queue (id) ON DELETE CASCADE,
    event      text        NOT NULL,
    status     text,                  -- job status after the event
    attempt    integer,
    worker_id  text,
    message    text,
    details    jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_log_event_check CHECK (event IN (
        'enqueued', 'claimed', 'progress', 'completed', 'failed', 'retry_scheduled', 'rescheduled',
        'cancelled', 'cancel_requested', 'rescued', 'released'))
);
COMMENT ON TABLE job_log IS 'Append-only event history of each job; deleted with its job.';

CREATE INDEX IF NOT EXISTS idx_job_log_job
    ON job_log (job_id, id);
COMMENT ON INDEX idx_job_log_job IS
    'A job''s timeline in order (GET /api/jobs/{id}/log); also the ON DELETE CASCADE from job_queue.';

CREATE INDEX IF NOT EXISTS idx_job_log_created_brin
    ON job_log USING brin (created_at);
COMMENT ON INDEX idx_job_log_created_brin IS
    'Time-range scans over the whole log (recent activity, retention); tiny because rows arrive in time order.';

CREATE INDEX IF NOT EXISTS idx_job_log_failures
    ON job_log (event, created_at) WHERE event IN ('failed', 'retry_scheduled', 'rescued');
COMMENT ON INDEX idx_job_log_failures IS
    'Failure monitoring: recent failures, retries and lease rescues by time.';

CREATE INDEX IF NOT EXISTS idx_job_log_worker
    ON job_log (worker_id, created_at) WHERE worker_id IS NOT NULL;
COMMENT ON INDEX idx_job_log_worker IS
    'What one worker did over time (debugging a misbehaving replica).';

-- =============================================================================================
-- SECTION 4: stripe_webhook_events
-- =============================================================================================
CREATE TABLE IF NOT EXISTS stripe_webhook_events (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    stripe_event_id   text        NOT NULL,     -- evt_...
    event_type        text        NOT NULL,     -- e.g. customer.subscription.updated
    api_version       text,
    livemode          boolean     NOT NULL DEFAULT false,
    stripe_created_at timestamptz,              -- event.created (one-second resolution: events of one second tie)
    object_id         text,                     -- data.object.id (sub_..., in_..., cs_...)
    payload           jsonb       NOT NULL,
    status            text        NOT NULL DEFAULT 'pending',
    attempts          integer     NOT NULL DEFAULT 0,
    max_attempts      integer     NOT NULL DEFAULT 4,  -- 1 try + 3 retries, as the processing job
    last_error        text,
    job_id            uuid        REFERENCES job_queue (id) ON DELETE SET NULL,
    source            text        NOT NULL DEFAULT 'webhook',
    received_at       timestamptz NOT NULL DEFAULT now(),
    processed_at      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_webhook_events_stripe_event_id_key UNIQUE (stripe_event_id),
    CONSTRAINT stripe_webhook_events_status_check
        CHECK (status IN ('pending', 'processing', 'processed', 'failed', 'ignored')),
    CONSTRAINT stripe_webhook_events_source_check CHECK (source IN ('webhook', 'reconciliation', 'replay')),
    CONSTRAINT stripe_webhook_events_attempts_check CHECK (attempts >= 0 AND max_attempts > 0),
    CONSTRAINT stripe_webhook_events_event_id_not_blank CHECK (btrim(stripe_event_id) <> '')
);
COMMENT ON TABLE stripe_webhook_events IS
    'Every Stripe event received, once (idempotency on stripe_event_id), with its processing status and job.';
COMMENT ON INDEX stripe_webhook_events_stripe_event_id_key IS
    'Webhook idempotency: INSERT ... ON CONFLICT (stripe_event_id) DO NOTHING; lookup by Stripe event id.';

CREATE INDEX IF NOT EXISTS idx_stripe_webhook_events_pending
    ON stripe_webhook_events (status, received_at) WHERE status IN ('pending', 'failed');
COMMENT ON INDEX idx_stripe_webhook_events_pending IS
    'Monitoring / reconciliation: events not yet processed or failed, oldest first.';

CREATE INDEX IF NOT EXISTS idx_stripe_webhook_events_type
    ON stripe_webhook_events (event_type, received_at DESC);
COMMENT ON INDEX idx_stripe_webhook_events_type IS
    'Admin: recent events of one type (e.g. invoice.payment_failed).';

CREATE INDEX IF NOT EXISTS idx_stripe_webhook_events_object
    ON stripe_webhook_events (object_id, stripe_created_at DESC);
COMMENT ON INDEX idx_stripe_webhook_events_object IS
    'History of one Stripe object (sub_..., in_...) newest first: ordering checks and support.';

CREATE INDEX IF NOT EXISTS idx_stripe_webhook_events_received
    ON stripe_webhook_events (received_at);
COMMENT ON INDEX idx_stripe_webhook_events_received IS
    'cleanup_old_webhooks(): events older than the retention period, oldest first.';

CREATE INDEX IF NOT EXISTS idx_stripe_webhook_events_job
    ON stripe_webhook_events (job_id) WHERE job_id IS NOT NULL;
COMMENT ON INDEX idx_stripe_webhook_events_job IS
    'FK job_id ON DELETE SET NULL: without it every job deleted by cleanup_old_jobs() would scan this table.';

CREATE OR REPLACE TRIGGER trg_stripe_webhook_events_updated_at
    BEFORE UPDATE ON stripe_webhook_events
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- =============================================================================================
-- SECTION 5: query_cache (database-side record of cached results; Redis is the first level)
-- =============================================================================================
CREATE UNLOGGED TABLE IF NOT EXISTS query_cache (
    cache_key  text        PRIMARY KEY,
    value      jsonb       NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE query_cache IS
    'Cached query results keyed by cache_key, valid until expires_at. UNLOGGED: emptied after a crash, not replicated.';

CREATE INDEX IF NOT EXISTS idx_query_cache_expires ON query_cache (expires_at);
COMMENT ON INDEX idx_query_cache_expires IS 'cache_purge_expired(): expired entries.';

-- =============================================================================================
-- SECTION 6: caller identity helpers
-- =============================================================================================
CREATE OR REPLACE FUNCTION app_current_user_id()
RETURNS uuid
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $$
    SELECT nullif(current_setting('app.user_id', true), '')::uuid
$$;
COMMENT ON FUNCTION app_current_user_id() IS
    'The calling user''s id from set_config(''app.user_id'', id, true) (per transaction); NULL when unset. Used by the RLS policies.';

CREATE OR REPLACE FUNCTION app_assert_caller(p_user_id uuid)
RETURNS void
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_uid uuid := app_current_user_id();
BEGIN
    IF v_uid IS NOT NULL THEN
        IF p_user_id IS DISTINCT FROM v_uid THEN
            RAISE EXCEPTION 'permission denied: user % may not act on behalf of %',
                v_uid, coalesce(p_user_id::text, 'the system')
                USING ERRCODE = '42501';
        END IF;
    ELSIF current_setting('role') IN ('app_user', 'app_anonymous') THEN
        -- Under the restricted Api roles a user context is mandatory.
        RAISE EXCEPTION 'permission denied: app.user_id is not set for role %', current_setting('role')
            USING ERRCODE = '42501';
    END IF;
END
$$;
COMMENT ON FUNCTION app_assert_caller(uuid) IS
    'Guard for SECURITY DEFINER functions: raises 42501 unless p_user_id is the caller (app.user_id) or the caller is a trusted role without user context.';

-- =============================================================================================
-- SECTION 7: users / billing bootstrap
-- =============================================================================================
CREATE OR REPLACE FUNCTION ensure_user(p_user_id uuid, p_email text DEFAULT NULL)
RETURNS users
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_user users;
BEGIN
    IF p_user_id IS NULL THEN
        RAISE EXCEPTION 'ensure_user: p_user_id must not be null' USING ERRCODE = '22004';
    END IF;
    PERFORM app_assert_caller(p_user_id);

    -- DO NOTHING without a target also absorbs an e-mail clash, reported below.
    INSERT INTO users (id, email)
    VALUES (p_user_id, nullif(btrim(p_email), ''))
    ON CONFLICT DO NOTHING;

    SELECT * INTO v_user FROM users u WHERE u.id = p_user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ensure_user: e-mail address % is already used by another user', p_email
            USING ERRCODE = '23505';
    END IF;

    -- Free tier on sign-up, exactly once.
    INSERT INTO subscription (user_id, tier, status)
    VALUES (p_user_id, 'free', 'active')
    ON CONFLICT (user_id) DO NOTHING;

    RETURN v_user;
END
$$;
COMMENT ON FUNCTION ensure_user(uuid, text) IS
    'Sign-in bootstrap: creates the user row and its free ''active'' subscription once (race-safe) and returns the user.';

-- =============================================================================================
-- SECTION 8: enqueueing
-- =============================================================================================
CREATE OR REPLACE FUNCTION create_job(
    p_user_id         uuid,
    p_job_type        text,
    p_payload         jsonb       DEFAULT '{}'::jsonb,
    p_queue           text        DEFAULT 'default',
    p_priority        integer     DEFAULT 0,
    p_run_at          timestamptz DEFAULT NULL,
    p_idempotency_key text        DEFAULT NULL,
    p_max_attempts    integer     DEFAULT 3,
    p_cache_key       text        DEFAULT NULL,
    p_timeout_seconds integer     DEFAULT NULL,
    p_trace_parent    text        DEFAULT NULL,
    p_trace_state     text        DEFAULT NULL)
RETURNS TABLE (id uuid, status text, created boolean)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_zero       constant uuid := '00000000-0000-0000-0000-000000000000';
    v_id         uuid;
    v_status     text;
    v_cached_id  uuid;
    v_cached_res jsonb;
    v_try        integer;
BEGIN
    PERFORM app_assert_caller(p_user_id);

    IF p_job_type IS NULL OR btrim(p_job_type) = '' THEN
        RAISE EXCEPTION 'create_job: p_job_type must not be empty' USING ERRCODE = '22023';
    END IF;
    IF p_queue IS NULL OR btrim(p_queue) = '' THEN
        RAISE EXCEPTION 'create_job: p_queue must not be empty' USING ERRCODE = '22023';
    END IF;
    IF p_priority IS NULL OR p_priority NOT BETWEEN -32768 AND 32767 THEN
        RAISE EXCEPTION 'create_job: p_priority % is outside -32768..32767', p_priority USING ERRCODE = '22023';
    END IF;
    IF p_max_attempts IS NULL OR p_max_attempts < 1 THEN
        RAISE EXCEPTION 'create_job: p_max_attempts must be at least 1 (got %)', p_max_attempts USING ERRCODE = '22023';
    END IF;
    IF p_timeout_seconds IS NOT NULL AND p_timeout_seconds < 1 THEN
        RAISE EXCEPTION 'create_job: p_timeout_seconds must be positive (got %)', p_timeout_seconds USING ERRCODE = '22023';
    END IF;
    IF p_idempotency_key IS NOT NULL AND char_length(p_idempotency_key) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'create_job: p_idempotency_key must be 1..255 characters' USING ERRCODE = '22023';
    END IF;

    FOR v_try IN 1..3 LOOP
        -- 1. Idempotency: the job already created with this key (any status) is the answer.
        IF p_idempotency_key IS NOT NULL THEN
            SELECT j.id, j.status INTO v_id, v_status
            FROM job_queue j
            WHERE coalesce(j.user_id, v_zero) = coalesce(p_user_id, v_zero)
              AND j.job_type = p_job_type
              AND j.idempotency_key = p_idempotency_key;
            IF FOUND THEN
                RETURN QUERY SELECT v_id, v_status, false;
                RETURN;
            END IF;
        END IF;

        -- 2. Result cache: an unexpired result of the same work is copied into a completed job for the caller.
        v_cached_id := NULL;
        IF p_cache_key IS NOT NULL THEN
            SELECT j.id, j.result INTO v_cached_id, v_cached_res
            FROM job_queue j
            WHERE j.status = 'completed'
              AND j.job_type = p_job_type
              AND j.cache_key = p_cache_key
              AND j.cache_expires_at > now()
            ORDER BY j.completed_at DESC
            LIMIT 1;
        END IF;

        -- 3. Insert; a concurrent insert with the same idempotency key wins and is read on the next loop.
        INSERT INTO job_queue AS j (
            user_id, queue, job_type, payload, priority, run_at, max_attempts, idempotency_key,
            cache_key, timeout_seconds, trace_parent, trace_state,
            status, result, progress, started_at, completed_at)
        VALUES (
            p_user_id, p_queue, p_job_type, coalesce(p_payload, '{}'::jsonb), p_priority::smallint,
            coalesce(p_run_at, now()), p_max_attempts, p_idempotency_key,
            p_cache_key, p_timeout_seconds, p_trace_parent, p_trace_state,
            CASE WHEN v_cached_id IS NULL THEN 'pending' ELSE 'completed' END,
            v_cached_res,
            CASE WHEN v_cached_id IS NULL THEN 0 ELSE 100 END,
            CASE WHEN v_cached_id IS NULL THEN NULL ELSE now() END,
            CASE WHEN v_cached_id IS NULL THEN NULL ELSE now() END)
        ON CONFLICT ((coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid)), job_type, idempotency_key)
            WHERE idempotency_key IS NOT NULL
            DO NOTHING
        RETURNING j.id, j.status INTO v_id, v_status;

        IF v_id IS NOT NULL THEN
            IF v_cached_id IS NULL THEN
                INSERT INTO job_log (job_id, event, status, attempt)
                VALUES (v_id, 'enqueued', 'pending', 0);
            ELSE
                INSERT INTO job_log (job_id, event, status, attempt, message, details)
                VALUES (v_id, 'completed', 'completed', 0, 'result served from cache',
                        jsonb_build_object('cached_job_id', v_cached_id));
            END IF;
            RETURN QUERY SELECT v_id, v_status, true;
            RETURN;
        END IF;
    END LOOP;

    RAISE EXCEPTION 'create_job: idempotency key % conflicts with a job that could not be read', p_idempotency_key
        USING ERRCODE = '40001';
END
$$;
COMMENT ON FUNCTION create_job(uuid, text, jsonb, text, integer, timestamptz, text, integer, text, integer, text, text) IS
    'Enqueue one job (Api POST /api/jobs, schedulers). Returns (id, status, created): created=false = the existing job with the same idempotency key; a cache hit returns a new job already completed with the cached result.';

CREATE OR REPLACE FUNCTION create_jobs_bulk(
    p_user_id  uuid,
    p_job_type text,
    p_payloads jsonb[],
    p_queue    text    DEFAULT 'default',
    p_priority integer DEFAULT 0)
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
    IF p_payloads IS NULL OR cardinality(p_payloads) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM app_assert_caller(p_user_id);

    WITH ins AS (
        INSERT INTO job_queue (user_id, queue, job_type, payload, priority)
        SELECT p_user_id, p_queue, p_job_type, coalesce(p.payload, '{}'::jsonb), p_priority::smallint
        FROM unnest(p_payloads) AS p(payload)
        RETURNING job_queue.id
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt)
        SELECT ins.id, 'enqueued', 'pending', 0 FROM ins
    )
    SELECT count(*) INTO v_count FROM ins;

    RETURN v_count;
END
$$;
COMMENT ON FUNCTION create_jobs_bulk(uuid, text, jsonb[], text, integer) IS
    'Bulk enqueue (imports, benchmarks): one multi-row INSERT of many jobs of one type plus their ''enqueued'' log rows; returns the count.';

-- =============================================================================================
-- SECTION 9: worker side (called by the Workers as the table owner, outside RLS)
-- =============================================================================================
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
        WHERE j.queue = p_queue AND j.status = 'processing';
        v_limit := least(v_limit, v_max - v_running);
        IF v_limit <= 0 THEN
            RETURN;
        END IF;
    END IF;

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
            started_at   = coalesce(j.started_at, now())
        FROM candidates c
        WHERE j.id = c.id
        RETURNING j.*
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id)
        SELECT cl.id, 'claimed', 'processing', cl.attempts, p_worker_id FROM claimed cl
    )
    SELECT * FROM claimed cl
    ORDER BY cl.priority DESC, cl.run_at, cl.id;
END
$$;
COMMENT ON FUNCTION claim_jobs(text, text, integer, integer) IS
    'Worker fetch: atomically claims up to p_limit due pending jobs of a queue (SKIP LOCKED), leases them to p_worker_id for p_lease_seconds, respects job_queue_limit.';

CREATE OR REPLACE FUNCTION heartbeat_jobs(
    p_worker_id     text,
    p_job_ids       uuid[],
    p_lease_seconds integer DEFAULT 30)
RETURNS TABLE (id uuid, cancel_requested boolean)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    IF p_lease_seconds IS NULL OR p_lease_seconds < 1 THEN
        RAISE EXCEPTION 'heartbeat_jobs: p_lease_seconds must be >= 1 (got %)', p_lease_seconds USING ERRCODE = '22023';
    END IF;

    RETURN QUERY
    UPDATE job_queue j
    SET locked_until = now() + make_interval(secs => p_lease_seconds),
        heartbeat_at = now()
    WHERE j.id = ANY (p_job_ids)
      AND j.status = 'processing'
      AND j.locked_by = p_worker_id
    RETURNING j.id, j.cancel_requested;
END
$$;
COMMENT ON FUNCTION heartbeat_jobs(text, uuid[], integer) IS
    'Worker lease renewal for a batch of held jobs; returns the jobs still held with their cancel flag (a missing id = lease lost, stop working on it).';

CREATE OR REPLACE FUNCTION complete_job(
    p_job_id            uuid,
    p_worker_id         text,
    p_result            jsonb,
    p_cache_ttl_seconds integer DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_attempt integer;
BEGIN
    UPDATE job_queue j
    SET status           = 'completed',
        progress         = 100,
        result           = p_result,
        error            = NULL,
        completed_at     = now(),
        locked_by        = NULL,
        locked_until     = NULL,
        cache_expires_at = CASE WHEN j.cache_key IS NOT NULL AND p_cache_ttl_seconds > 0
                                THEN now() + make_interval(secs => p_cache_ttl_seconds) END
    WHERE j.id = p_job_id
      AND j.status = 'processing'
      AND j.locked_by = p_worker_id
    RETURNING j.attempts INTO v_attempt;

    IF NOT FOUND THEN
        RETURN false;  -- not held by this worker any more (rescued, cancelled, or already finished)
    END IF;

    INSERT INTO job_log (job_id, event, status, attempt, worker_id)
    VALUES (p_job_id, 'completed', 'completed', v_attempt, p_worker_id);
    RETURN true;
END
$$;
COMMENT ON FUNCTION complete_job(uuid, text, jsonb, integer) IS
    'Worker success: stores the result (cacheable for p_cache_ttl_seconds when the job has a cache_key); false unless the job is processing and held by p_worker_id.';

CREATE OR REPLACE FUNCTION complete_jobs(
    p_worker_id         text,
    p_job_ids           uuid[],
    p_results           jsonb[],
    p_cache_ttl_seconds integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    IF p_results IS NOT NULL AND cardinality(p_results) <> cardinality(p_job_ids) THEN
        RAISE EXCEPTION 'complete_jobs: % job ids but % results', cardinality(p_job_ids), cardinality(p_results)
            USING ERRCODE = '22023';
    END IF;

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
                                    THEN now() + make_interval(secs => p_cache_ttl_seconds) END
        FROM input i
        WHERE j.id = i.job_id
          AND j.status = 'processing'
          AND j.locked_by = p_worker_id
        RETURNING j.id, j.attempts
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id)
        SELECT d.id, 'completed', 'completed', d.attempts, p_worker_id FROM done d
    )
    SELECT count(*) INTO v_count FROM done;

    RETURN v_count;
END
$$;
COMMENT ON FUNCTION complete_jobs(text, uuid[], jsonb[], integer) IS
    'Worker batch success: completes the listed jobs held by p_worker_id (results paired by array position); returns how many were completed.';

CREATE OR REPLACE FUNCTION fail_job(
    p_job_id              uuid,
    p_worker_id           text,
    p_error               text,
    p_retry_delay_seconds double precision DEFAULT NULL,
    p_permanent           boolean          DEFAULT false)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    v_permanent constant boolean := coalesce(p_permanent, false);
    v_status    text;
    v_attempt   integer;
    v_run_at    timestamptz;
BEGIN
    IF p_retry_delay_seconds IS NOT NULL AND (p_retry_delay_seconds < 0 OR p_retry_delay_seconds = 'NaN'::float8) THEN
        RAISE EXCEPTION 'fail_job: p_retry_delay_seconds must be >= 0 (got %)', p_retry_delay_seconds
            USING ERRCODE = '22023';
    END IF;

    -- Every expression reads the row as locked by this UPDATE (re-checked if it changed concurrently).
    UPDATE job_queue j
    SET status       = CASE WHEN j.cancel_requested THEN 'cancelled'
                            WHEN v_permanent OR j.attempts >= j.max_attempts THEN 'failed'
                            ELSE 'pending' END,
        error        = left(coalesce(p_error, 'unknown error'), 10000),
        locked_by    = NULL,
        locked_until = NULL,
        run_at       = CASE WHEN j.cancel_requested OR v_permanent OR j.attempts >= j.max_attempts THEN j.run_at
                            ELSE now() + make_interval(secs => coalesce(
                                     p_retry_delay_seconds,
                                     -- exponential backoff with jitter: 2^attempts s (max 1 h) times 0.5..1.0
                                     least(3600, power(2, j.attempts)) * (0.5 + random() / 2))) END,
        completed_at = CASE WHEN j.cancel_requested OR v_permanent OR j.attempts >= j.max_attempts THEN now() END
    WHERE j.id = p_job_id
      AND j.status = 'processing'
      AND j.locked_by = p_worker_id
    RETURNING j.status, j.attempts, j.run_at INTO v_status, v_attempt, v_run_at;

    IF NOT FOUND THEN
        RETURN NULL;  -- not held by this worker
    END IF;

    INSERT INTO job_log (job_id, event, status, attempt, worker_id, message, details)
    VALUES (p_job_id,
            CASE v_status WHEN 'pending' THEN 'retry_scheduled' WHEN 'cancelled' THEN 'cancelled' ELSE 'failed' END,
            v_status, v_attempt, p_worker_id, left(p_error, 2000),
            CASE WHEN v_status = 'pending' THEN jsonb_build_object('retry_at', v_run_at) END);
    RETURN v_status;
END
$$;
COMMENT ON FUNCTION fail_job(uuid, text, text, double precision, boolean) IS
    'Worker failure: retries (status pending, run_at = now() + delay or exponential backoff with jitter) while attempts < max_attempts, else failed (dead); returns the new status, NULL if not held.';

CREATE OR REPLACE FUNCTION release_jobs(p_worker_id text, p_job_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count  integer;
    v_queues text[];
BEGIN
    WITH released AS (
        UPDATE job_queue j
        SET status       = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'pending' END,
            attempts     = greatest(j.attempts - 1, 0),   -- the interrupted attempt does not count
            locked_by    = NULL,
            locked_until = NULL,
            completed_at = CASE WHEN j.cancel_requested THEN now() END
        WHERE j.id = ANY (p_job_ids)
          AND j.status = 'processing'
          AND j.locked_by = p_worker_id
        RETURNING j.id, j.status, j.attempts, j.queue
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id, message)
        SELECT r.id, CASE r.status WHEN 'cancelled' THEN 'cancelled' ELSE 'released' END,
               r.status, r.attempts, p_worker_id, 'released by worker'
        FROM released r
    )
    SELECT count(*), array_agg(DISTINCT r.queue) FILTER (WHERE r.status = 'pending')
    INTO v_count, v_queues
    FROM released r;

    PERFORM pg_notify('job_queue_wakeup', q) FROM unnest(v_queues) AS q;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION release_jobs(text, uuid[]) IS
    'Graceful worker shutdown: hands held jobs back to pending without consuming an attempt and wakes the other workers; returns the count.';

CREATE OR REPLACE FUNCTION reschedule_job(
    p_job_id    uuid,
    p_worker_id text,
    p_run_at    timestamptz,
    p_reason    text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
AS $$
DECLARE
    v_status  text;
    v_attempt integer;
BEGIN
    IF p_run_at IS NULL THEN
        RAISE EXCEPTION 'reschedule_job: p_run_at must not be null' USING ERRCODE = '22004';
    END IF;

    UPDATE job_queue j
    SET status       = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'pending' END,
        run_at       = p_run_at,
        attempts     = greatest(j.attempts - 1, 0),   -- postponed, not failed: no attempt consumed
        locked_by    = NULL,
        locked_until = NULL,
        completed_at = CASE WHEN j.cancel_requested THEN now() END
    WHERE j.id = p_job_id
      AND j.status = 'processing'
      AND j.locked_by = p_worker_id
    RETURNING j.status, j.attempts INTO v_status, v_attempt;

    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO job_log (job_id, event, status, attempt, worker_id, message, details)
    VALUES (p_job_id, CASE v_status WHEN 'cancelled' THEN 'cancelled' ELSE 'rescheduled' END,
            v_status, v_attempt, p_worker_id, left(p_reason, 2000), jsonb_build_object('run_at', p_run_at));
    RETURN true;
END
$$;
COMMENT ON FUNCTION reschedule_job(uuid, text, timestamptz, text) IS
    'Worker postpone (e.g. YouTube API quota exhausted): back to pending at p_run_at without consuming an attempt; false if not held.';

CREATE OR REPLACE FUNCTION update_job_progress(
    p_job_id    uuid,
    p_worker_id text,
    p_progress  integer,
    p_message   text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_progress IS NULL OR p_progress NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'update_job_progress: p_progress must be 0..100 (got %)', p_progress USING ERRCODE = '22023';
    END IF;

    UPDATE job_queue j
    SET progress         = p_progress::smallint,
        progress_message = coalesce(left(p_message, 1000), j.progress_message)
    WHERE j.id = p_job_id
      AND j.status = 'processing'
      AND j.locked_by = p_worker_id;

    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION update_job_progress(uuid, text, integer, text) IS
    'Worker progress report (0..100 and an optional message; NULL keeps the previous one); the progress trigger NOTIFYs job_progress. False if not held.';

CREATE OR REPLACE FUNCTION rescue_expired_jobs(p_limit integer DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count  integer;
    v_queues text[];
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'rescue_expired_jobs: p_limit must be >= 1 (got %)', p_limit USING ERRCODE = '22023';
    END IF;

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
            locked_until = NULL
        FROM expired e
        WHERE j.id = e.id
          AND j.status = 'processing'
        RETURNING j.id, j.status, j.attempts, j.queue, e.previous_worker
    ), logged AS (
        INSERT INTO job_log (job_id, event, status, attempt, worker_id, message)
        SELECT r.id, 'rescued', r.status, r.attempts, r.previous_worker, 'lease expired'
        FROM rescued r
    )
    SELECT count(*), array_agg(DISTINCT r.queue) FILTER (WHERE r.status = 'pending')
    INTO v_count, v_queues
    FROM rescued r;

    PERFORM pg_notify('job_queue_wakeup', q) FROM unnest(v_queues) AS q;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION rescue_expired_jobs(integer) IS
    'Scheduler: jobs whose lease expired (crashed/stalled worker) go back to pending, or to failed when attempts are used up (error ''lease expired''); returns the count.';

CREATE OR REPLACE FUNCTION next_job_due_at(p_queue text)
RETURNS timestamptz
LANGUAGE sql
STABLE
AS $$
    SELECT j.run_at
    FROM job_queue j
    WHERE j.queue = p_queue AND j.status = 'pending'
    ORDER BY j.run_at
    LIMIT 1
$$;
COMMENT ON FUNCTION next_job_due_at(text) IS
    'Worker idle loop: run_at of the earliest pending job of a queue (delayed jobs and retries send no NOTIFY when they come due); NULL when none.';

-- =============================================================================================
-- SECTION 10: user side (Api, under app_user with RLS)
-- =============================================================================================
CREATE OR REPLACE FUNCTION cancel_job(p_job_id uuid, p_user_id uuid)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_job job_queue;
BEGIN
    PERFORM app_assert_caller(p_user_id);  -- p_user_id NULL (admin) is refused under app_user

    SELECT * INTO v_job FROM job_queue j WHERE j.id = p_job_id FOR NO KEY UPDATE;
    IF NOT FOUND OR (p_user_id IS NOT NULL AND v_job.user_id IS DISTINCT FROM p_user_id) THEN
        RETURN NULL;  -- unknown, or owned by someone else: indistinguishable on purpose
    END IF;

    IF v_job.status = 'pending' THEN
        UPDATE job_queue j
        SET status = 'cancelled', cancel_requested = true, completed_at = now()
        WHERE j.id = p_job_id;
        INSERT INTO job_log (job_id, event, status, attempt, message)
        VALUES (p_job_id, 'cancelled', 'cancelled', v_job.attempts,
                CASE WHEN p_user_id IS NULL THEN 'cancelled by admin' ELSE 'cancelled by user' END);
        RETURN 'cancelled';
    ELSIF v_job.status = 'processing' THEN
        IF NOT v_job.cancel_requested THEN
            UPDATE job_queue j SET cancel_requested = true WHERE j.id = p_job_id;
            INSERT INTO job_log (job_id, event, status, attempt, worker_id, message)
            VALUES (p_job_id, 'cancel_requested', 'processing', v_job.attempts, v_job.locked_by,
                    CASE WHEN p_user_id IS NULL THEN 'cancel requested by admin' ELSE 'cancel requested by user' END);
        END IF;
        RETURN 'cancel_requested';
    END IF;

    RETURN v_job.status;  -- completed / failed / cancelled: nothing to do
END
$$;
COMMENT ON FUNCTION cancel_job(uuid, uuid) IS
    'Cancel (Api DELETE /api/jobs/{id}): pending -> ''cancelled''; processing -> ''cancel_requested'' (worker sees it on heartbeat); finished -> its status; NULL if not found or not p_user_id''s (NULL = admin).';

CREATE OR REPLACE FUNCTION get_cached_job_result(p_job_type text, p_cache_key text)
RETURNS TABLE (job_id uuid, result jsonb, completed_at timestamptz)
LANGUAGE sql
STABLE
AS $$
    SELECT j.id, j.result, j.completed_at
    FROM job_queue j
    WHERE j.status = 'completed'
      AND j.job_type = p_job_type
      AND j.cache_key = p_cache_key
      AND j.cache_expires_at > now()
    ORDER BY j.completed_at DESC
    LIMIT 1
$$;
COMMENT ON FUNCTION get_cached_job_result(text, text) IS
    'Result cache lookup: the newest unexpired completed result for (job_type, cache_key); no row on a miss.';

CREATE OR REPLACE FUNCTION get_jobs_page(
    p_user_id           uuid,
    p_status            text        DEFAULT NULL,
    p_job_type          text        DEFAULT NULL,
    p_cursor_created_at timestamptz DEFAULT NULL,
    p_cursor_id         uuid        DEFAULT NULL,
    p_limit             integer     DEFAULT 50)
RETURNS SETOF job_queue
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_sql text := 'SELECT j.* FROM job_queue j WHERE j.user_id = $1';
BEGIN
    IF p_user_id IS NULL THEN
        RAISE EXCEPTION 'get_jobs_page: p_user_id must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_status IS NOT NULL AND p_status NOT IN ('pending', 'processing', 'completed', 'failed', 'cancelled') THEN
        RAISE EXCEPTION 'get_jobs_page: unknown job status "%"', p_status
            USING ERRCODE = '22023',
                  HINT = 'Use pending, processing, completed, failed or cancelled.';
    END IF;
    IF (p_cursor_created_at IS NULL) <> (p_cursor_id IS NULL) THEN
        RAISE EXCEPTION 'get_jobs_page: p_cursor_created_at and p_cursor_id must be given together'
            USING ERRCODE = '22023';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        RAISE EXCEPTION 'get_jobs_page: p_limit must be 1..500 (got %)', p_limit USING ERRCODE = '22023';
    END IF;

    -- Only the filters in use are part of the statement, so the keyset condition is an index condition.
    IF p_status IS NOT NULL THEN
        v_sql := v_sql || ' AND j.status = $2';
    END IF;
    IF p_job_type IS NOT NULL THEN
        v_sql := v_sql || ' AND j.job_type = $3';
    END IF;
    IF p_cursor_created_at IS NOT NULL THEN
        v_sql := v_sql || ' AND (j.created_at, j.id) < ($4, $5)';
    END IF;
    v_sql := v_sql || ' ORDER BY j.created_at DESC, j.id DESC LIMIT $6';

    RETURN QUERY EXECUTE v_sql
        USING p_user_id, p_status, p_job_type, p_cursor_created_at, p_cursor_id, p_limit;
END
$$;
COMMENT ON FUNCTION get_jobs_page(uuid, text, text, timestamptz, uuid, integer) IS
    'Api GET /api/jobs: a user''s jobs newest first, keyset-paginated on (created_at, id) with optional status / job_type filters. SECURITY INVOKER: RLS applies.';

CREATE OR REPLACE FUNCTION job_queue_stats(p_include_finished boolean DEFAULT true)
RETURNS TABLE (queue text, status text, count bigint, oldest timestamptz)
LANGUAGE sql
STABLE
AS $$
    SELECT j.queue, j.status, count(*)::bigint, min(j.created_at)
    FROM job_queue j
    WHERE p_include_finished OR j.status IN ('pending', 'processing')
    GROUP BY j.queue, j.status
    ORDER BY j.queue, j.status
$$;
COMMENT ON FUNCTION job_queue_stats(boolean) IS
    'Monitoring: job count and oldest created_at per (queue, status). Pass false to count only pending/processing (index-only, cheap at 10M rows).';

-- =============================================================================================
-- SECTION 11: retention (called in a loop by the schedulers of the Workers)
-- =============================================================================================
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

    DELETE FROM job_queue j
    WHERE j.id IN (
        SELECT x.id
        FROM job_queue x
        WHERE x.status IN ('completed', 'failed', 'cancelled')
          AND x.completed_at < now() - p_older_than
        ORDER BY x.completed_at
        LIMIT p_batch_size
        FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION cleanup_old_jobs(interval, integer) IS
    'Retention: deletes one batch of finished jobs (and their log) completed before now() - p_older_than; call until it returns < p_batch_size.';

CREATE OR REPLACE FUNCTION cleanup_old_webhooks(
    p_older_than interval DEFAULT interval '90 days',
    p_batch_size integer  DEFAULT 5000)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    IF p_older_than IS NULL OR p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION 'cleanup_old_webhooks: p_older_than is required and p_batch_size must be >= 1'
            USING ERRCODE = '22023';
    END IF;

    DELETE FROM stripe_webhook_events w
    WHERE w.id IN (
        SELECT x.id
        FROM stripe_webhook_events x
        WHERE x.received_at < now() - p_older_than
          AND x.status IN ('processed', 'ignored', 'failed')
        ORDER BY x.received_at
        LIMIT p_batch_size
        FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION cleanup_old_webhooks(interval, integer) IS
    'Retention: deletes one batch of handled (processed/ignored/failed) webhook events received before now() - p_older_than; call until it returns < p_batch_size.';

-- =============================================================================================
-- SECTION 12: Stripe webhooks
-- =============================================================================================
CREATE OR REPLACE FUNCTION record_stripe_webhook(
    p_stripe_event_id   text,
    p_event_type        text,
    p_payload           jsonb,
    p_api_version       text        DEFAULT NULL,
    p_livemode          boolean     DEFAULT false,
    p_stripe_created_at timestamptz DEFAULT NULL,
    p_object_id         text        DEFAULT NULL,
    p_process           boolean     DEFAULT true,
    p_source            text        DEFAULT 'webhook')
RETURNS TABLE (webhook_id uuid, inserted boolean, job_id uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_id      uuid := gen_random_uuid();
    v_new_id  uuid;
    v_job_id  uuid;
BEGIN
    IF p_stripe_event_id IS NULL OR btrim(p_stripe_event_id) = '' THEN
        RAISE EXCEPTION 'record_stripe_webhook: p_stripe_event_id must not be empty' USING ERRCODE = '22023';
    END IF;
    IF p_event_type IS NULL OR btrim(p_event_type) = '' THEN
        RAISE EXCEPTION 'record_stripe_webhook: p_event_type must not be empty' USING ERRCODE = '22023';
    END IF;
    IF p_payload IS NULL THEN
        RAISE EXCEPTION 'record_stripe_webhook: p_payload must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_source IS NULL OR p_source NOT IN ('webhook', 'reconciliation', 'replay') THEN
        RAISE EXCEPTION 'record_stripe_webhook: unknown source "%"', p_source
            USING ERRCODE = '22023', HINT = 'Use webhook, reconciliation or replay.';
    END IF;

    INSERT INTO stripe_webhook_events AS w (
        id, stripe_event_id, event_type, api_version, livemode, stripe_created_at, object_id,
        payload, status, source, processed_at)
    VALUES (
        v_id, p_stripe_event_id, p_event_type, p_api_version, coalesce(p_livemode, false),
        p_stripe_created_at, p_object_id, p_payload,
        CASE WHEN coalesce(p_process, true) THEN 'pending' ELSE 'ignored' END,
        p_source,
        CASE WHEN coalesce(p_process, true) THEN NULL ELSE now() END)
    ON CONFLICT (stripe_event_id) DO NOTHING
    RETURNING w.id INTO v_new_id;

    IF v_new_id IS NULL THEN
        -- Duplicate delivery: report the stored event and its job; nothing is processed twice.
        RETURN QUERY
        SELECT w.id, false, w.job_id
        FROM stripe_webhook_events w
        WHERE w.stripe_event_id = p_stripe_event_id;
        RETURN;
    END IF;

    IF coalesce(p_process, true) THEN
        SELECT c.id INTO v_job_id
        FROM create_job(
            p_user_id         => NULL,
            p_job_type        => 'stripe_webhook',
            p_payload         => jsonb_build_object('webhook_event_id', v_id,
                                                    'stripe_event_id', p_stripe_event_id,
                                                    'event_type', p_event_type),
            p_queue           => 'webhooks',
            p_idempotency_key => 'stripe:' || p_stripe_event_id,
            p_max_attempts    => 4) AS c;

        UPDATE stripe_webhook_events w SET job_id = v_job_id WHERE w.id = v_id;
    END IF;

    RETURN QUERY SELECT v_id, true, v_job_id;
END
$$;
COMMENT ON FUNCTION record_stripe_webhook(text, text, jsonb, text, boolean, timestamptz, text, boolean, text) IS
    'Stripe webhook intake: stores the event once and, when p_process, enqueues its stripe_webhook job (queue webhooks, 4 attempts) in the same transaction; unprocessed types are ''ignored''. Duplicate -> inserted=false with the stored ids.';

CREATE OR REPLACE FUNCTION mark_webhook_processing(p_webhook_id uuid)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE stripe_webhook_events w
    SET status = 'processing', attempts = w.attempts + 1
    WHERE w.id = p_webhook_id
      AND w.status IN ('pending', 'processing');
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION mark_webhook_processing(uuid) IS
    'Webhook handler start: pending/processing -> processing and counts the attempt; false when already processed/ignored/failed (skip it).';

CREATE OR REPLACE FUNCTION mark_webhook_processed(p_webhook_id uuid)
RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE stripe_webhook_events w
    SET status = 'processed', processed_at = now(), last_error = NULL
    WHERE w.id = p_webhook_id
      AND w.status IN ('pending', 'processing');
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION mark_webhook_processed(uuid) IS
    'Webhook handler success: -> processed with processed_at; false when it was not pending/processing.';

CREATE OR REPLACE FUNCTION mark_webhook_failed(p_webhook_id uuid, p_error text, p_final boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    v_status text;
BEGIN
    UPDATE stripe_webhook_events w
    SET status     = CASE WHEN coalesce(p_final, false) OR w.attempts >= w.max_attempts THEN 'failed' ELSE 'pending' END,
        last_error = left(coalesce(p_error, 'unknown error'), 10000)
    WHERE w.id = p_webhook_id
      AND w.status IN ('pending', 'processing')
    RETURNING w.status INTO v_status;

    IF NOT FOUND THEN
        SELECT w.status INTO v_status FROM stripe_webhook_events w WHERE w.id = p_webhook_id;
    END IF;
    RETURN v_status;  -- NULL when the event does not exist
END
$$;
COMMENT ON FUNCTION mark_webhook_failed(uuid, text, boolean) IS
    'Webhook handler failure: -> pending (a retry follows) or failed when p_final or attempts are used up; returns the resulting status.';

CREATE OR REPLACE FUNCTION replay_stripe_webhook(p_webhook_id uuid)
RETURNS uuid
LANGUAGE plpgsql
AS $$
DECLARE
    v_event      stripe_webhook_events;
    v_job_status text;
    v_job_id     uuid;
BEGIN
    SELECT * INTO v_event FROM stripe_webhook_events w WHERE w.id = p_webhook_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    IF v_event.job_id IS NOT NULL THEN
        SELECT j.status INTO v_job_status FROM job_queue j WHERE j.id = v_event.job_id;
        IF v_job_status IN ('pending', 'processing') THEN
            RETURN v_event.job_id;  -- already queued or running: do not process twice in parallel
        END IF;
    END IF;

    SELECT c.id INTO v_job_id
    FROM create_job(
        p_user_id      => NULL,
        p_job_type     => 'stripe_webhook',
        p_payload      => jsonb_build_object('webhook_event_id', v_event.id,
                                             'stripe_event_id', v_event.stripe_event_id,
                                             'event_type', v_event.event_type,
                                             'replay', true),
        p_queue        => 'webhooks',
        p_max_attempts => 4) AS c;

    UPDATE stripe_webhook_events w
    SET status = 'pending', attempts = 0, last_error = NULL, processed_at = NULL, job_id = v_job_id
    WHERE w.id = p_webhook_id;

    RETURN v_job_id;
END
$$;
COMMENT ON FUNCTION replay_stripe_webhook(uuid) IS
    'Admin replay of a stored event: resets it to pending and enqueues a new processing job (returns its id; the current job id if one is still pending/processing; NULL if unknown).';

-- =============================================================================================
-- SECTION 13: query cache helpers
-- =============================================================================================
CREATE OR REPLACE FUNCTION cache_get(p_key text)
RETURNS jsonb
LANGUAGE sql
STABLE
AS $$
    SELECT c.value FROM query_cache c WHERE c.cache_key = p_key AND c.expires_at > now()
$$;
COMMENT ON FUNCTION cache_get(text) IS 'Database cache read: the unexpired value for p_key, NULL on a miss.';

CREATE OR REPLACE FUNCTION cache_set(p_key text, p_value jsonb, p_ttl_seconds integer)
RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_key IS NULL OR p_value IS NULL THEN
        RAISE EXCEPTION 'cache_set: p_key and p_value must not be null' USING ERRCODE = '22004';
    END IF;
    IF p_ttl_seconds IS NULL OR p_ttl_seconds < 1 THEN
        RAISE EXCEPTION 'cache_set: p_ttl_seconds must be >= 1 (got %)', p_ttl_seconds USING ERRCODE = '22023';
    END IF;

    INSERT INTO query_cache AS c (cache_key, value, expires_at, created_at)
    VALUES (p_key, p_value, now() + make_interval(secs => p_ttl_seconds), now())
    ON CONFLICT (cache_key) DO UPDATE
        SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at;
END
$$;
COMMENT ON FUNCTION cache_set(text, jsonb, integer) IS 'Database cache write: upserts p_key with a TTL in seconds.';

CREATE OR REPLACE FUNCTION cache_purge_expired()
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_count integer;
BEGIN
    DELETE FROM query_cache c WHERE c.expires_at <= now();
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION cache_purge_expired() IS 'Scheduler: deletes expired cache entries; returns the count.';

-- =============================================================================================
-- SECTION 14: NOTIFY triggers
-- =============================================================================================
CREATE OR REPLACE FUNCTION notify_job_enqueued()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- One notification per queue per statement (and Postgres folds identical ones per transaction);
    -- jobs scheduled for later wake nobody: workers poll next_job_due_at() for them.
    PERFORM pg_notify('job_queue_wakeup', s.q)
    FROM (SELECT DISTINCT n.queue AS q
          FROM new_rows n
          WHERE n.status = 'pending' AND n.run_at <= now()) s;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION notify_job_enqueued() IS
    'AFTER INSERT statement trigger function: NOTIFY job_queue_wakeup with each distinct queue that got due pending jobs.';

CREATE OR REPLACE TRIGGER trg_job_queue_notify_enqueued
    AFTER INSERT ON job_queue
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notify_job_enqueued();

CREATE OR REPLACE FUNCTION notify_job_progress()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- Small payload (well under the 8000-byte NOTIFY limit): no result, message truncated.
    PERFORM pg_notify('job_progress', json_build_object(
        'id', NEW.id,
        'user_id', NEW.user_id,
        'job_type', NEW.job_type,
        'status', NEW.status,
        'progress', NEW.progress,
        'message', left(NEW.progress_message, 1000),
        'cancel_requested', NEW.cancel_requested)::text);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION notify_job_progress() IS
    'AFTER UPDATE row trigger function: NOTIFY job_progress with {id, user_id, job_type, status, progress, message, cancel_requested} for the Api''s WebSocket/SSE push.';

CREATE OR REPLACE TRIGGER trg_job_queue_notify_progress
    AFTER UPDATE ON job_queue
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.progress IS DISTINCT FROM NEW.progress
          OR OLD.progress_message IS DISTINCT FROM NEW.progress_message
          OR OLD.cancel_requested IS DISTINCT FROM NEW.cancel_requested)
    EXECUTE FUNCTION notify_job_progress();

-- =============================================================================================
-- SECTION 15: row-level security
--   The table owner (migrations, Workers) bypasses RLS. The Api runs user-scoped statements as
--   SET LOCAL ROLE app_user plus set_config(app.user_id, <uuid>, true); public reads as app_anonymous.
-- =============================================================================================
ALTER TABLE job_queue             ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_log               ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription          ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_account      ENABLE ROW LEVEL SECURITY;
ALTER TABLE users                 ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS job_queue_select_own ON job_queue;
CREATE POLICY job_queue_select_own ON job_queue
    FOR SELECT TO app_user
    USING (user_id = app_current_user_id());

DROP POLICY IF EXISTS job_queue_insert_own ON job_queue;
CREATE POLICY job_queue_insert_own ON job_queue
    FOR INSERT TO app_user
    WITH CHECK (user_id = app_current_user_id());

DROP POLICY IF EXISTS job_queue_update_own ON job_queue;
CREATE POLICY job_queue_update_own ON job_queue
    FOR UPDATE TO app_user
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

DROP POLICY IF EXISTS job_log_select_own ON job_log;
CREATE POLICY job_log_select_own ON job_log
    FOR SELECT TO app_user
    USING (EXISTS (SELECT 1 FROM job_queue j
                   WHERE j.id = job_log.job_id AND j.user_id = app_current_user_id()));

DROP POLICY IF EXISTS subscription_select_own ON subscription;
CREATE POLICY subscription_select_own ON subscription
    FOR SELECT TO app_user
    USING (user_id = app_current_user_id());

DROP POLICY IF EXISTS platform_account_all_own ON platform_account;
CREATE POLICY platform_account_all_own ON platform_account
    FOR ALL TO app_user
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

DROP POLICY IF EXISTS users_select_own_or_public ON users;
CREATE POLICY users_select_own_or_public ON users
    FOR SELECT TO app_user
    USING (id = app_current_user_id() OR is_public);

DROP POLICY IF EXISTS users_select_public ON users;
CREATE POLICY users_select_public ON users
    FOR SELECT TO app_anonymous
    USING (is_public);

-- No permissive policy exists for the Api roles on webhook events, so they are denied anyway;
-- the restrictive policy states it explicitly and keeps it so if a permissive one is added by mistake.
DROP POLICY IF EXISTS stripe_webhook_events_deny_app ON stripe_webhook_events;
CREATE POLICY stripe_webhook_events_deny_app ON stripe_webhook_events
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);

-- =============================================================================================
-- SECTION 16: privileges
-- =============================================================================================
GRANT SELECT, INSERT, UPDATE ON job_queue TO app_user;
GRANT SELECT ON job_log TO app_user;
GRANT SELECT ON subscription TO app_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON platform_account TO app_user;

-- Functions are executable by PUBLIC by default: close them, then open what the Api roles need.
-- (app_current_user_id() stays public: the RLS policies call it as the querying role.)
REVOKE ALL ON FUNCTION
    app_assert_caller(uuid),
    ensure_user(uuid, text),
    create_job(uuid, text, jsonb, text, integer, timestamptz, text, integer, text, integer, text, text),
    create_jobs_bulk(uuid, text, jsonb[], text, integer),
    claim_jobs(text, text, integer, integer),
    heartbeat_jobs(text, uuid[], integer),
    complete_job(uuid, text, jsonb, integer),
    complete_jobs(text, uuid[], jsonb[], integer),
    fail_job(uuid, text, text, double precision, boolean),
    release_jobs(text, uuid[]),
    reschedule_job(uuid, text, timestamptz, text),
    update_job_progress(uuid, text, integer, text),
    rescue_expired_jobs(integer),
    next_job_due_at(text),
    cancel_job(uuid, uuid),
    get_cached_job_result(text, text),
    get_jobs_page(uuid, text, text, timestamptz, uuid, integer),
    job_queue_stats(boolean),
    cleanup_old_jobs(interval, integer),
    cleanup_old_webhooks(interval, integer),
    record_stripe_webhook(text, text, jsonb, text, boolean, timestamptz, text, boolean, text),
    mark_webhook_processing(uuid),
    mark_webhook_processed(uuid),
    mark_webhook_failed(uuid, text, boolean),
    replay_stripe_webhook(uuid),
    cache_get(text),
    cache_set(text, jsonb, integer),
    cache_purge_expired()
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    ensure_user(uuid, text),
    create_job(uuid, text, jsonb, text, integer, timestamptz, text, integer, text, integer, text, text),
    cancel_job(uuid, uuid),
    get_jobs_page(uuid, text, text, timestamptz, uuid, integer),
    get_cached_job_result(text, text)
TO app_user;
