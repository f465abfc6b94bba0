-- Migration: Discovery read paths (hourly click rollup, incremental click counts, trending function, feed indexes)
-- Purpose:
--   * content_click_hourly: clicks per item and hour, rolled up incrementally from content_click
--     (discovery_rollup_state keeps the last content_click.id rolled up); also feeds content_item.click_count,
--     which nothing else updates
--   * rollup_content_clicks(): the incremental step (Workers, every tick)
--   * refresh_trending(window, now, gravity): time-decayed click score per window, upserted into trending_content
--     (changed rows updated, rows that fell out deleted: readers never see an empty table)
--   * content_item.updated_at no longer moves when only click_count changes (sitemap lastmod stays meaningful)
--   * feed index for "popular within a category"
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions (run in one transaction):
--   DROP FUNCTION IF EXISTS refresh_trending(text, timestamptz, double precision, integer, integer);
--   DROP FUNCTION IF EXISTS rollup_content_clicks(interval, bigint);
--   DROP TABLE IF EXISTS content_click_hourly, discovery_rollup_state;
--   DROP INDEX IF EXISTS idx_content_item_feed_category_popular;
--   CREATE OR REPLACE TRIGGER trg_content_item_updated_at BEFORE UPDATE ON content_item
--       FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--   DROP FUNCTION IF EXISTS content_item_touch();

-- ---------------------------------------------------------------------------------------------
-- Hourly click rollup
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS content_click_hourly (
    content_id uuid        NOT NULL REFERENCES content_item (id) ON DELETE CASCADE,
    hour       timestamptz NOT NULL,   -- start of the UTC hour (date_bin, independent of the session time zone)
    clicks     integer     NOT NULL CHECK (clicks >= 0),
    PRIMARY KEY (content_id, hour)
);
COMMENT ON TABLE content_click_hourly IS
    'Counted clicks per item and UTC hour, rolled up from content_click by rollup_content_clicks(); input of refresh_trending().';

CREATE INDEX IF NOT EXISTS idx_content_click_hourly_hour
    ON content_click_hourly (hour) INCLUDE (content_id, clicks);
COMMENT ON INDEX idx_content_click_hourly_hour IS
    'refresh_trending(): index-only scan of the hours of a window (24h / 7d).';

CREATE TABLE IF NOT EXISTS discovery_rollup_state (
    name          text        PRIMARY KEY,
    last_click_id bigint      NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE discovery_rollup_state IS
    'High-water mark of rollup_content_clicks(): content_click rows with id <= last_click_id are counted.';

INSERT INTO discovery_rollup_state (name) VALUES ('content_click') ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION rollup_content_clicks(
    p_settle    interval DEFAULT interval '5 seconds',
    p_max_batch bigint   DEFAULT 1000000)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_from  bigint;
    v_to    bigint;
    v_count bigint;
BEGIN
    SELECT last_click_id INTO v_from FROM discovery_rollup_state WHERE name = 'content_click' FOR UPDATE;

    -- Clicks younger than p_settle wait for the next run, so a click whose single-statement insert has taken an
    -- id but not yet committed is not skipped by the high-water mark.
    SELECT max(id) INTO v_to
    FROM content_click
    WHERE id > v_from AND id <= v_from + p_max_batch AND clicked_at < now() - p_settle;
    IF v_to IS NULL THEN
        RETURN 0;
    END IF;

    CREATE TEMP TABLE IF NOT EXISTS pg_temp.rollup_batch (content_id uuid, hour timestamptz, clicks integer) ON COMMIT DROP;
    TRUNCATE pg_temp.rollup_batch;
    INSERT INTO pg_temp.rollup_batch
    SELECT content_id, date_bin(interval '1 hour', clicked_at, timestamptz '2000-01-01 00:00:00+00'), count(*)::integer
    FROM content_click
    WHERE id > v_from AND id <= v_to
    GROUP BY 1, 2;

    INSERT INTO content_click_hourly AS h (content_id, hour, clicks)
    SELECT content_id, hour, clicks FROM pg_temp.rollup_batch
    ON CONFLICT (content_id, hour) DO UPDATE SET clicks = h.clicks + EXCLUDED.clicks;

    UPDATE content_item c
    SET click_count = c.click_count + t.clicks
    FROM (SELECT content_id, sum(clicks) AS clicks FROM pg_temp.rollup_batch GROUP BY content_id) t
    WHERE c.id = t.content_id;

    SELECT coalesce(sum(clicks), 0) INTO v_count FROM pg_temp.rollup_batch;
    UPDATE discovery_rollup_state SET last_click_id = v_to, updated_at = now() WHERE name = 'content_click';
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION rollup_content_clicks(interval, bigint) IS
    'Incremental click aggregation: clicks after the high-water mark (older than p_settle, at most p_max_batch ids) are added to content_click_hourly and content_item.click_count; returns how many. Call under the trending advisory lock.';

-- ---------------------------------------------------------------------------------------------
-- Trending
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION refresh_trending(
    p_window           text,
    p_now              timestamptz      DEFAULT now(),
    p_gravity          double precision DEFAULT 1.8,
    p_top              integer          DEFAULT 10000,
    p_top_per_category integer          DEFAULT 1000)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_span    interval;
    v_changed integer;
    v_removed integer;
BEGIN
    v_span := CASE p_window WHEN '24h' THEN interval '24 hours' WHEN '7d' THEN interval '7 days' END;
    IF v_span IS NULL THEN
        RAISE EXCEPTION 'unknown trending window %', p_window USING ERRCODE = '22023';
    END IF;

    -- score = sum over the window's hours of clicks / (age_hours + 2) ^ gravity, age measured from the middle of
    -- the hour: each hour's clicks decay like the points of a Hacker News story of that age.
    WITH scored AS (
        SELECT h.content_id,
               sum(h.clicks)::integer AS clicks,
               sum(h.clicks / power(greatest(extract(epoch FROM p_now - h.hour) / 3600.0 - 0.5, 0) + 2, p_gravity)) AS score
        FROM content_click_hourly h
        WHERE h.hour >= p_now - v_span AND h.hour <= p_now
        GROUP BY h.content_id
    ), ranked AS (
        SELECT s.content_id, c.category_id, s.score, s.clicks,
               row_number() OVER (ORDER BY s.score DESC, s.content_id) AS overall,
               row_number() OVER (PARTITION BY c.category_id ORDER BY s.score DESC, s.content_id) AS in_category
        FROM scored s
        JOIN content_item c ON c.id = s.content_id
        WHERE c.status = 'published'
    ), kept AS (
        SELECT * FROM ranked WHERE overall <= p_top OR in_category <= p_top_per_category
    ), upserted AS (
        INSERT INTO trending_content AS t (content_id, time_window, category_id, score, click_count, rank, computed_at)
        SELECT content_id, p_window, category_id, score, clicks, overall, p_now FROM kept
        ON CONFLICT (time_window, content_id) DO UPDATE
            SET category_id = EXCLUDED.category_id, score = EXCLUDED.score, click_count = EXCLUDED.click_count,
                rank = EXCLUDED.rank, computed_at = EXCLUDED.computed_at
            WHERE (t.category_id, t.score, t.click_count, t.rank)
                  IS DISTINCT FROM (EXCLUDED.category_id, EXCLUDED.score, EXCLUDED.click_count, EXCLUDED.rank)
        RETURNING 1
    ), removed AS (
        DELETE FROM trending_content t
        WHERE t.time_window = p_window
          AND NOT EXISTS (SELECT 1 FROM kept k WHERE k.content_id = t.content_id)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM removed) INTO v_changed, v_removed;
    RETURN v_changed + v_removed;
END
$$;
COMMENT ON FUNCTION refresh_trending(text, timestamptz, double precision, integer, integer) IS
    'Recomputes trending_content for one window (24h | 7d) at p_now: score = sum(clicks_h / (age_h + 2)^gravity) over the window''s hours; keeps the top p_top overall and p_top_per_category per category; returns rows changed. Call under the trending advisory lock.';

-- ---------------------------------------------------------------------------------------------
-- updated_at means "the content changed": click counts alone do not move it
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION content_item_touch()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF (to_jsonb(NEW) - 'click_count' - 'updated_at' - 'search_vector')
       IS DISTINCT FROM (to_jsonb(OLD) - 'click_count' - 'updated_at' - 'search_vector') THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION content_item_touch() IS
    'BEFORE UPDATE trigger function of content_item: stamps updated_at unless only click_count changed (the click rollup).';

CREATE OR REPLACE TRIGGER trg_content_item_updated_at
    BEFORE UPDATE ON content_item
    FOR EACH ROW EXECUTE FUNCTION content_item_touch();

-- ---------------------------------------------------------------------------------------------
-- Feed index
-- ---------------------------------------------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_content_item_feed_category_popular
    ON content_item (category_id, click_count DESC, id DESC) WHERE status = 'published';
COMMENT ON INDEX idx_content_item_feed_category_popular IS
    'Category page, most clicked first: WHERE category_id = $1 AND status = ''published'' ORDER BY click_count DESC, id DESC (keyset).';

GRANT SELECT ON content_click_hourly TO app_anonymous, app_user;
