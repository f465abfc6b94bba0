-- Migration: drop the trigram index on content titles
-- Purpose:
--   idx_content_item_title_trgm (001) served the search's old typo fallback, which trigram-matched the query against
--   every title. Since 009 a typo is corrected against search_word (a dictionary of title words with its own trigram
--   index), so nothing reads this index any more, while every imported or edited item still paid for it (GIN entries
--   per title trigram; 135 MB on the 1M-item seed, more than the full-text index). The ingestion bench (10,000 videos)
--   showed no difference beyond its noise, so this is housekeeping, not a speed-up. A plain DROP INDEX holds
--   content_item's lock only for the catalog change (milliseconds); the Migrations runner runs before the services.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
--
-- Rollback instructions:
--   CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_content_item_title_trgm ON content_item USING gin (title gin_trgm_ops);

DROP INDEX IF EXISTS idx_content_item_title_trgm;
