-- Migration: a creator may take their imported content down when disconnecting an account
-- Purpose:
--   DELETE /api/me/platforms/{id} left the account's imported items published (their platform_account_id becomes
--   NULL). With ?content=unpublish the Api first unpublishes them, through unpublish_platform_content(), which the
--   Api's app_user role may call for its own accounts only (app_user has no UPDATE on content_item).
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions: DROP FUNCTION IF EXISTS unpublish_platform_content(uuid);

CREATE OR REPLACE FUNCTION unpublish_platform_content(p_platform_account_id uuid)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_user  uuid := app_current_user_id();
    v_count integer;
BEGIN
    IF v_user IS NULL THEN
        RAISE EXCEPTION 'unpublish_platform_content: no current user (app.user_id)' USING ERRCODE = '42501';
    END IF;

    UPDATE public.content_item c
    SET status = 'unpublished'
    WHERE c.platform_account_id = p_platform_account_id
      AND c.creator_id = v_user                        -- only the caller's own items
      AND c.status = 'published';
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION unpublish_platform_content(uuid) IS
    'Unpublishes the current user''s (app.user_id) published items imported through one of their platform accounts; returns how many.';
REVOKE ALL ON FUNCTION unpublish_platform_content(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION unpublish_platform_content(uuid) TO app_user;
