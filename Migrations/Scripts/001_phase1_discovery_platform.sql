-- Migration: Public discovery platform (anonymous browsing, SEO indexing, social sharing)
-- Purpose:
--   * public profile fields on users (username, bio, avatar, links, is_public)
--   * content_category (15 seeded categories), content_tag (platform + AI + manual tags),
--     content_media (several images/videos per item), content_click (click analytics, 10M+ rows),
--     trending_content (precomputed trending ranks), featured_creator (manual curation)
--   * SEO fields on content_item (slug, meta title/description, canonical URL, category, OG image),
--     full-text search vector, trigram title index and keyset feed indexes
--   * slugify(), the public_content view and SELECT grants for app_anonymous / app_user
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions (run in one transaction):
--   DROP VIEW IF EXISTS public_content;
--   DROP FUNCTION IF EXISTS record_content_click(uuid, bytea, text, text);
--   DROP TRIGGER IF EXISTS trg_content_item_defaults ON content_item;
--   DROP FUNCTION IF EXISTS content_item_defaults();
--   DROP TRIGGER IF EXISTS trg_users_profile_updated_at ON users;
--   DROP FUNCTION IF EXISTS users_profile_touch();
--   DROP TABLE IF EXISTS featured_creator, trending_content, content_click, content_media, content_tag CASCADE;
--   ALTER TABLE content_item
--       DROP CONSTRAINT IF EXISTS content_item_published_has_date,
--       DROP COLUMN IF EXISTS search_vector, DROP COLUMN IF EXISTS click_count,
--       DROP COLUMN IF EXISTS og_image_url, DROP COLUMN IF EXISTS category_id,
--       DROP COLUMN IF EXISTS canonical_url, DROP COLUMN IF EXISTS meta_description,
--       DROP COLUMN IF EXISTS meta_title, DROP COLUMN IF EXISTS slug;   -- drops their indexes too
--   DROP TABLE IF EXISTS content_category;
--   DROP FUNCTION IF EXISTS slugify(text);
--   ALTER TABLE users
--       DROP CONSTRAINT IF EXISTS users_username_format,
--       DROP COLUMN IF EXISTS profile_updated_at, DROP COLUMN IF EXISTS is_public,
--       DROP COLUMN IF EXISTS social_links, DROP COLUMN IF EXISTS website_url,
--       DROP COLUMN IF EXISTS avatar_url, DROP COLUMN IF EXISTS bio, DROP COLUMN IF EXISTS username;
--   REVOKE SELECT ON users FROM app_anonymous, app_user;

-- ---------------------------------------------------------------------------------------------
-- Public profile fields on users
-- ---------------------------------------------------------------------------------------------
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS username           text,
    ADD COLUMN IF NOT EXISTS bio                text,
    ADD COLUMN IF NOT EXISTS avatar_url         text,
    ADD COLUMN IF NOT EXISTS website_url        text,
    ADD COLUMN IF NOT EXISTS social_links       jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN IF NOT EXISTS is_public          boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS profile_updated_at timestamptz;

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_username_format;
ALTER TABLE users ADD CONSTRAINT users_username_format
    CHECK (username IS NULL OR username ~* '^[a-z0-9_][a-z0-9_.-]{1,38}$');
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_social_links_is_object;
ALTER TABLE users ADD CONSTRAINT users_social_links_is_object
    CHECK (jsonb_typeof(social_links) = 'object');
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_bio_length;
ALTER TABLE users ADD CONSTRAINT users_bio_length
    CHECK (bio IS NULL OR char_length(bio) <= 5000);

CREATE UNIQUE INDEX IF NOT EXISTS users_username_lower_key
    ON users (lower(username)) WHERE username IS NOT NULL;
COMMENT ON INDEX users_username_lower_key IS
    'Usernames are unique case-insensitively; serves profile lookup /@{username} by lower(username).';

CREATE OR REPLACE FUNCTION users_profile_touch()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.username     IS DISTINCT FROM OLD.username
    OR NEW.display_name IS DISTINCT FROM OLD.display_name
    OR NEW.bio          IS DISTINCT FROM OLD.bio
    OR NEW.avatar_url   IS DISTINCT FROM OLD.avatar_url
    OR NEW.website_url  IS DISTINCT FROM OLD.website_url
    OR NEW.social_links IS DISTINCT FROM OLD.social_links
    OR NEW.is_public    IS DISTINCT FROM OLD.is_public THEN
        NEW.profile_updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION users_profile_touch() IS
    'BEFORE UPDATE trigger function: stamps users.profile_updated_at when a public profile field changes (sitemap lastmod).';

CREATE OR REPLACE TRIGGER trg_users_profile_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_profile_touch();

-- ---------------------------------------------------------------------------------------------
-- slugify(): URL slug from free text
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION slugify(p_text text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
AS $$
    -- Accents are dropped first (é -> e) where the database encoding allows Unicode normalization.
    SELECT btrim(left(btrim(regexp_replace(
               CASE WHEN current_setting('server_encoding') = 'UTF8'
                    THEN regexp_replace(normalize(lower(coalesce(p_text, '')), NFKD), '[\u0300-\u036f]', '', 'g')
                    ELSE lower(coalesce(p_text, '')) END,
               '[^a-z0-9]+', '-', 'g'), '-'), 80), '-')
$$;
COMMENT ON FUNCTION slugify(text) IS
    'URL slug: lowercase, accents dropped, runs of non [a-z0-9] become one dash, no leading/trailing dash, at most 80 chars ('''' when nothing is left).';

-- ---------------------------------------------------------------------------------------------
-- content_category (15 seeded categories)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS content_category (
    id          smallint    GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    slug        text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text        NOT NULL,
    description text,
    sort_order  integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE content_category IS 'Browse categories (/c/{slug}); ids are stable and referenced by content_item.category_id.';
COMMENT ON INDEX content_category_slug_key IS 'Category page lookup by slug (/c/{slug}).';

INSERT INTO content_category (id, slug, name, description, sort_order) OVERRIDING SYSTEM VALUE
VALUES
    (1,  'gaming',        'Gaming',        'Let''s plays, reviews, esports and game culture', 10),
    (2,  'music',         'Music',         'Songs, covers, production and music commentary', 20),
    (3,  'education',     'Education',     'Lessons, tutorials and explainers', 30),
    (4,  'technology',    'Technology',    'Software, hardware, gadgets and programming', 40),
    (5,  'entertainment', 'Entertainment', 'Shows, film, pop culture and vlogs', 50),
    (6,  'sports',        'Sports',        'Games, highlights, analysis and training', 60),
    (7,  'news',          'News',          'News, politics and current events', 70),
    (8,  'comedy',        'Comedy',        'Sketches, stand-up and humor', 80),
    (9,  'lifestyle',     'Lifestyle',     'Fashion, beauty, home and everyday life', 90),
    (10, 'travel',        'Travel',        'Destinations, guides and adventures', 100),
    (11, 'food',          'Food',          'Recipes, cooking and restaurant reviews', 110),
    (12, 'fitness',       'Fitness',       'Workouts, health and nutrition', 120),
    (13, 'science',       'Science',       'Science, nature and research', 130),
    (14, 'art-design',    'Art & Design',  'Illustration, design, crafts and photography', 140),
    (15, 'business',      'Business',      'Entrepreneurship, finance, marketing and careers', 150)
ON CONFLICT DO NOTHING;

-- Keep the identity sequence past the explicitly seeded ids so admin-added categories get new ids.
SELECT setval(pg_get_serial_sequence('content_category', 'id'), greatest(max(id), 1)) FROM content_category;

-- ---------------------------------------------------------------------------------------------
-- SEO fields, search and feed indexes on content_item
-- ---------------------------------------------------------------------------------------------
ALTER TABLE content_item
    ADD COLUMN IF NOT EXISTS slug             text,
    ADD COLUMN IF NOT EXISTS meta_title       text,
    ADD COLUMN IF NOT EXISTS meta_description text,
    ADD COLUMN IF NOT EXISTS canonical_url    text,
    ADD COLUMN IF NOT EXISTS category_id      smallint REFERENCES content_category (id),
    ADD COLUMN IF NOT EXISTS og_image_url     text,
    ADD COLUMN IF NOT EXISTS click_count      bigint NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS search_vector    tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')
    ) STORED;

-- Backfill: slugs for existing rows; published rows need a date for keyset pagination.
UPDATE content_item
SET slug = coalesce(nullif(slugify(title), ''), 'content') || '-' || left(id::text, 8)
WHERE slug IS NULL;

UPDATE content_item
SET published_at = created_at
WHERE status = 'published' AND published_at IS NULL;

ALTER TABLE content_item ALTER COLUMN slug SET NOT NULL;

ALTER TABLE content_item DROP CONSTRAINT IF EXISTS content_item_slug_format;
ALTER TABLE content_item ADD CONSTRAINT content_item_slug_format
    CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 120);
ALTER TABLE content_item DROP CONSTRAINT IF EXISTS content_item_published_has_date;
ALTER TABLE content_item ADD CONSTRAINT content_item_published_has_date
    CHECK (status <> 'published' OR published_at IS NOT NULL);
ALTER TABLE content_item DROP CONSTRAINT IF EXISTS content_item_click_count_nonnegative;
ALTER TABLE content_item ADD CONSTRAINT content_item_click_count_nonnegative
    CHECK (click_count >= 0);

CREATE UNIQUE INDEX IF NOT EXISTS content_item_slug_key ON content_item (slug);
COMMENT ON INDEX content_item_slug_key IS 'SEO page lookup /content/{slug}; slugs are unique and stable.';

CREATE INDEX IF NOT EXISTS idx_content_item_search_vector ON content_item USING gin (search_vector);
COMMENT ON INDEX idx_content_item_search_vector IS
    'Full-text search: search_vector @@ websearch_to_tsquery(''english'', q), ranked with ts_rank.';

CREATE INDEX IF NOT EXISTS idx_content_item_title_trgm ON content_item USING gin (title gin_trgm_ops);
COMMENT ON INDEX idx_content_item_title_trgm IS
    'Typo-tolerant fallback search: title % q / title ILIKE ''%q%'' (pg_trgm) when full-text finds nothing.';

CREATE INDEX IF NOT EXISTS idx_content_item_feed_recent
    ON content_item (published_at DESC, id DESC) WHERE status = 'published';
COMMENT ON INDEX idx_content_item_feed_recent IS
    'Public feed, newest first: WHERE status=''published'' AND (published_at, id) < (cursor) ORDER BY published_at DESC, id DESC.';

CREATE INDEX IF NOT EXISTS idx_content_item_feed_category
    ON content_item (category_id, published_at DESC, id DESC) WHERE status = 'published';
COMMENT ON INDEX idx_content_item_feed_category IS
    'Category page feed, newest first, keyset on (published_at, id).';

CREATE INDEX IF NOT EXISTS idx_content_item_feed_popular
    ON content_item (click_count DESC, id DESC) WHERE status = 'published';
COMMENT ON INDEX idx_content_item_feed_popular IS
    'Most-clicked feed: ORDER BY click_count DESC, id DESC with keyset on (click_count, id).';

CREATE INDEX IF NOT EXISTS idx_content_item_feed_platform
    ON content_item (platform, published_at DESC, id DESC) WHERE status = 'published';
COMMENT ON INDEX idx_content_item_feed_platform IS
    'Per-platform feed (youtube / feed), newest first, keyset on (published_at, id).';

-- Defaults the importer would otherwise have to compute: a unique slug and a publication date.
CREATE OR REPLACE FUNCTION content_item_defaults()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.slug IS NULL THEN
        NEW.slug := coalesce(nullif(slugify(NEW.title), ''), 'content') || '-' || left(NEW.id::text, 8);
    END IF;
    IF NEW.status = 'published' AND NEW.published_at IS NULL THEN
        NEW.published_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION content_item_defaults() IS
    'BEFORE INSERT/UPDATE trigger function: default slug slugify(title)-<8 hex of id>; published rows get published_at = now() when missing.';

CREATE OR REPLACE TRIGGER trg_content_item_defaults
    BEFORE INSERT OR UPDATE ON content_item
    FOR EACH ROW EXECUTE FUNCTION content_item_defaults();

-- ---------------------------------------------------------------------------------------------
-- content_tag: normalized tags from the platform, AI tagging, or an admin
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS content_tag (
    content_id uuid        NOT NULL REFERENCES content_item (id) ON DELETE CASCADE,
    tag        text        NOT NULL,
    source     text        NOT NULL CHECK (source IN ('platform', 'ai', 'manual')),
    confidence real        CHECK (confidence IS NULL OR (confidence >= 0 AND confidence <= 1)),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (content_id, source, tag),
    CONSTRAINT content_tag_normalized CHECK (tag = lower(btrim(tag)) AND tag <> '' AND char_length(tag) <= 100)
);
COMMENT ON TABLE content_tag IS 'Tags of a content item (lowercase, trimmed); one row per (item, source, tag).';

CREATE INDEX IF NOT EXISTS idx_content_tag_tag ON content_tag (tag, content_id);
COMMENT ON INDEX idx_content_tag_tag IS 'Tag filter / tag pages: items carrying a tag (WHERE tag = $1).';

-- ---------------------------------------------------------------------------------------------
-- content_media: thumbnails, images, video and audio attached to an item
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS content_media (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    content_id   uuid        NOT NULL REFERENCES content_item (id) ON DELETE CASCADE,
    kind         text        NOT NULL CHECK (kind IN ('thumbnail', 'image', 'video', 'audio')),
    url          text        NOT NULL,
    width        integer     CHECK (width IS NULL OR width > 0),
    height       integer     CHECK (height IS NULL OR height > 0),
    content_type text,
    byte_size    bigint      CHECK (byte_size IS NULL OR byte_size >= 0),
    position     smallint    NOT NULL DEFAULT 0,
    is_dead      boolean     NOT NULL DEFAULT false,  -- set by the link checker when the URL stops answering
    checked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT content_media_content_url_key UNIQUE (content_id, url)
);
COMMENT ON TABLE content_media IS 'Media of a content item (several images per item, embeds), ordered by position.';
COMMENT ON INDEX content_media_content_url_key IS 'Importer upsert key: a URL is attached once per item.';

CREATE INDEX IF NOT EXISTS idx_content_media_content_position ON content_media (content_id, position);
COMMENT ON INDEX idx_content_media_content_position IS 'Media gallery of an item in display order.';

-- ---------------------------------------------------------------------------------------------
-- content_click: click analytics (10M+ rows; append-only)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS content_click (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    content_id   uuid        NOT NULL REFERENCES content_item (id) ON DELETE CASCADE,
    clicked_at   timestamptz NOT NULL DEFAULT now(),
    visitor_hash bytea       CHECK (visitor_hash IS NULL OR octet_length(visitor_hash) BETWEEN 1 AND 64),
                             -- salted hash of visitor signals (never an IP); NULL = unknown visitor, not deduplicated
    referrer     text,
    source       text,       -- where the click came from: feed, search, trending, profile, share, ...
    -- Start of the 30-minute window of the click: one counted click per visitor, item and window.
    dedup_bucket timestamptz GENERATED ALWAYS AS (
        date_bin(interval '30 minutes', clicked_at, timestamptz '2000-01-01 00:00:00+00')
    ) STORED,
    CONSTRAINT content_click_dedup_key UNIQUE (content_id, visitor_hash, dedup_bucket)
);
COMMENT ON TABLE content_click IS
    'Outbound clicks on content. Insert with ON CONFLICT ON CONSTRAINT content_click_dedup_key DO NOTHING: repeats of a visitor within 30 minutes count once.';
COMMENT ON INDEX content_click_dedup_key IS
    'Deduplication: one row per (item, visitor, 30-minute window); target of ON CONFLICT DO NOTHING.';

CREATE INDEX IF NOT EXISTS idx_content_click_content_time ON content_click (content_id, clicked_at DESC);
COMMENT ON INDEX idx_content_click_content_time IS
    'Clicks of one item in a time range (creator analytics, per-item trending counts).';

CREATE INDEX IF NOT EXISTS idx_content_click_clicked_at_brin ON content_click USING brin (clicked_at);
COMMENT ON INDEX idx_content_click_clicked_at_brin IS
    'Time-range scans over all clicks (trending windows 24h/7d, retention deletes); tiny because rows arrive in time order.';

CREATE OR REPLACE FUNCTION record_content_click(
    p_content_id   uuid,
    p_visitor_hash bytea,
    p_referrer     text DEFAULT NULL,
    p_source       text DEFAULT NULL)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    WITH ins AS (
        INSERT INTO content_click (content_id, visitor_hash, referrer, source)
        SELECT c.id,
               nullif(p_visitor_hash, ''::bytea),
               left(p_referrer, 2048),
               left(p_source, 64)
        FROM content_item c
        WHERE c.id = p_content_id AND c.status = 'published'
        ON CONFLICT ON CONSTRAINT content_click_dedup_key DO NOTHING
        RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM ins)
$$;
COMMENT ON FUNCTION record_content_click(uuid, bytea, text, text) IS
    'Public click endpoint: records a click on a published item, deduplicated per visitor per 30 minutes; true when counted. p_visitor_hash is the Api''s salted visitor hash (never an IP); NULL = not deduplicated.';

-- ---------------------------------------------------------------------------------------------
-- trending_content: results of the trending computation (rebuilt by the Workers)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS trending_content (
    content_id  uuid             NOT NULL REFERENCES content_item (id) ON DELETE CASCADE,
    time_window text             NOT NULL CHECK (time_window IN ('24h', '7d')),
    category_id smallint         REFERENCES content_category (id) ON DELETE SET NULL, -- denormalized from the item
    score       double precision NOT NULL,
    click_count integer          NOT NULL DEFAULT 0 CHECK (click_count >= 0),
    rank        integer          CHECK (rank IS NULL OR rank > 0),
    computed_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (time_window, content_id)
);
COMMENT ON TABLE trending_content IS 'Trending scores per time window; the Workers replace a window''s rows on each recomputation.';

CREATE INDEX IF NOT EXISTS idx_trending_content_window_score
    ON trending_content (time_window, score DESC, content_id);
COMMENT ON INDEX idx_trending_content_window_score IS
    'Trending page: WHERE time_window = $1 ORDER BY score DESC, content_id (keyset on score, content_id).';

CREATE INDEX IF NOT EXISTS idx_trending_content_window_category_score
    ON trending_content (time_window, category_id, score DESC, content_id);
COMMENT ON INDEX idx_trending_content_window_category_score IS
    'Trending within a category: WHERE time_window = $1 AND category_id = $2 ORDER BY score DESC, content_id.';

-- ---------------------------------------------------------------------------------------------
-- featured_creator: manual curation
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS featured_creator (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position       integer     NOT NULL,
    featured_from  timestamptz NOT NULL DEFAULT now(),
    featured_until timestamptz,
    note           text,
    created_by     uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT featured_creator_period CHECK (featured_until IS NULL OR featured_until > featured_from)
);
COMMENT ON TABLE featured_creator IS
    'Creators featured by admins; active when featured_from <= now() AND (featured_until IS NULL OR featured_until > now()).';

CREATE INDEX IF NOT EXISTS idx_featured_creator_position
    ON featured_creator (position, featured_from, featured_until);
COMMENT ON INDEX idx_featured_creator_position IS
    'Featured creators in display order, with the active-period columns for the now() filter.';

CREATE OR REPLACE TRIGGER trg_featured_creator_updated_at
    BEFORE UPDATE ON featured_creator
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- public_content: what anonymous visitors may see
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW public_content AS
SELECT c.id,
       c.slug,
       c.creator_id,
       c.platform,
       c.external_id,
       c.title,
       c.description,
       c.url,
       c.thumbnail_url,
       c.og_image_url,
       c.meta_title,
       c.meta_description,
       c.canonical_url,
       c.category_id,
       c.published_at,
       c.duration_seconds,
       c.view_count,
       c.like_count,
       c.click_count,
       c.search_vector,
       c.updated_at,
       u.username     AS creator_username,
       u.display_name AS creator_display_name,
       u.avatar_url   AS creator_avatar_url
FROM content_item c
JOIN users u ON u.id = c.creator_id
WHERE c.status = 'published'
  AND u.is_public;
COMMENT ON VIEW public_content IS
    'Published content of public creators; filters match the partial feed indexes (status = ''published''), so feed/category/search queries stay index-backed.';

-- ---------------------------------------------------------------------------------------------
-- Grants for public reads
-- ---------------------------------------------------------------------------------------------
GRANT SELECT ON content_item, content_category, content_tag, content_media,
                trending_content, featured_creator, public_content
    TO app_anonymous, app_user;

-- Anonymous visitors see public profile columns only (no e-mail, no role).
GRANT SELECT (id, username, display_name, bio, avatar_url, website_url, social_links, is_public,
              profile_updated_at, created_at)
    ON users TO app_anonymous;
GRANT SELECT ON users TO app_user;

-- Clicks are written through record_content_click() only; click rows are not readable by the Api roles.
REVOKE ALL ON FUNCTION record_content_click(uuid, bytea, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_content_click(uuid, bytea, text, text) TO app_anonymous, app_user;
