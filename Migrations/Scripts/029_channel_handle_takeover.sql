-- Migration: the verified owner of a YouTube channel also takes over accounts that name it by its @handle (issue 12 review)
-- Purpose:
--   * verify_platform_account(): a channel connected by @handle keeps the handle as external_id until its first sync
--     resolves it to the channel id (SyncLease). The takeover compared platform_source_key() with the verified
--     account's id only, so an impostor who connected the victim's @handle before the victim verified by OAuth kept an
--     active account and its copied items. The takeover now also matches the verified account's handle (lower case,
--     as ChannelReference stores handles). Same signature, result, grants and lock order as 024.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions: re-run the verify_platform_account section of 024_source_identity_and_oauth_browser.sql.

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
    v_handle    text;
    v_keys      text[];
    v_published integer;
    v_taken     integer;
    v_accounts  uuid[];
    v_users     uuid[];
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'verify_platform_account: no current user (app.user_id)' USING ERRCODE = '42501';
    END IF;

    SELECT a.platform, a.external_id, a.handle INTO v_platform, v_external, v_handle
    FROM public.platform_account a
    WHERE a.id = p_account_id AND a.user_id = v_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'verify_platform_account: no platform account % of the current user', p_account_id
            USING ERRCODE = 'P0002';
    END IF;
    v_source := public.platform_source_key(v_platform, v_external);
    -- A channel is also named by its @handle until a sync resolves it (ChannelReference stores handles in lower case).
    v_keys := CASE WHEN v_platform = 'youtube' AND v_handle LIKE '@_%'
                   THEN ARRAY[v_source, lower(v_handle)] ELSE ARRAY[v_source] END;

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

    -- Unproven importers of the same source, under any spelling (a channel also by its @handle): deactivated, their
    -- items moved to the verified owner.
    WITH others AS (
        UPDATE public.platform_account o
        SET is_active = false, next_sync_at = NULL
        WHERE o.platform = v_platform AND public.platform_source_key(o.platform, o.external_id) = ANY (v_keys)
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
    'Marks the current user''s (app.user_id) account verified by p_method, publishes its pending_verification items, and moves to it the items of other users'' unverified accounts of the same source (platform, platform_source_key: a feed under any spelling; a YouTube channel also by the @handle it was connected with), deactivating them. Returns the counts, the deactivated accounts and, position by position, their users (for the audit trail). 23505 (platform_account_verified_source_key) when another user verified the source; P0002 when the account is not the caller''s.';
REVOKE ALL ON FUNCTION verify_platform_account(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION verify_platform_account(uuid, text) TO app_user;
