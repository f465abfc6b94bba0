-- Migration: set-based Stripe webhook intake (issue 16 part 2)
-- Purpose:
--   The webhook receiver stores the events of concurrent requests in one transaction (group commit), but ran
--   record_stripe_webhook() once per event inside it: about 2 ms of PL/pgSQL per event, mostly create_job()'s checks,
--   its job_queue insert (whose statement trigger sent the wake-up NOTIFY each time) and the UPDATE ... SET job_id
--   (bench/README.md, "webhooks"). Now a batch is one call and a handful of set-based statements:
--   * record_stripe_webhooks(arrays, one element per event): one INSERT ... SELECT FROM unnest(...) of the event rows
--     (ON CONFLICT (stripe_event_id) DO NOTHING, in event-id order so two Api replicas' batches cannot deadlock), the
--     stripe_webhook jobs through create_jobs_bulk() with their ids generated up front (UUIDv7) and written into the
--     event rows directly, their 'enqueued' job log rows, the 'received'/'ignored' billing_audit rows, and one
--     wake-up NOTIFY (the queue trigger runs once per statement); then one lookup that answers, for every element,
--     the stored ids and whether this element inserted the event (false for a duplicate: stored before, by a
--     concurrent transaction, or earlier in the same batch, whose first copy wins).
--   * create_jobs_bulk() takes optional job ids, idempotency keys and max_attempts (same name, same first five
--     parameters: existing callers are unchanged).
--   * record_stripe_webhook() (one event) is now record_stripe_webhooks() with one element: one code path. It writes
--     the event's billing_audit row too (before, only the Api's statement around it did).
--   * new event rows get UUIDv7 ids (uuid_v7(), 008): they land at the right edge of the primary key.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions (one transaction):
--   DROP FUNCTION IF EXISTS record_stripe_webhooks(text[], text[], jsonb[], text[], boolean[], timestamptz[], text[], boolean[], text[]);
--   DROP FUNCTION IF EXISTS create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[]);
--   then re-run the create_jobs_bulk() and record_stripe_webhook() sections of 002_async_job_queue.sql and its
--   REVOKE ... FROM PUBLIC for create_jobs_bulk(uuid, text, jsonb[], text, integer).

-- ---------------------------------------------------------------------------------------------
-- create_jobs_bulk: optional ids, idempotency keys and max_attempts
-- ---------------------------------------------------------------------------------------------
DROP FUNCTION IF EXISTS create_jobs_bulk(uuid, text, jsonb[], text, integer);

CREATE OR REPLACE FUNCTION create_jobs_bulk(
    p_user_id          uuid,
    p_job_type         text,
    p_payloads         jsonb[],
    p_queue            text    DEFAULT 'default',
    p_priority         integer DEFAULT 0,
    p_max_attempts     integer DEFAULT 3,
    p_ids              uuid[]  DEFAULT NULL,
    p_idempotency_keys text[]  DEFAULT NULL)
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
        INSERT INTO job_queue (id, user_id, queue, job_type, payload, priority, max_attempts, idempotency_key)
        SELECT coalesce(p.id, uuid_v7()), p_user_id, p_queue, p_job_type, coalesce(p.payload, '{}'::jsonb),
               p_priority::smallint, p_max_attempts, p.idempotency_key
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
COMMENT ON FUNCTION create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[]) IS
    'Bulk enqueue (webhook intake, imports, benchmarks): one multi-row INSERT of many jobs of one type (ids from p_ids when given, else UUIDv7; idempotency keys from p_idempotency_keys, a key already used raises 23505) plus their ''enqueued'' log rows, one wake-up NOTIFY (statement trigger); returns the count.';

REVOKE ALL ON FUNCTION create_jobs_bulk(uuid, text, jsonb[], text, integer, integer, uuid[], text[]) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- record_stripe_webhooks: a batch of Stripe events in one call
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION record_stripe_webhooks(
    p_stripe_event_ids   text[],
    p_event_types        text[],
    p_payloads           jsonb[],
    p_api_versions       text[],
    p_livemodes          boolean[],
    p_stripe_created_ats timestamptz[],
    p_object_ids         text[],
    p_process            boolean[],
    p_sources            text[])
RETURNS TABLE (ordinal integer, webhook_id uuid, inserted boolean, job_id uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_count    integer := coalesce(cardinality(p_stripe_event_ids), 0);
    v_bad      record;
    v_inserted integer[];
BEGIN
    IF v_count = 0 THEN
        RETURN;
    END IF;
    IF coalesce(cardinality(p_event_types), 0) <> v_count OR coalesce(cardinality(p_payloads), 0) <> v_count
       OR coalesce(cardinality(p_api_versions), 0) <> v_count OR coalesce(cardinality(p_livemodes), 0) <> v_count
       OR coalesce(cardinality(p_stripe_created_ats), 0) <> v_count OR coalesce(cardinality(p_object_ids), 0) <> v_count
       OR coalesce(cardinality(p_process), 0) <> v_count OR coalesce(cardinality(p_sources), 0) <> v_count THEN
        RAISE EXCEPTION 'record_stripe_webhooks: every array needs one element per event (% event ids)', v_count
            USING ERRCODE = '22023';
    END IF;

    -- The first invalid element, if any (the whole batch is refused: nothing is stored).
    SELECT i.n, i.stripe_event_id, i.event_type, i.payload, i.source INTO v_bad
    FROM unnest(p_stripe_event_ids, p_event_types, p_payloads, p_sources)
         WITH ORDINALITY AS i(stripe_event_id, event_type, payload, source, n)
    WHERE i.stripe_event_id IS NULL OR btrim(i.stripe_event_id) = ''
       OR i.event_type IS NULL OR btrim(i.event_type) = ''
       OR i.payload IS NULL
       OR i.source IS NULL OR i.source NOT IN ('webhook', 'reconciliation', 'replay')
    ORDER BY i.n
    LIMIT 1;
    IF FOUND THEN
        IF v_bad.stripe_event_id IS NULL OR btrim(v_bad.stripe_event_id) = '' THEN
            RAISE EXCEPTION 'record_stripe_webhooks: event % has an empty stripe_event_id', v_bad.n USING ERRCODE = '22023';
        ELSIF v_bad.event_type IS NULL OR btrim(v_bad.event_type) = '' THEN
            RAISE EXCEPTION 'record_stripe_webhooks: event % (%) has an empty event_type', v_bad.n, v_bad.stripe_event_id
                USING ERRCODE = '22023';
        ELSIF v_bad.payload IS NULL THEN
            RAISE EXCEPTION 'record_stripe_webhooks: event % (%) has no payload', v_bad.n, v_bad.stripe_event_id
                USING ERRCODE = '22004';
        ELSE
            RAISE EXCEPTION 'record_stripe_webhooks: event % (%) has an unknown source "%"', v_bad.n, v_bad.stripe_event_id, v_bad.source
                USING ERRCODE = '22023', HINT = 'Use webhook, reconciliation or replay.';
        END IF;
    END IF;

    -- 1. Everything that is written, in one statement. The event rows carry their job ids from the start: the
    --    foreign key to job_queue is checked at the end of the statement, after create_jobs_bulk() inserted the jobs.
    WITH input AS (
        SELECT i.*
        FROM unnest(p_stripe_event_ids, p_event_types, p_payloads, p_api_versions, p_livemodes,
                    p_stripe_created_ats, p_object_ids, p_process, p_sources)
             WITH ORDINALITY AS i(stripe_event_id, event_type, payload, api_version, livemode,
                                  stripe_created_at, object_id, process, source, n)
    ), firsts AS MATERIALIZED (
        -- One candidate row per event id: its first element in the batch (later copies are duplicates of it).
        SELECT DISTINCT ON (i.stripe_event_id) i.*, uuid_v7() AS new_webhook_id,
               CASE WHEN coalesce(i.process, true) THEN uuid_v7() END AS new_job_id
        FROM input i
        ORDER BY i.stripe_event_id, i.n
    ), events AS (
        INSERT INTO stripe_webhook_events AS w (
            id, stripe_event_id, event_type, api_version, livemode, stripe_created_at, object_id,
            payload, status, source, processed_at, job_id)
        SELECT f.new_webhook_id, f.stripe_event_id, f.event_type, f.api_version, coalesce(f.livemode, false),
               f.stripe_created_at, f.object_id, f.payload,
               CASE WHEN f.new_job_id IS NOT NULL THEN 'pending' ELSE 'ignored' END,
               f.source,
               CASE WHEN f.new_job_id IS NOT NULL THEN NULL ELSE now() END,
               f.new_job_id
        FROM firsts f
        ORDER BY f.stripe_event_id  -- one lock order for every batch: concurrent batches wait, never deadlock
        ON CONFLICT (stripe_event_id) DO NOTHING
        RETURNING w.id, w.stripe_event_id, w.event_type, w.job_id, w.source, w.api_version, w.livemode, w.object_id
    ), jobs AS (
        SELECT create_jobs_bulk(
                   p_user_id          => NULL,
                   p_job_type         => 'stripe_webhook',
                   p_payloads         => array_agg(jsonb_build_object('webhook_event_id', e.id,
                                                                      'stripe_event_id', e.stripe_event_id,
                                                                      'event_type', e.event_type) ORDER BY e.job_id),
                   p_queue            => 'webhooks',
                   p_max_attempts     => 4,
                   p_ids              => array_agg(e.job_id ORDER BY e.job_id),
                   p_idempotency_keys => array_agg('stripe:' || e.stripe_event_id ORDER BY e.job_id)) AS created
        FROM events e
        WHERE e.job_id IS NOT NULL
    ), audit AS (
        INSERT INTO billing_audit (action, actor, webhook_event_id, stripe_event_id, event_type, message, details)
        SELECT CASE WHEN e.job_id IS NOT NULL THEN 'received' ELSE 'ignored' END,
               CASE WHEN e.source = 'webhook' THEN 'stripe' ELSE e.source END,
               e.id, e.stripe_event_id, e.event_type,
               CASE WHEN e.job_id IS NOT NULL THEN NULL ELSE 'event type not processed: stored and acknowledged' END,
               jsonb_build_object('source', e.source, 'api_version', e.api_version, 'livemode', e.livemode,
                                  'object_id', e.object_id, 'job_id', e.job_id)
        FROM events e
    )
    SELECT array_agg(f.n::integer) INTO v_inserted
    FROM events e
    JOIN firsts f ON f.stripe_event_id = e.stripe_event_id
    WHERE (SELECT j.created FROM jobs j) IS NOT NULL;  -- evaluated once; makes the jobs step run

    -- 2. The answer for every element, from a fresh snapshot: it also sees the rows of a concurrent batch that
    --    committed while the insert above waited for it (ON CONFLICT DO NOTHING), so a duplicate gets the stored ids.
    RETURN QUERY
    SELECT i.n::integer, w.id, ins.n IS NOT NULL, w.job_id
    FROM unnest(p_stripe_event_ids) WITH ORDINALITY AS i(stripe_event_id, n)
    JOIN stripe_webhook_events w ON w.stripe_event_id = i.stripe_event_id
    LEFT JOIN unnest(v_inserted) AS ins(n) ON ins.n = i.n
    ORDER BY i.n;
END
$$;
COMMENT ON FUNCTION record_stripe_webhooks(text[], text[], jsonb[], text[], boolean[], timestamptz[], text[], boolean[], text[]) IS
    'Stripe webhook intake for a batch (one element per event in every array): stores each event once (ON CONFLICT on stripe_event_id, event-id order), enqueues a stripe_webhook job (queue webhooks, 4 attempts) for each new event whose p_process is true (else status ignored), writes the received/ignored billing_audit rows, one wake-up NOTIFY. Returns one row per element: (ordinal 1-based, webhook_id, inserted, job_id); inserted=false = a duplicate (stored before, concurrently, or earlier in the batch) with the stored ids. Any error refuses the whole batch.';

REVOKE ALL ON FUNCTION record_stripe_webhooks(text[], text[], jsonb[], text[], boolean[], timestamptz[], text[], boolean[], text[]) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- record_stripe_webhook: one event, the same path
-- ---------------------------------------------------------------------------------------------
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
LANGUAGE sql
AS $$
    SELECT r.webhook_id, r.inserted, r.job_id
    FROM record_stripe_webhooks(ARRAY[p_stripe_event_id], ARRAY[p_event_type], ARRAY[p_payload], ARRAY[p_api_version],
                                ARRAY[p_livemode], ARRAY[p_stripe_created_at], ARRAY[p_object_id], ARRAY[p_process],
                                ARRAY[p_source]) AS r
$$;
COMMENT ON FUNCTION record_stripe_webhook(text, text, jsonb, text, boolean, timestamptz, text, boolean, text) IS
    'Stripe webhook intake for one event: record_stripe_webhooks() with one element (event once, its stripe_webhook job when p_process, else ignored; its billing_audit row). Duplicate -> inserted=false with the stored ids.';
