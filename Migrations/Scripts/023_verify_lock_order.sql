-- Migration: verify_platform_account() takes the source's lock before its own row's (issue 12 review)
-- Purpose:
--   * Two users verifying one feed at once deadlocked (40P01, a 500 for one of them): each verify locked its own
--     account row (FOR UPDATE) and then waited for the source's advisory lock, while the verify holding that lock
--     deactivated the other user's account, i.e. waited for the row the other held. Now the source's lock is taken
--     first and the row is locked after it, so the second verify simply waits and then gets 23505 (409).
--   * Same signature, result and grants as 018; only the lock order changes.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions: re-run the verify_platform_account() section of 018_ownership_verification.sql.

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
    WHERE a.id = p_account_id AND a.user_id = v_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'verify_platform_account: no platform account % of the current user', p_account_id
            USING ERRCODE = 'P0002';
    END IF;

    -- Two owners verifying one source at once: one at a time (the unique index refuses the second: 23505). The source's
    -- lock comes before any row lock: the first verify updates the other importers' rows, so a second verify holding
    -- its own row while it waits here would deadlock with it (40P01).
    PERFORM pg_advisory_xact_lock(hashtextextended('platform_source:' || v_platform || chr(10) || v_external, 0));

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
