-- Migration: one identity per feed, and the YouTube OAuth flow bound to the browser that started it (issue 12 review)
-- Purpose:
--   * feed_source_key(url): THE identity of a feed. Scheme (http/https), the case of scheme and host, a default port
--     (:80 for http, :443 for https), trailing slashes on the path, an empty query and the fragment do not make another
--     feed; the path (case-sensitive) and the query do. So http://x/feed, https://x/feed/, HTTPS://X/feed and
--     https://x:443/feed#top are one feed (key 'x/feed'); https://x/Feed and https://x/feed?page=2 are others.
--     platform_source_key(platform, external_id): feeds by feed_source_key, YouTube channels by external_id as before
--     (a channel id, or the @handle it was connected with until the sync resolves it).
--   * Both places that decide "same source" use it: the Api's connect-time 409 and own-account check
--     (OwnershipVerifier, PlatformAccountConnector) and the takeover in verify_platform_account(). Before, the takeover
--     compared the exact stored string, so an impostor's unverified account under another spelling kept its items.
--   * platform_account_verified_source_key and idx_platform_account_source are rebuilt on platform_source_key(), so a
--     source has one verified owner whatever its spelling. Two verified accounts of one feed under different spellings
--     (possible before) would break the unique index: the later-verified ones become unverified again and their
--     published items wait for verification (pending_verification; with Ingestion__RequireOwnershipVerification off
--     their next sync publishes them again). Nothing is deleted.
--   * verify_platform_account(): the source's advisory lock and the takeover go by platform_source_key().
--   * youtube_oauth_state.browser_digest: SHA-256 of the random value the authorize endpoint puts in an HttpOnly cookie
--     of the browser that asked (RFC 6749 §10.12, RFC 9700 §2.1/§4.7: state bound to the user agent). The callback
--     completes only in the browser holding that cookie. Nullable so an Api replica of the previous release can still
--     insert during a rolling deploy; a row without it never completes (the callback refuses it).
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions (one transaction; demoted accounts are not re-verified):
--   ALTER TABLE youtube_oauth_state DROP COLUMN IF EXISTS browser_digest;
--   DROP INDEX IF EXISTS platform_account_verified_source_key, idx_platform_account_source;
--   CREATE UNIQUE INDEX platform_account_verified_source_key ON platform_account (platform, external_id) WHERE verification_status = 'verified';
--   CREATE INDEX idx_platform_account_source ON platform_account (platform, external_id);
--   re-run 023_verify_lock_order.sql;
--   DROP FUNCTION IF EXISTS platform_source_key(text, text), feed_source_key(text);

-- ---------------------------------------------------------------------------------------------
-- The identity of a source
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION feed_source_key(p_url text)
RETURNS text
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT CASE
               WHEN m IS NULL THEN p_url -- not an http(s) URL: only itself
               ELSE regexp_replace(lower(m[2]),
                                   CASE WHEN lower(m[1]) = 'https' THEN ':(443)?$' ELSE ':(80)?$' END, '')
                    || rtrim(m[3], '/')
                    || coalesce(nullif(m[4], '?'), '')
           END
    FROM (SELECT regexp_match(btrim(p_url), '^(https?)://([^/?#]*)([^?#]*)(\?[^#]*)?', 'i') AS m) AS parsed
$$;
COMMENT ON FUNCTION feed_source_key(text) IS
    'The identity of a feed (issue 12): lower-case host[:port] (default ports dropped) || path without trailing slashes || query; scheme, fragment and an empty query are ignored. http://x/feed, https://x/feed/ and HTTPS://X/feed are all ''x/feed''. A text that is not an http(s) URL is its own key.';

CREATE OR REPLACE FUNCTION platform_source_key(p_platform text, p_external_id text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$
    SELECT CASE WHEN p_platform = 'feed' THEN public.feed_source_key(p_external_id) ELSE p_external_id END
$$;
COMMENT ON FUNCTION platform_source_key(text, text) IS
    'Which source a platform account names: a feed by feed_source_key(url), a YouTube channel by its external_id (channel id, or @handle until resolved). Accounts with equal (platform, platform_source_key) are the same source: one verified owner, and the takeover of unverified importers.';

-- ---------------------------------------------------------------------------------------------
-- One verified owner per source, whatever the spelling
-- ---------------------------------------------------------------------------------------------
-- Verified duplicates under different spellings (possible before this migration): the earliest verification stays.
WITH ranked AS (
    SELECT a.id,
           row_number() OVER (PARTITION BY a.platform, platform_source_key(a.platform, a.external_id)
                              ORDER BY a.verified_at NULLS LAST, a.id) AS position
    FROM platform_account a
    WHERE a.verification_status = 'verified'),
demoted AS (
    UPDATE platform_account a
    SET verification_status = 'unverified', verification_method = NULL, verified_at = NULL
    FROM ranked r
    WHERE a.id = r.id AND r.position > 1
    RETURNING a.id)
UPDATE content_item c
SET status = 'pending_verification'
FROM demoted d
WHERE c.platform_account_id = d.id AND c.status = 'published';

DROP INDEX IF EXISTS platform_account_verified_source_key;
CREATE UNIQUE INDEX platform_account_verified_source_key
    ON platform_account (platform, platform_source_key(platform, external_id)) WHERE verification_status = 'verified';
COMMENT ON INDEX platform_account_verified_source_key IS
    'One verified owner per source under any spelling (platform_source_key): verifying a source another user verified is refused (23505, 409).';

DROP INDEX IF EXISTS idx_platform_account_source;
CREATE INDEX idx_platform_account_source ON platform_account (platform, platform_source_key(platform, external_id));
COMMENT ON INDEX idx_platform_account_source IS
    'Every account of one source under any spelling (the takeover by its verified owner; the connect-time conflict check).';

-- ---------------------------------------------------------------------------------------------
-- verify_platform_account: the source by platform_source_key (same signature, result and grants as 018/023)
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
    v_source    text;
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
    WHERE a.id = p_account_id AND a.user_id = v_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'verify_platform_account: no platform account % of the current user', p_account_id
            USING ERRCODE = 'P0002';
    END IF;
    v_source := public.platform_source_key(v_platform, v_external);

    -- Two owners verifying one source (under any spelling) at once: one at a time (the unique index refuses the
    -- second: 23505). The source's lock comes before any row lock (023: otherwise two verifies deadlock, 40P01).
    PERFORM pg_advisory_xact_lock(hashtextextended('platform_source:' || v_platform || chr(10) || v_source, 0));

    PERFORM 1
    FROM public.platform_account a
    WHERE a.id = p_account_id AND a.user_id = v_user AND a.platform = v_platform AND a.external_id = v_external
    FOR UPDATE;
    IF NOT FOUND THEN -- disconnected, or its handle resolved to a channel id, while it waited
        RAISE EXCEPTION 'verify_platform_account: platform account % of the current user is gone or changed', p_account_id
            USING ERRCODE = 'P0002';
    END IF;

    UPDATE public.platform_account a
    SET verification_status = 'verified',
        verification_method = p_method,
        verified_at         = now(),
        is_active           = true
    WHERE a.id = p_account_id;

    -- Unproven importers of the same source, under any spelling: deactivated, their items moved to the verified owner.
    WITH others AS (
        UPDATE public.platform_account o
        SET is_active = false, next_sync_at = NULL
        WHERE o.platform = v_platform AND public.platform_source_key(o.platform, o.external_id) = v_source
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
    'Marks the current user''s (app.user_id) account verified by p_method, publishes its pending_verification items, and moves to it the items of other users'' unverified accounts of the same source (platform, platform_source_key: a feed under any spelling), deactivating them. Returns the counts, the deactivated accounts and, position by position, their users (for the audit trail). 23505 (platform_account_verified_source_key) when another user verified the source; P0002 when the account is not the caller''s.';
REVOKE ALL ON FUNCTION verify_platform_account(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_platform_account(uuid, text) TO app_user;

-- ---------------------------------------------------------------------------------------------
-- youtube_oauth_state: bound to the browser that started the authorization
-- ---------------------------------------------------------------------------------------------
ALTER TABLE youtube_oauth_state
    ADD COLUMN IF NOT EXISTS browser_digest bytea
        CONSTRAINT youtube_oauth_state_browser_digest_check CHECK (octet_length(browser_digest) = 32);
COMMENT ON COLUMN youtube_oauth_state.browser_digest IS
    'SHA-256 of the random value in the HttpOnly cookie the authorize response set in the browser that asked; the callback completes only when that browser''s cookie matches (NULL: never).';
