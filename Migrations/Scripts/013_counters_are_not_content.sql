-- Migration: platform view and like counters are refreshed without counting as a content change
-- Purpose:
--   A re-sync skipped every item whose content hash (title, description, media, ...) was unchanged, so view and like
--   counts imported from YouTube stayed as they were at the first import. The syncs now refresh the counters of
--   unchanged items too (one UPDATE per page, writing only the rows whose counters moved). Like click_count (007),
--   they are not content: updated_at (the sitemap's lastmod, "what changed") no longer moves when only counters do.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions: re-run the content_item_touch() definition of 007_discovery_trending.sql.

CREATE OR REPLACE FUNCTION content_item_touch()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (to_jsonb(NEW) - 'click_count' - 'view_count' - 'like_count' - 'updated_at' - 'search_vector')
       IS DISTINCT FROM (to_jsonb(OLD) - 'click_count' - 'view_count' - 'like_count' - 'updated_at' - 'search_vector') THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION content_item_touch() IS
    'BEFORE UPDATE trigger function of content_item: stamps updated_at unless only counters changed (click_count from the click rollup, view_count/like_count from a sync).';
