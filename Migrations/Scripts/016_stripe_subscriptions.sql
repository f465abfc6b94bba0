-- Migration: one row per Stripe subscription; the user's plan is derived from all of them
-- Purpose:
--   * stripe_subscription: every Stripe subscription (sub_...) of a user as Stripe last reported it (re-read from
--     Stripe's API, or taken from a customer.subscription.deleted event when Stripe no longer has the object). A user
--     can hold two live subscriptions (two checkouts); the one-row-per-user `subscription` table alone let the last
--     event applied decide the plan, so cancelling one of two dropped a still-paying user to free.
--   * `subscription` (one row per user) stays the user's plan as every reader knows it: the Workers rewrite it from
--     the user's stripe_subscription rows after each change (the highest live tier wins; see
--     Core/Billing/SubscriptionPlan.cs), so entitlements, GET /api/billing/subscription and RLS are unchanged.
--   * billing_audit accepts 'duplicate_subscription': a user with more than one live subscription, as Stripe reports it.
-- Backfill: the Stripe subscription each user's row points at today becomes that user's first stripe_subscription row.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15 and later.
--
-- Rollback instructions (run in one transaction; the plan rows in `subscription` stay as they are):
--   DROP TABLE IF EXISTS stripe_subscription;
--   ALTER TABLE billing_audit DROP CONSTRAINT billing_audit_action_check,
--       ADD CONSTRAINT billing_audit_action_check CHECK (action IN ('received', 'ignored', 'processed',
--       'retry_scheduled', 'failed', 'replayed', 'subscription_changed', 'customer_linked', 'checkout_started'));

CREATE TABLE IF NOT EXISTS stripe_subscription (
    stripe_subscription_id text        PRIMARY KEY,                      -- sub_...
    user_id                uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    stripe_customer_id     text        NOT NULL,                         -- cus_...
    tier                   text        NOT NULL CHECK (tier IN ('free', 'pro', 'business')),  -- free once ended
    status                 text        NOT NULL
                                       CHECK (status IN ('active', 'trialing', 'past_due', 'canceled',
                                                         'incomplete', 'incomplete_expired', 'unpaid', 'paused')),
    stripe_price_id        text,                                         -- the plan's price among the items
    current_period_end     timestamptz,
    cancel_at_period_end   boolean     NOT NULL DEFAULT false,
    trial_end              timestamptz,
    stripe_created_at      timestamptz,                                  -- Stripe's subscription.created
    source                 text        NOT NULL DEFAULT 'stripe_api'
                                       CHECK (source IN ('stripe_api', 'deletion_event', 'missing_at_stripe')),
    synced_at              timestamptz NOT NULL DEFAULT now(),           -- when this state was read
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE stripe_subscription IS
    'Every Stripe subscription of a user as Stripe last reported it; the user''s plan (subscription) is derived from all of them.';
COMMENT ON COLUMN stripe_subscription.source IS
    'stripe_api: re-read from Stripe''s API; deletion_event: Stripe answered 404, the customer.subscription.deleted event '
    'was applied; missing_at_stripe: Stripe answered 404 (resource_missing) for a subscription it once reported, so it is ended.';

CREATE INDEX IF NOT EXISTS idx_stripe_subscription_user
    ON stripe_subscription (user_id);
COMMENT ON INDEX idx_stripe_subscription_user IS
    'A user''s subscriptions: the plan is derived from them after each change; checkout refuses a second live one.';

CREATE OR REPLACE TRIGGER trg_stripe_subscription_updated_at
    BEFORE UPDATE ON stripe_subscription
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

INSERT INTO stripe_subscription (stripe_subscription_id, user_id, stripe_customer_id, tier, status, stripe_price_id,
                                 current_period_end, cancel_at_period_end, trial_end, synced_at)
SELECT s.stripe_subscription_id, s.user_id, s.stripe_customer_id, s.tier, s.status, s.stripe_price_id,
       s.current_period_end, s.cancel_at_period_end, s.trial_end, coalesce(s.stripe_status_updated_at, s.updated_at)
FROM subscription s
WHERE s.stripe_subscription_id IS NOT NULL AND s.stripe_customer_id IS NOT NULL
ON CONFLICT (stripe_subscription_id) DO NOTHING;

-- The Api reads a user's own rows under RLS (app_user); the Workers (table owner) write them.
ALTER TABLE stripe_subscription ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS stripe_subscription_select_own ON stripe_subscription;
CREATE POLICY stripe_subscription_select_own ON stripe_subscription
    FOR SELECT TO app_user
    USING (user_id = app_current_user_id());
GRANT SELECT ON stripe_subscription TO app_user;

ALTER TABLE billing_audit DROP CONSTRAINT IF EXISTS billing_audit_action_check;
ALTER TABLE billing_audit ADD CONSTRAINT billing_audit_action_check CHECK (action IN (
    'received', 'ignored', 'processed', 'retry_scheduled', 'failed', 'replayed',
    'subscription_changed', 'customer_linked', 'checkout_started', 'duplicate_subscription'));
