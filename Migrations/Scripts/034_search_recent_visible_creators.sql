-- Migration: search_recent holds only items a visitor may see, so a private creator's matches cannot take the search's
-- candidate slots (issue 13, review of the public search)
-- Purpose:
--   search_recent (033) has no creator column: it held a private creator's published items too. The search counts its
--   matches to choose its path (>= 4 x the page: search_recent only) and keeps the best 4 x the page by rank before
--   the visibility join; so a creator whose newest matches outrank everyone's (a title repeating the word) and who is
--   (or turns) private filled every slot, and the page came back empty although public items match.
--   * content_item_search_recent() (the content_item triggers of 033) copies an item only while its creator is public
--     with a username (ContentCardReader.Visible; the users row is locked FOR SHARE, so a concurrent change of the
--     creator's visibility waits for the item's transaction, or the item's trigger waits and reads the change), else removes it;
--     trg_content_item_search_recent_update also fires on a change of creator_id.
--   * trg_users_search_recent: a creator turning private (or losing the username) removes their rows; turning public
--     copies back their published items not older than the oldest row held (trim_search_recent cuts the rest).
--   The search still joins every row to content_item and users: a row is only a candidate.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
-- Removes the rows of private creators once (one pass over search_recent, at most about 50,000 rows).
--
-- Rollback instructions:
--   DROP TRIGGER IF EXISTS trg_users_search_recent ON users; DROP FUNCTION IF EXISTS users_search_recent();
--   then re-run 033's CREATE OR REPLACE FUNCTION content_item_search_recent() and CREATE OR REPLACE TRIGGER
--   trg_content_item_search_recent_update.

CREATE OR REPLACE FUNCTION content_item_search_recent()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    v_visible boolean;
BEGIN
    IF NEW.status = 'published' AND NEW.published_at IS NOT NULL THEN
        -- The creator's row locked FOR SHARE whatever it holds: a concurrent change of is_public or username waits
        -- for this transaction (then trg_users_search_recent sees this row), or this waits for it and reads its result.
        SELECT u.is_public AND u.username IS NOT NULL INTO v_visible FROM users u WHERE u.id = NEW.creator_id FOR SHARE;
        IF v_visible THEN
            -- AFTER the row is written: NEW.search_vector (a generated column) is computed.
            INSERT INTO search_recent (id, published_at, category_id, search_vector)
            VALUES (NEW.id, NEW.published_at, NEW.category_id, NEW.search_vector)
            ON CONFLICT (id) DO UPDATE
                SET published_at = EXCLUDED.published_at,
                    category_id = EXCLUDED.category_id,
                    search_vector = EXCLUDED.search_vector;
            RETURN NULL;
        END IF;
    END IF;

    DELETE FROM search_recent WHERE id = NEW.id;  -- nothing to delete on INSERT: one primary-key probe
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION content_item_search_recent() IS
    'AFTER INSERT/UPDATE on content_item: a published item with a date whose creator is public with a username is '
    '(re)copied into search_recent, any other is removed; old items are cut back by trim_search_recent.';

CREATE OR REPLACE TRIGGER trg_content_item_search_recent_update
    AFTER UPDATE OF status, published_at, category_id, title, description, creator_id ON content_item
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.published_at IS DISTINCT FROM NEW.published_at
          OR OLD.category_id IS DISTINCT FROM NEW.category_id
          OR OLD.search_vector IS DISTINCT FROM NEW.search_vector
          OR OLD.creator_id IS DISTINCT FROM NEW.creator_id)
    EXECUTE FUNCTION content_item_search_recent();

CREATE OR REPLACE FUNCTION users_search_recent()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
BEGIN
    IF NEW.is_public AND NEW.username IS NOT NULL THEN
        INSERT INTO search_recent (id, published_at, category_id, search_vector)
        SELECT c.id, c.published_at, c.category_id, c.search_vector
        FROM content_item c
        WHERE c.creator_id = NEW.id AND c.status = 'published' AND c.published_at IS NOT NULL
          AND c.published_at >= coalesce((SELECT min(r.published_at) FROM search_recent r), '-infinity')
        ON CONFLICT (id) DO NOTHING;
    ELSE
        DELETE FROM search_recent r USING content_item c WHERE c.id = r.id AND c.creator_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION users_search_recent() IS
    'AFTER UPDATE on users: a creator turning private (or losing the username) has their rows removed from '
    'search_recent; turning public, their published items not older than its oldest row are copied back.';

CREATE OR REPLACE TRIGGER trg_users_search_recent
    AFTER UPDATE OF is_public, username ON users
    FOR EACH ROW
    WHEN ((OLD.is_public AND OLD.username IS NOT NULL) IS DISTINCT FROM (NEW.is_public AND NEW.username IS NOT NULL))
    EXECUTE FUNCTION users_search_recent();

DELETE FROM search_recent r
USING content_item c JOIN users u ON u.id = c.creator_id
WHERE c.id = r.id AND NOT (u.is_public AND u.username IS NOT NULL);
