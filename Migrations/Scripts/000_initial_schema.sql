-- Migration: Initial schema (users, connected platform accounts, content items, subscriptions)
-- Purpose:
--   Core tables of the creator content discovery platform. Creators connect platform accounts
--   (YouTube channels, RSS/Atom feeds); the Workers import their content into content_item; every
--   user has one subscription row (free tier until Stripe says otherwise).
--   Also creates the cluster-wide roles used by the Api (app_user for signed-in callers,
--   app_anonymous for public reads) and the shared set_updated_at() trigger function.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here).
-- Works on PostgreSQL 15 and later.
--
-- Rollback instructions (run in one transaction; destroys all data of these tables):
--   DROP TABLE IF EXISTS subscription, content_item, platform_account, users CASCADE;
--   DROP FUNCTION IF EXISTS set_updated_at();
--   -- pg_trgm and the roles are shared with later migrations / other databases of the cluster:
--   -- DROP EXTENSION IF EXISTS pg_trgm;
--   -- Roles are cluster-wide: drop them only when no other database uses them:
--   -- DROP ROLE IF EXISTS app_user; DROP ROLE IF EXISTS app_anonymous;

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Roles are cluster-wide and several databases (tests, template clones) may be migrated at the
-- same time, so creation tolerates a concurrent creator. The migrating login user is made a member
-- so that the Api can `SET LOCAL ROLE app_user` / `SET LOCAL ROLE app_anonymous`.
DO $roles$
DECLARE
    v_role    text;
    v_can_set boolean;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['app_user', 'app_anonymous'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created concurrently by another migration run
            END;
        END IF;

        -- PostgreSQL 16+ separates membership from the right to SET ROLE (a CREATEROLE creator's
        -- implicit grant has SET FALSE), so check the right that the Api needs. Superusers pass.
        IF current_setting('server_version_num')::integer >= 160000 THEN
            v_can_set := pg_has_role(current_user, v_role, 'SET');
        ELSE
            v_can_set := pg_has_role(current_user, v_role, 'MEMBER');
        END IF;

        IF NOT v_can_set THEN
            BEGIN
                EXECUTE format('GRANT %I TO %I', v_role, current_user);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- granted concurrently by another migration run
            END;
        END IF;
    END LOOP;
END
$roles$;

GRANT USAGE ON SCHEMA public TO app_user, app_anonymous;

-- ---------------------------------------------------------------------------------------------
-- Shared trigger function
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION set_updated_at() IS
    'BEFORE UPDATE trigger function: stamps updated_at with the transaction time on every row update.';

-- ---------------------------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS users (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email        text,
    display_name text,
    role         text        NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'Platform users: creators, viewers who signed in, and admins.';

CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key
    ON users (lower(email)) WHERE email IS NOT NULL;
COMMENT ON INDEX users_email_lower_key IS
    'One account per e-mail address, case-insensitively; serves sign-in lookup by lower(email).';

CREATE OR REPLACE TRIGGER trg_users_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- platform_account: connected YouTube channel or RSS/Atom feed
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS platform_account (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform            text        NOT NULL CHECK (platform IN ('youtube', 'feed')),
    external_id         text        NOT NULL,        -- YouTube channel id, or the feed URL
    handle              text,
    url                 text,
    title               text,
    uploads_playlist_id text,                        -- YouTube: uploads playlist of the channel
    sync_state          jsonb       NOT NULL DEFAULT '{}'::jsonb, -- importer cursor (page tokens, last item ids)
    etag                text,                        -- HTTP/YouTube ETag for conditional requests
    last_modified       text,                        -- HTTP Last-Modified, echoed back verbatim
    last_synced_at      timestamptz,
    sync_interval       interval    CHECK (sync_interval IS NULL OR sync_interval > interval '0'),
    next_sync_at        timestamptz,
    is_active           boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT platform_account_user_platform_external_key UNIQUE (user_id, platform, external_id),
    CONSTRAINT platform_account_external_id_not_blank CHECK (btrim(external_id) <> '')
);
COMMENT ON TABLE platform_account IS
    'A creator''s connected content source (YouTube channel or RSS/Atom feed) and its sync state.';
COMMENT ON INDEX platform_account_user_platform_external_key IS
    'A source is connected once per creator; also serves listing a user''s accounts (leading user_id).';

CREATE INDEX IF NOT EXISTS idx_platform_account_next_sync
    ON platform_account (next_sync_at) WHERE is_active;
COMMENT ON INDEX idx_platform_account_next_sync IS
    'Sync scheduler: active accounts due for sync, ordered by next_sync_at.';

CREATE OR REPLACE TRIGGER trg_platform_account_updated_at
    BEFORE UPDATE ON platform_account
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- content_item: one imported video / article
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS content_item (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    creator_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform_account_id uuid        REFERENCES platform_account (id) ON DELETE SET NULL,
    platform            text        NOT NULL,
    external_id         text        NOT NULL,        -- YouTube video id, or the feed entry id/link
    title               text        NOT NULL,
    description         text        NOT NULL DEFAULT '',
    url                 text,
    thumbnail_url       text,
    published_at        timestamptz,
    duration_seconds    integer     CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
    view_count          bigint      DEFAULT 0 CHECK (view_count IS NULL OR view_count >= 0),
    like_count          bigint      DEFAULT 0 CHECK (like_count IS NULL OR like_count >= 0),
    status              text        NOT NULL DEFAULT 'published'
                                    CHECK (status IN ('draft', 'published', 'unpublished', 'removed')),
    content_hash        text,                        -- hash of the imported fields; detects changes on re-sync
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT content_item_platform_external_key UNIQUE (platform, external_id)
);
COMMENT ON TABLE content_item IS 'Creators'' content imported from YouTube and RSS/Atom feeds.';
COMMENT ON INDEX content_item_platform_external_key IS
    'Importer upsert key: INSERT ... ON CONFLICT (platform, external_id).';

CREATE INDEX IF NOT EXISTS idx_content_item_creator_published
    ON content_item (creator_id, published_at DESC, id DESC);
COMMENT ON INDEX idx_content_item_creator_published IS
    'A creator''s content, newest first, keyset-paginated on (published_at, id); also the creator_id FK.';

CREATE INDEX IF NOT EXISTS idx_content_item_platform_account
    ON content_item (platform_account_id) WHERE platform_account_id IS NOT NULL;
COMMENT ON INDEX idx_content_item_platform_account IS
    'Items of one connected account (re-sync diffing) and ON DELETE SET NULL of platform_account.';

CREATE OR REPLACE TRIGGER trg_content_item_updated_at
    BEFORE UPDATE ON content_item
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- subscription: one per user; free tier by default, Stripe-managed for paid tiers
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS subscription (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id              uuid        NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    tier                 text        NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'business')),
    status               text        NOT NULL DEFAULT 'active'
                                     CHECK (status IN ('active', 'trialing', 'past_due', 'canceled',
                                                       'incomplete', 'incomplete_expired', 'unpaid', 'paused')),
    current_period_end   timestamptz,
    cancel_at_period_end boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE subscription IS
    'A user''s plan. status mirrors Stripe subscription statuses; free users are ''active'' on tier ''free''.';

COMMENT ON INDEX subscription_user_id_key IS
    'One subscription per user; serves the lookup of the caller''s plan by user_id.';

CREATE OR REPLACE TRIGGER trg_subscription_updated_at
    BEFORE UPDATE ON subscription
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
