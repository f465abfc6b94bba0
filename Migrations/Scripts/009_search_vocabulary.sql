-- Migration: a vocabulary of title words for typo correction in search
-- Purpose:
--   The search's typo fallback matched the query against every title with pg_trgm (idx_content_item_title_trgm).
--   With 1,000,000 items the trigram index scan alone took 6-8 ms for a word like "minecraf" (the posting lists of
--   common trigrams are long), so a typo was the slowest search. Now a typo is corrected word by word against the
--   distinct words of published titles (search_word, a few thousand to a few hundred thousand rows, trigram-indexed:
--   well under a millisecond), and the corrected query runs as an ordinary ranked full-text search.
--   * search_word: each distinct title word (3-40 letters or digits, lower case) and in how many titles it occurs
--   * refresh_search_words(full_every): adds the words of titles changed since the last refresh; rebuilds the whole
--     table (counts, and words that left) when the last rebuild is older than full_every. The Workers call it on
--     every trending tick; one replica at a time (a transaction-level advisory lock)
--   * app_anonymous and app_user may read search_word
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions (one transaction):
--   DROP FUNCTION IF EXISTS refresh_search_words(interval);
--   DROP TABLE IF EXISTS search_word, search_word_state;

CREATE TABLE IF NOT EXISTS search_word (
    word      text    PRIMARY KEY,
    documents integer NOT NULL CHECK (documents >= 0),
    CONSTRAINT search_word_word_check CHECK (char_length(word) BETWEEN 3 AND 40)
);
COMMENT ON TABLE search_word IS
    'Distinct words of published titles (lower case) with the number of titles holding them: the dictionary the search corrects typos against.';

CREATE INDEX IF NOT EXISTS idx_search_word_trgm ON search_word USING gin (word gin_trgm_ops);
COMMENT ON INDEX idx_search_word_trgm IS
    'Search typo correction: words similar to a query word (pg_trgm %), then the closest by similarity() and frequency.';

CREATE TABLE IF NOT EXISTS search_word_state (
    id              boolean     PRIMARY KEY DEFAULT true CHECK (id),
    refreshed_at    timestamptz,      -- titles changed before this are in search_word
    full_rebuild_at timestamptz       -- the last complete recount
);
INSERT INTO search_word_state (id) VALUES (true) ON CONFLICT (id) DO NOTHING;
COMMENT ON TABLE search_word_state IS 'One row: how far refresh_search_words() has read content_item.';

CREATE OR REPLACE FUNCTION refresh_search_words(p_full_every interval DEFAULT interval '24 hours')
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    v_state   search_word_state;
    v_started timestamptz := clock_timestamp();
    v_count   integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('refresh_search_words')) THEN
        RETURN -1;  -- another session is refreshing
    END IF;
    SELECT * INTO v_state FROM search_word_state WHERE id;

    IF v_state.full_rebuild_at IS NULL OR v_state.full_rebuild_at < now() - p_full_every THEN
        DELETE FROM search_word;
        INSERT INTO search_word (word, documents)
        SELECT s.word, s.ndoc
        FROM ts_stat($q$SELECT to_tsvector('simple', title) FROM content_item WHERE status = 'published'$q$) s
        WHERE s.word ~ '^[[:alnum:]]{3,40}$';
        GET DIAGNOSTICS v_count = ROW_COUNT;
        UPDATE search_word_state SET refreshed_at = v_started, full_rebuild_at = v_started WHERE id;
        RETURN v_count;
    END IF;

    -- Titles changed since the last refresh (a minute of overlap for transactions that committed late): new words
    -- come in; counts are recounted by the next rebuild.
    INSERT INTO search_word (word, documents)
    SELECT s.word, s.ndoc
    FROM ts_stat(format($q$SELECT to_tsvector('simple', title) FROM content_item
                         WHERE status = 'published' AND updated_at >= %L$q$,
                        v_state.refreshed_at - interval '1 minute')) s
    WHERE s.word ~ '^[[:alnum:]]{3,40}$'
    ON CONFLICT (word) DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    UPDATE search_word_state SET refreshed_at = v_started WHERE id;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION refresh_search_words(interval) IS
    'Adds the words of recently changed published titles to search_word, or rebuilds it when the last rebuild is older than p_full_every; returns the words written (-1 when another session is at it).';

CREATE INDEX IF NOT EXISTS idx_content_item_updated_at ON content_item USING brin (updated_at);
COMMENT ON INDEX idx_content_item_updated_at IS
    'refresh_search_words(): titles changed since the last refresh (rows are mostly written in time order).';

GRANT SELECT ON search_word TO app_anonymous, app_user;
