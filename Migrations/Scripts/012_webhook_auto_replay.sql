-- Migration: reconciliation gives failed Stripe events another chance
-- Purpose:
--   A Stripe event whose processing failed four times (say, Stripe's API was down for longer than the retries'
--   backoff) stayed 'failed' until an admin replayed it. Now each reconciliation run also replays the recent failed
--   events, a bounded number of times each, and the billing audit trail records it (actor 'reconciliation').
--   * stripe_webhook_events.auto_replays: how often reconciliation replayed the event
--   * replay_failed_stripe_webhooks(max_age, max_replays, limit): replays failed events received within max_age
--     and replayed fewer than max_replays times (through replay_stripe_webhook()); returns the ids replayed
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions (one transaction):
--   DROP FUNCTION IF EXISTS replay_failed_stripe_webhooks(interval, integer, integer);
--   ALTER TABLE stripe_webhook_events DROP COLUMN IF EXISTS auto_replays;

ALTER TABLE stripe_webhook_events ADD COLUMN IF NOT EXISTS auto_replays integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN stripe_webhook_events.auto_replays IS
    'How many times reconciliation replayed this event after it ended failed (replay_failed_stripe_webhooks()).';

CREATE OR REPLACE FUNCTION replay_failed_stripe_webhooks(
    p_max_age     interval DEFAULT interval '3 days',
    p_max_replays integer  DEFAULT 3,
    p_limit       integer  DEFAULT 100)
RETURNS TABLE (webhook_event_id uuid, stripe_event_id text, event_type text, job_id uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_event record;
    v_job   uuid;
BEGIN
    IF p_max_replays IS NULL OR p_max_replays < 0 OR p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'replay_failed_stripe_webhooks: p_max_replays must be >= 0 and p_limit >= 1' USING ERRCODE = '22023';
    END IF;

    FOR v_event IN
        SELECT w.id, w.stripe_event_id, w.event_type
        FROM stripe_webhook_events w
        WHERE w.status = 'failed'                       -- idx_stripe_webhook_events_pending
          AND w.received_at > now() - p_max_age
          AND w.auto_replays < p_max_replays
        ORDER BY w.received_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    LOOP
        v_job := replay_stripe_webhook(v_event.id);
        UPDATE stripe_webhook_events w SET auto_replays = w.auto_replays + 1 WHERE w.id = v_event.id;
        INSERT INTO billing_audit (action, webhook_event_id, stripe_event_id, event_type, actor, message, details)
        VALUES ('replayed', v_event.id, v_event.stripe_event_id, v_event.event_type, 'reconciliation',
                'failed event replayed by reconciliation', jsonb_build_object('job_id', v_job));
        webhook_event_id := v_event.id;
        stripe_event_id := v_event.stripe_event_id;
        event_type := v_event.event_type;
        job_id := v_job;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION replay_failed_stripe_webhooks(interval, integer, integer) IS
    'Reconciliation: replays failed Stripe events received within p_max_age and auto-replayed fewer than p_max_replays times (each audited in billing_audit); returns what it replayed.';
