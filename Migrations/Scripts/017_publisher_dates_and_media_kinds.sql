-- Migration: publication dates as the publisher gave them, and media kinds for players and documents
-- Purpose:
--   * content_item.source_published_at: the date the platform (feed entry, YouTube video) gave, as read; NULL when
--     it gave none or it could not be read. published_at stays the date items are ordered and shown by: the
--     importers write it as source_published_at clamped to the time the item was first seen (created_at), or the
--     first-seen time when unknown, so it is never in the future and never moves on a re-sync.
--   * content_item_defaults(): a published row without published_at takes its first-seen time (created_at), and an
--     UPDATE keeps the date it had, instead of now() (which moved an undated item on every rewrite).
--   * Existing rows dated in the future are clamped (their stated date kept in source_published_at).
--   * content_media.kind also allows 'player' (an embeddable player, e.g. YouTube's Flash media:content) and
--     'document' (any other enclosure): they were stored as images before.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions:
--   DELETE FROM content_media WHERE kind IN ('player', 'document');
--   ALTER TABLE content_media DROP CONSTRAINT content_media_kind_check;
--   ALTER TABLE content_media ADD CONSTRAINT content_media_kind_check CHECK (kind IN ('thumbnail', 'image', 'video', 'audio'));
--   ALTER TABLE content_item DROP COLUMN IF EXISTS source_published_at;
--   (and content_item_defaults() as 001 defines it)

ALTER TABLE content_item ADD COLUMN IF NOT EXISTS source_published_at timestamptz;
COMMENT ON COLUMN content_item.source_published_at IS
    'Publication date as the platform gave it (feed pubDate/dc:date/published, YouTube publishedAt); NULL when none or unreadable. published_at is this date clamped to created_at (first seen), or created_at when NULL.';

CREATE OR REPLACE FUNCTION content_item_defaults()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.slug IS NULL THEN
        NEW.slug := coalesce(nullif(slugify(NEW.title), ''), 'content') || '-' || left(NEW.id::text, 8);
    END IF;
    IF NEW.status = 'published' AND NEW.published_at IS NULL THEN
        NEW.published_at := CASE WHEN TG_OP = 'UPDATE' THEN coalesce(OLD.published_at, NEW.created_at, now())
                                 ELSE coalesce(NEW.created_at, now()) END;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION content_item_defaults() IS
    'BEFORE INSERT/UPDATE trigger function: default slug slugify(title)-<8 hex of id>; a published row without published_at keeps the one it had, else takes created_at (first seen).';

UPDATE content_item
SET source_published_at = published_at, published_at = least(created_at, now())
WHERE published_at > now();

ALTER TABLE content_media DROP CONSTRAINT IF EXISTS content_media_kind_check;
ALTER TABLE content_media ADD CONSTRAINT content_media_kind_check
    CHECK (kind IN ('thumbnail', 'image', 'video', 'audio', 'player', 'document'));
