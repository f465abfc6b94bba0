-- Migration: a tag's newest public items are one ordered index walk, whatever the tag's size (issue 13, full scale)
-- Purpose:
--   The feed filtered by a tag (the item page's related lists, /tag/{tag}, /api/public/content?tag=) was
--   "content_item ... WHERE EXISTS (content_tag with that tag) ORDER BY published_at DESC LIMIT n". PostgreSQL cannot
--   know how many items a tag has (6,150 tags at 1M items: anything outside the 100 most common values is estimated
--   at the same ~220 rows), so it picked by luck between two plans that are each bad for one kind of tag: walking
--   idx_content_item_feed_recent and probing content_tag per row (a rare tag's items are far apart: hundreds of
--   thousands of probes, seconds), or reading every item of the tag and sorting (a popular tag: 7,000 heap fetches,
--   100-600 ms at 1M items).
--   * content_tag.item_published_at: the item's published_at while it is published, else NULL, kept by triggers
--     (content_tag rows take it when inserted; an item's change of status or published_at rewrites its tag rows).
--   * idx_content_tag_feed_recent (tag, item_published_at DESC, content_id DESC) WHERE item_published_at IS NOT NULL:
--     FeedQuery walks it for the tag in feed order and stops after the page (keyset cursor on the same columns),
--     joining only those rows to content_item and users (a private creator's items are skipped there).
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
-- The backfill rewrites every content_tag row once (about 2M rows at the full-scale seed).
--
-- Rollback instructions:
--   DROP TRIGGER IF EXISTS trg_content_item_tag_dates ON content_item;
--   DROP TRIGGER IF EXISTS trg_content_tag_item_date ON content_tag;
--   DROP FUNCTION IF EXISTS content_item_tag_dates(); DROP FUNCTION IF EXISTS content_tag_item_date();
--   DROP INDEX IF EXISTS idx_content_tag_feed_recent; ALTER TABLE content_tag DROP COLUMN IF EXISTS item_published_at;

ALTER TABLE content_tag ADD COLUMN IF NOT EXISTS item_published_at timestamptz;
COMMENT ON COLUMN content_tag.item_published_at IS
    'The item''s published_at while its status is published, else NULL (copied by trg_content_tag_item_date and '
    'trg_content_item_tag_dates; never written directly): orders a tag''s public items on idx_content_tag_feed_recent.';

CREATE OR REPLACE FUNCTION content_item_tag_dates()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_date timestamptz := CASE WHEN NEW.status = 'published' THEN NEW.published_at END;
BEGIN
    -- The UPDATE fires trg_content_tag_item_date, which reads this (already updated) item row: same value.
    UPDATE content_tag t
    SET item_published_at = v_date
    WHERE t.content_id = NEW.id
      AND t.item_published_at IS DISTINCT FROM v_date;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION content_item_tag_dates() IS
    'AFTER UPDATE OF status, published_at on content_item: its content_tag rows follow (content_tag_pkey prefix lookup).';

CREATE OR REPLACE TRIGGER trg_content_item_tag_dates
    AFTER UPDATE OF status, published_at ON content_item
    FOR EACH ROW
    WHEN ((OLD.status = 'published') IS DISTINCT FROM (NEW.status = 'published')
          OR OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION content_item_tag_dates();

-- Backfill, after the item trigger exists (creating it locks content_item against writes until commit, so no status
-- change slips between this snapshot and the trigger) and before the tag trigger (no per-row lookup for 2M rows).
UPDATE content_tag t
SET item_published_at = c.published_at
FROM content_item c
WHERE c.id = t.content_id
  AND c.status = 'published'
  AND t.item_published_at IS DISTINCT FROM c.published_at;

CREATE OR REPLACE FUNCTION content_tag_item_date()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
    NEW.item_published_at := (
        SELECT CASE WHEN c.status = 'published' THEN c.published_at END
        FROM content_item c
        WHERE c.id = NEW.content_id);
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION content_tag_item_date() IS
    'BEFORE INSERT/UPDATE on content_tag: item_published_at from the item (one primary-key lookup), whatever the writer sent.';

CREATE OR REPLACE TRIGGER trg_content_tag_item_date
    BEFORE INSERT OR UPDATE OF content_id, item_published_at ON content_tag
    FOR EACH ROW EXECUTE FUNCTION content_tag_item_date();

CREATE INDEX IF NOT EXISTS idx_content_tag_feed_recent
    ON content_tag (tag, item_published_at DESC, content_id DESC)
    WHERE item_published_at IS NOT NULL;
COMMENT ON INDEX idx_content_tag_feed_recent IS
    'Feed by tag, newest first (FeedQuery): a tag''s public-status items in feed order with keyset cursor, one walk.';

ANALYZE content_tag;
