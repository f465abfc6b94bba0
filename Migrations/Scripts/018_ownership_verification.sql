-- Migration: proven ownership of platform accounts before their content is public (issue 12, section 1)
-- Purpose:
--   * platform_account.verification_status / verification_method / verified_at / verification_token: whether the
--     creator proved they own the channel or feed (YouTube: OAuth 2.0 channels.list?mine=true; feeds: the token
--     published in the feed's description/subtitle or on its site's home page). The token is per account, random
--     (two v4 uuids: 244 random bits from pg_strong_random) and shown only to the account's owner.
--   * At most one verified owner per source (platform, external_id): platform_account_verified_source_key.
--   * content_item.status 'pending_verification': what an unverified account imports while
--     Ingestion__RequireOwnershipVerification is on. Every public read already requires status = 'published' (the
--     public_content view, the partial feed/search/sitemap indexes), so hidden items need no extra predicate on any
--     public path and those queries keep their plans.
--   * verify_platform_account(id, method): marks the caller's account verified, publishes its pending items, and
--     takes over the items that unverified accounts of other users imported from the same source (those accounts are
--     deactivated). The Api calls it as app_user (SECURITY DEFINER; the caller's own accounts only).
--   * youtube_oauth_state: the pending OAuth authorizations (a digest of the opaque state, the user, the PKCE code
--     verifier, 10-minute expiry). The callback deletes its row (DELETE ... RETURNING), so a state is used once
--     whatever the replica.
--   * app_user may no longer write the verification columns (column privileges): only the function above does.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions (one transaction; pending items become published again):
--   UPDATE content_item SET status = 'published' WHERE status = 'pending_verification';
--   ALTER TABLE content_item DROP CONSTRAINT content_item_status_check;
--   ALTER TABLE content_item ADD CONSTRAINT content_item_status_check CHECK (status IN ('draft', 'published', 'unpublished', 'removed'));
--   DROP FUNCTION IF EXISTS verify_platform_account(uuid, text);
--   DROP TABLE IF EXISTS youtube_oauth_state;
--   DROP INDEX IF EXISTS platform_account_verified_source_key, idx_platform_account_source, idx_content_item_creator_feed;
--   ALTER TABLE platform_account DROP COLUMN IF EXISTS verification_status, DROP COLUMN IF EXISTS verification_method,
--       DROP COLUMN IF EXISTS verified_at, DROP COLUMN IF EXISTS verification_token;
--   GRANT INSERT, UPDATE ON platform_account TO app_user;

ALTER TABLE platform_account
    ADD COLUMN IF NOT EXISTS verification_status text NOT NULL DEFAULT 'unverified'
        CONSTRAINT platform_account_verification_status_check CHECK (verification_status IN ('unverified', 'verified')),
    ADD COLUMN IF NOT EXISTS verification_method text
        CONSTRAINT platform_account_verification_method_check
        CHECK (verification_method IN ('youtube_oauth', 'feed_description', 'feed_home_page_meta')),
    ADD COLUMN IF NOT EXISTS verified_at timestamptz,
    ADD COLUMN IF NOT EXISTS verification_token text NOT NULL
        DEFAULT 'pv-' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
COMMENT ON COLUMN platform_account.verification_status IS
    'unverified | verified: whether the creator proved ownership of the source (content of unverified accounts is not public while Ingestion__RequireOwnershipVerification is on).';
COMMENT ON COLUMN platform_account.verification_method IS
    'How ownership was proven: youtube_oauth, feed_description (token in the channel description/subtitle) or feed_home_page_meta (<meta name="platform-verification">).';
COMMENT ON COLUMN platform_account.verification_token IS
    'The token a feed owner publishes to prove ownership: per account, random, shown only to its owner.';

CREATE UNIQUE INDEX IF NOT EXISTS platform_account_verified_source_key
    ON platform_account (platform, external_id) WHERE verification_status = 'verified';
COMMENT ON INDEX platform_account_verified_source_key IS
    'One verified owner per source: connecting or verifying a source another user verified is refused (409).';

CREATE INDEX IF NOT EXISTS idx_platform_account_source ON platform_account (platform, external_id);
COMMENT ON INDEX idx_platform_account_source IS
    'Every account of one source (the takeover by its verified owner; the connect-time conflict check).';

ALTER TABLE content_item DROP CONSTRAINT IF EXISTS content_item_status_check;
ALTER TABLE content_item ADD CONSTRAINT content_item_status_check
    CHECK (status IN ('draft', 'published', 'unpublished', 'removed', 'pending_verification'));

-- A creator's public items, newest first. idx_content_item_creator_published (000) holds every status, so for a creator
-- whose items all wait for verification the public creator feed read and discarded each one (3,373 rows: 4-12 ms on
-- the bench seed); this partial index finds none in 0.06 ms.
CREATE INDEX IF NOT EXISTS idx_content_item_creator_feed
    ON content_item (creator_id, published_at DESC, id DESC) WHERE status = 'published';
COMMENT ON INDEX idx_content_item_creator_feed IS
    'Public creator feed: WHERE creator_id = $1 AND status = ''published'' ORDER BY published_at DESC, id DESC (keyset); skips items pending verification, unpublished or removed.';

-- Only verify_platform_account() writes the verification columns.
REVOKE INSERT, UPDATE ON platform_account FROM app_user;
GRANT INSERT (user_id, platform, external_id, handle, url, title, sync_interval, next_sync_at, is_active, sync_state)
    ON platform_account TO app_user;
GRANT UPDATE (handle, url, title, sync_interval, next_sync_at, is_active, sync_state)
    ON platform_account TO app_user;

-- ---------------------------------------------------------------------------------------------
-- verify_platform_account: verified, published, and the source's items taken over from unproven importers
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION verify_platform_account(p_account_id uuid, p_method text)
RETURNS TABLE (published integer, taken_over integer, deactivated_account_ids uuid[], deactivated_user_ids uuid[])
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_user      uuid := app_current_user_id();
    v_platform  text;
    v_external  text;
    v_published integer;
    v_taken     integer;
    v_accounts  uuid[];
    v_users     uuid[];
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'verify_platform_account: no current user (app.user_id)' USING ERRCODE = '42501';
    END IF;

    SELECT a.platform, a.external_id INTO v_platform, v_external
    FROM public.platform_account a
    WHERE a.id = p_account_id AND a.user_id = v_user
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'verify_platform_account: no platform account % of the current user', p_account_id
            USING ERRCODE = 'P0002';
    END IF;

    -- Two owners verifying one source at once: one at a time (the unique index refuses the second: 23505).
    PERFORM pg_advisory_xact_lock(hashtextextended('platform_source:' || v_platform || chr(10) || v_external, 0));

    UPDATE public.platform_account a
    SET verification_status = 'verified',
        verification_method = p_method,
        verified_at         = now(),
        is_active           = true
    WHERE a.id = p_account_id;

    -- Unproven importers of the same source: deactivated, their items moved to the verified owner.
    WITH others AS (
        UPDATE public.platform_account o
        SET is_active = false, next_sync_at = NULL
        WHERE o.platform = v_platform AND o.external_id = v_external
          AND o.user_id <> v_user AND o.verification_status = 'unverified'
        RETURNING o.id, o.user_id)
    SELECT coalesce(array_agg(id ORDER BY id), '{}'), coalesce(array_agg(user_id ORDER BY id), '{}') INTO v_accounts, v_users
    FROM others;

    UPDATE public.content_item c
    SET creator_id          = v_user,
        platform_account_id = p_account_id,
        status              = CASE WHEN c.status = 'removed' THEN 'removed' ELSE 'published' END
    WHERE c.platform_account_id = ANY (v_accounts);
    GET DIAGNOSTICS v_taken = ROW_COUNT;

    UPDATE public.content_item c
    SET status = 'published'
    WHERE c.platform_account_id = p_account_id AND c.status = 'pending_verification';
    GET DIAGNOSTICS v_published = ROW_COUNT;

    RETURN QUERY SELECT v_published, v_taken, v_accounts, v_users;
END
$$;
COMMENT ON FUNCTION verify_platform_account(uuid, text) IS
    'Marks the current user''s (app.user_id) account verified by p_method, publishes its pending_verification items, and moves to it the items of other users'' unverified accounts of the same (platform, external_id), deactivating them. Returns the counts, the deactivated accounts and, position by position, their users (for the audit trail). 23505 (platform_account_verified_source_key) when another user verified the source; P0002 when the account is not the caller''s.';
REVOKE ALL ON FUNCTION verify_platform_account(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_platform_account(uuid, text) TO app_user;

-- ---------------------------------------------------------------------------------------------
-- youtube_oauth_state: single-use, 10-minute OAuth authorizations in flight
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS youtube_oauth_state (
    state_digest  bytea       PRIMARY KEY CHECK (octet_length(state_digest) = 32),
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_verifier text        NOT NULL CHECK (char_length(code_verifier) BETWEEN 43 AND 128),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
COMMENT ON TABLE youtube_oauth_state IS
    'YouTube OAuth authorizations in flight: SHA-256 of the opaque state sent to Google -> the user and the PKCE code verifier (RFC 7636), until expires_at. The callback deletes the row, so each state is used once.';

CREATE INDEX IF NOT EXISTS idx_youtube_oauth_state_expires ON youtube_oauth_state (expires_at);
CREATE INDEX IF NOT EXISTS idx_youtube_oauth_state_user ON youtube_oauth_state (user_id);

ALTER TABLE youtube_oauth_state ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS youtube_oauth_state_deny_app ON youtube_oauth_state;
CREATE POLICY youtube_oauth_state_deny_app ON youtube_oauth_state
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);
