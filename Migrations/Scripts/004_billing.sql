-- Migration: Stripe billing — audit trail of webhook processing and the reconciliation cursor
-- Purpose:
--   * billing_audit: append-only record of every step of a Stripe event (received, ignored, processed,
--     retry_scheduled, failed, replayed) and of every subscription change it caused (old -> new tier/status).
--     Interim home of the billing audit trail until the Marten event store (schema audit) lands; the rows
--     are shaped as events (stream = webhook event, action, actor, details) so they can be copied over.
--   * stripe_reconcile_state: where the scheduled reconciliation (job stripe_reconcile) stopped listing
--     Stripe's events (GET /v1/events), so the next run continues from there.
-- Numbered 004 (not 003) so that it cannot clash with another branch's 003.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
-- Works on PostgreSQL 15 and later.
--
-- Rollback instructions (run in one transaction; destroys the billing audit trail):
--   DROP TABLE IF EXISTS billing_audit, stripe_reconcile_state CASCADE;
--   DROP FUNCTION IF EXISTS billing_audit_append_only();

-- =============================================================================================
-- billing_audit
-- =============================================================================================
CREATE TABLE IF NOT EXISTS billing_audit (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    action           text        NOT NULL,
    webhook_event_id uuid,                   -- stripe_webhook_events.id (no FK: the trail outlives the 90-day retention)
    stripe_event_id  text,                   -- evt_...
    event_type       text,
    user_id          uuid,                   -- the user whose billing changed, when known
    actor            text        NOT NULL,   -- stripe | reconciliation | worker:<id> | admin:<uuid> | user:<uuid>
    message          text,
    details          jsonb,
    CONSTRAINT billing_audit_action_check CHECK (action IN (
        'received', 'ignored', 'processed', 'retry_scheduled', 'failed', 'replayed',
        'subscription_changed', 'customer_linked', 'checkout_started'))
);
COMMENT ON TABLE billing_audit IS
    'Append-only billing audit trail: each step of a Stripe event and each subscription change (old -> new). UPDATE/DELETE are refused.';

CREATE INDEX IF NOT EXISTS idx_billing_audit_webhook
    ON billing_audit (webhook_event_id, id) WHERE webhook_event_id IS NOT NULL;
COMMENT ON INDEX idx_billing_audit_webhook IS
    'The timeline of one Stripe event in order (admin view, tests).';

CREATE INDEX IF NOT EXISTS idx_billing_audit_stripe_event
    ON billing_audit (stripe_event_id, id) WHERE stripe_event_id IS NOT NULL;
COMMENT ON INDEX idx_billing_audit_stripe_event IS
    'The timeline of one Stripe event by its evt_ id (survives retention of stripe_webhook_events).';

CREATE INDEX IF NOT EXISTS idx_billing_audit_user
    ON billing_audit (user_id, id) WHERE user_id IS NOT NULL;
COMMENT ON INDEX idx_billing_audit_user IS
    'A user''s billing history in order (support: why is my plan what it is).';

CREATE INDEX IF NOT EXISTS idx_billing_audit_occurred_brin
    ON billing_audit USING brin (occurred_at);
COMMENT ON INDEX idx_billing_audit_occurred_brin IS
    'Time-range scans (recent billing activity); tiny because rows arrive in time order.';

CREATE OR REPLACE FUNCTION billing_audit_append_only()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION 'billing_audit is append-only (% refused)', TG_OP USING ERRCODE = '42501';
END
$$;
COMMENT ON FUNCTION billing_audit_append_only() IS
    'Trigger function: refuses UPDATE, DELETE and TRUNCATE of billing_audit.';

CREATE OR REPLACE TRIGGER trg_billing_audit_no_update_delete
    BEFORE UPDATE OR DELETE ON billing_audit
    FOR EACH ROW EXECUTE FUNCTION billing_audit_append_only();

DROP TRIGGER IF EXISTS trg_billing_audit_no_truncate ON billing_audit;
CREATE TRIGGER trg_billing_audit_no_truncate
    BEFORE TRUNCATE ON billing_audit
    FOR EACH STATEMENT EXECUTE FUNCTION billing_audit_append_only();

-- Only the platform (table owner: Api webhook intake, Workers) writes or reads it; the Api's user roles never.
ALTER TABLE billing_audit ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS billing_audit_deny_app ON billing_audit;
CREATE POLICY billing_audit_deny_app ON billing_audit
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);

-- =============================================================================================
-- stripe_reconcile_state (one row)
-- =============================================================================================
CREATE TABLE IF NOT EXISTS stripe_reconcile_state (
    id                 boolean     PRIMARY KEY DEFAULT true CHECK (id),
    last_event_created timestamptz,          -- created of the newest Stripe event seen; the next run lists from here
    last_event_id      text,
    last_run_at        timestamptz,
    events_seen        bigint      NOT NULL DEFAULT 0,   -- totals over all runs
    events_recorded    bigint      NOT NULL DEFAULT 0,   -- of which had never arrived as webhooks
    updated_at         timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE stripe_reconcile_state IS
    'Cursor of the scheduled Stripe reconciliation (GET /v1/events): the newest event seen and running totals. One row.';

CREATE OR REPLACE TRIGGER trg_stripe_reconcile_state_updated_at
    BEFORE UPDATE ON stripe_reconcile_state
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

ALTER TABLE stripe_reconcile_state ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS stripe_reconcile_state_deny_app ON stripe_reconcile_state;
CREATE POLICY stripe_reconcile_state_deny_app ON stripe_reconcile_state
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);
