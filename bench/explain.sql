-- EXPLAIN of the public API's queries on a seeded database (bench/README.md):
--   psql "$DB" -X -f bench/explain.sql | grep -E "Scan|Execution Time"
\set cols 'c.id, c.slug, c.title, c.url, c.thumbnail_url, c.platform, cat.slug, c.published_at, c.duration_seconds, c.view_count, c.click_count, u.username, u.display_name, u.avatar_url'
\set from 'content_item c JOIN users u ON u.id = c.creator_id LEFT JOIN content_category cat ON cat.id = c.category_id'
\set visible 'c.status = ''published'' AND u.is_public AND u.username IS NOT NULL'
\echo '== feed recent'
EXPLAIN (ANALYZE, COSTS OFF) SELECT :cols FROM :from WHERE :visible ORDER BY c.published_at DESC, c.id DESC LIMIT 21;
\echo '== feed recent, category'
EXPLAIN (ANALYZE, COSTS OFF) SELECT :cols FROM :from WHERE :visible AND c.category_id = (SELECT id FROM content_category WHERE slug = 'music') ORDER BY c.published_at DESC, c.id DESC LIMIT 21;
\echo '== feed popular, category'
EXPLAIN (ANALYZE, COSTS OFF) SELECT :cols FROM :from WHERE :visible AND c.category_id = (SELECT id FROM content_category WHERE slug = 'music') ORDER BY c.click_count DESC, c.id DESC LIMIT 21;
\echo '== feed tag, newest (030: a walk of idx_content_tag_feed_recent; a rare and a popular tag)'
EXPLAIN (ANALYZE, COSTS OFF) SELECT :cols FROM content_tag t JOIN :from ON c.id = t.content_id WHERE t.tag = 'music-13' AND t.item_published_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM content_tag d WHERE d.content_id = t.content_id AND d.tag = t.tag AND d.source < t.source) AND :visible ORDER BY t.item_published_at DESC, t.content_id DESC LIMIT 21;
EXPLAIN (ANALYZE, COSTS OFF) SELECT :cols FROM content_tag t JOIN :from ON c.id = t.content_id WHERE t.tag = 'guitar' AND t.item_published_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM content_tag d WHERE d.content_id = t.content_id AND d.tag = t.tag AND d.source < t.source) AND :visible ORDER BY t.item_published_at DESC, t.content_id DESC LIMIT 21;
\echo '== feed trending, category'
EXPLAIN (ANALYZE, COSTS OFF) SELECT :cols, tc.score FROM trending_content tc JOIN :from ON c.id = tc.content_id WHERE tc.time_window = '7d' AND :visible AND tc.category_id = (SELECT id FROM content_category WHERE slug = 'music') ORDER BY tc.score DESC, tc.content_id LIMIT 21;
\echo '== creator page (the Api resolves the id first, as here)'
SELECT creator_id AS prolific FROM content_item GROUP BY creator_id ORDER BY count(*) DESC LIMIT 1 \gset
EXPLAIN (ANALYZE, COSTS OFF) SELECT :cols FROM :from WHERE :visible AND c.creator_id = :'prolific' ORDER BY c.published_at DESC, c.id DESC LIMIT 21;
\echo '== content by slug'
SELECT slug AS some_slug FROM content_item LIMIT 1 \gset
EXPLAIN (ANALYZE, COSTS OFF) SELECT c.id FROM content_item c JOIN users u ON u.id = c.creator_id WHERE c.slug = :'some_slug' AND c.status = 'published' AND u.is_public;
\echo '== search (full text)'
EXPLAIN (ANALYZE, COSTS OFF) WITH query AS (SELECT websearch_to_tsquery('english', 'guitar') AS tsq),
candidates AS (SELECT c.id, c.published_at, ts_rank(c.search_vector, query.tsq) AS rank FROM content_item c, query WHERE numnode(query.tsq) > 0 AND c.search_vector @@ query.tsq AND c.status = 'published' LIMIT 1000),
best AS (SELECT id, rank FROM candidates ORDER BY rank DESC, published_at DESC, id DESC LIMIT 80)
SELECT :cols, best.rank FROM best JOIN :from ON c.id = best.id WHERE :visible ORDER BY best.rank DESC, c.published_at DESC, c.id DESC LIMIT 20;
\echo '== search (typo fallback: correct each unknown word against search_word, then the full-text query again)'
EXPLAIN (ANALYZE, COSTS OFF) WITH words AS (SELECT t.word, t.position FROM regexp_split_to_table('sourdogh bred', '[^[:alnum:]]+') WITH ORDINALITY AS t(word, position) WHERE t.word <> ''),
corrected AS (SELECT w.position, w.word, CASE WHEN char_length(w.word) < 3 OR EXISTS (SELECT 1 FROM search_word s WHERE s.word = w.word) THEN w.word
  ELSE (SELECT s.word FROM search_word s WHERE s.word % w.word ORDER BY similarity(s.word, w.word) DESC, s.documents DESC, s.word LIMIT 1) END AS replacement FROM words w)
SELECT string_agg(coalesce(c.replacement, c.word), ' ' ORDER BY c.position) FROM corrected c;
