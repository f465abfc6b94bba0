-- Migration: the newest published items' search vectors in a small table of their own, so that searching a word in
-- about 1 % of items no longer builds a GIN bitmap of every match (issue 13, search under 10 ms uncached at full scale)
-- Purpose:
--   A GIN index can only answer with a bitmap of all its matches, built and sorted before the first row is read. For
--   a word in 0.7-1.3 % of 1,000,000 items (a topic: "minecraft", "sitcom") that is 7,000-13,000 entries and 2.5-4 ms
--   before ranking, the bulk of such a search. Searched first among the newest items, the same word has a few hundred
--   matches, read in well under a millisecond.
--   * search_recent: id, published_at, category_id and search_vector of published items with a published_at, kept by
--     trg_content_item_search_recent_insert and _update (insert, publish, unpublish, edits) and cut back to the
--     newest p_keep items by trim_search_recent(p_keep), which the Workers call on every trending tick (Trending:SearchRecentItems, default
--     50,000). Between ticks it may also hold newer rows and older edited ones: a superset of the newest p_keep.
--   * idx_search_recent_vector (GIN): SearchQuery's first full-text path; only when it finds fewer than 4 × the page
--     of matches does the search read idx_content_item_search_vector over all items.
--   * Rows are only candidates: the search joins each to content_item and users for visibility, so a row that is
--     briefly stale can never show a hidden item.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
-- (content_item_defaults, 017, gives every published item a published_at; the NULL check is for other statuses.)
-- The backfill reads the newest 50,000 published items (about 2 s at the full-scale seed).
--
-- Rollback instructions:
--   DROP TRIGGER IF EXISTS trg_content_item_search_recent_insert ON content_item;
--   DROP TRIGGER IF EXISTS trg_content_item_search_recent_update ON content_item;
--   DROP FUNCTION IF EXISTS content_item_search_recent(); DROP FUNCTION IF EXISTS trim_search_recent(integer);
--   DROP TABLE IF EXISTS search_recent;

CREATE TABLE IF NOT EXISTS search_recent (
    id            uuid        PRIMARY KEY REFERENCES content_item (id) ON DELETE CASCADE,
    published_at  timestamptz NOT NULL,
    category_id   smallint,
    search_vector tsvector    NOT NULL
);
COMMENT ON TABLE search_recent IS
    'The newest published items'' search vectors (at least the newest Trending:SearchRecentItems; copied from '
    'content_item by the trg_content_item_search_recent triggers, never written directly): the search''s first full-text path.';

CREATE INDEX IF NOT EXISTS idx_search_recent_vector ON search_recent USING gin (search_vector);
COMMENT ON INDEX idx_search_recent_vector IS
    'Full-text search among the newest items first (SearchQuery): a topic word''s bitmap is a few hundred entries.';

CREATE INDEX IF NOT EXISTS idx_search_recent_age ON search_recent (published_at DESC, id DESC);
COMMENT ON INDEX idx_search_recent_age IS 'trim_search_recent: finds the newest row past the kept count, deletes the older ones.';

CREATE OR REPLACE FUNCTION content_item_search_recent()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.status <> 'published' OR NEW.published_at IS NULL THEN
        DELETE FROM search_recent WHERE id = NEW.id;  -- nothing to delete on INSERT: one primary-key probe
        RETURN NULL;
    END IF;

    -- AFTER the row is written: NEW.search_vector (a generated column) is computed.
    INSERT INTO search_recent (id, published_at, category_id, search_vector)
    VALUES (NEW.id, NEW.published_at, NEW.category_id, NEW.search_vector)
    ON CONFLICT (id) DO UPDATE
        SET published_at = EXCLUDED.published_at,
            category_id = EXCLUDED.category_id,
            search_vector = EXCLUDED.search_vector;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION content_item_search_recent() IS
    'AFTER INSERT/UPDATE on content_item: a published item with a date is (re)copied into search_recent, any other is '
    'removed; old items are cut back by trim_search_recent.';

CREATE OR REPLACE TRIGGER trg_content_item_search_recent_insert
    AFTER INSERT ON content_item
    FOR EACH ROW
    WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION content_item_search_recent();

-- A sync that rewrites a title with the same text changes nothing here (the WHEN compares the values).
CREATE OR REPLACE TRIGGER trg_content_item_search_recent_update
    AFTER UPDATE OF status, published_at, category_id, title, description ON content_item
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.published_at IS DISTINCT FROM NEW.published_at
          OR OLD.category_id IS DISTINCT FROM NEW.category_id
          OR OLD.search_vector IS DISTINCT FROM NEW.search_vector)
    EXECUTE FUNCTION content_item_search_recent();

CREATE OR REPLACE FUNCTION trim_search_recent(p_keep integer)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_published_at timestamptz;
    v_id           uuid;
    v_count        integer;
BEGIN
    IF p_keep IS NULL OR p_keep < 0 THEN
        RAISE EXCEPTION 'trim_search_recent: p_keep must be 0 or more, got %', p_keep USING ERRCODE = '22023';
    END IF;

    -- The newest row that is not kept (one walk of idx_search_recent_age), then everything not newer than it.
    SELECT r.published_at, r.id INTO v_published_at, v_id
    FROM search_recent r
    ORDER BY r.published_at DESC, r.id DESC
    OFFSET p_keep LIMIT 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    DELETE FROM search_recent r WHERE (r.published_at, r.id) <= (v_published_at, v_id);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;
COMMENT ON FUNCTION trim_search_recent(integer) IS
    'Deletes all but the newest p_keep rows of search_recent (by published_at, then id); returns the rows deleted.';

-- Backfill after the trigger exists (creating it locks content_item against writes until commit: nothing slips by).
INSERT INTO search_recent (id, published_at, category_id, search_vector)
SELECT c.id, c.published_at, c.category_id, c.search_vector
FROM content_item c
WHERE c.status = 'published' AND c.published_at IS NOT NULL
ORDER BY c.published_at DESC, c.id DESC
LIMIT 50000
ON CONFLICT (id) DO NOTHING;

GRANT SELECT ON search_recent TO app_anonymous, app_user;
REVOKE ALL ON FUNCTION trim_search_recent(integer) FROM PUBLIC; -- the Workers (the owner) trim; no Api role may
