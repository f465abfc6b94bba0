-- Migration: creator accounts (sign-in from any OIDC issuer, self-service profile, leaving)
-- Purpose:
--   * user_identity: external identities (issuer, subject) -> users.id; a user is found or created from the token's
--     iss/sub on first sign-in by sign_in_identity() (free plan included). Internal ids stay uuids.
--   * users.deleted_at: a deleted account keeps a row with nothing personal in it, so the billing records Stripe and
--     tax law need (subscription, billing_audit) still point at something.
--   * public_name_history: usernames given up (renamed or deleted) and the slugs of deleted items, as SHA-256 digests
--     of their lower-case text (no readable trace of a deleted creator's names). An old username answers 301 to the
--     new one, a deleted creator's pages 410, for 90 days; meanwhile nobody else can take the name.
--   * app_user may update the profile columns of its own row (row-level security), nothing else of users.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions (run in one transaction; forgets every external identity and name history):
--   DROP FUNCTION IF EXISTS sign_in_identity(text, text, uuid, text), public_name_status(text, text);
--   DROP TRIGGER IF EXISTS trg_users_username_claim ON users;
--   DROP TRIGGER IF EXISTS trg_users_username_retire ON users;
--   DROP FUNCTION IF EXISTS users_username_claim(), users_username_retire(), public_name_digest(text);
--   DROP POLICY IF EXISTS users_update_own_profile ON users;
--   REVOKE UPDATE ON users FROM app_user;
--   DROP TABLE IF EXISTS public_name_history, user_identity;
--   ALTER TABLE users DROP COLUMN IF EXISTS deleted_at;

ALTER TABLE users ADD COLUMN IF NOT EXISTS deleted_at timestamptz;
COMMENT ON COLUMN users.deleted_at IS
    'When the account was deleted (DELETE /api/me): the row stays, emptied, for the billing records that reference it.';

-- ---------------------------------------------------------------------------------------------
-- user_identity
-- ---------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS user_identity (
    issuer     text        NOT NULL CHECK (btrim(issuer) <> '' AND char_length(issuer) <= 2048),
    subject    text        NOT NULL CHECK (subject <> '' AND char_length(subject) <= 255),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
COMMENT ON TABLE user_identity IS
    'Who a token is: (iss, sub) of an OIDC issuer -> users.id. The same subject at two issuers is two users.';

CREATE INDEX IF NOT EXISTS idx_user_identity_user ON user_identity (user_id);
COMMENT ON INDEX idx_user_identity_user IS 'A user''s identities (export, account deletion) and the users FK.';

ALTER TABLE user_identity ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS user_identity_deny_app ON user_identity;
CREATE POLICY user_identity_deny_app ON user_identity
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);

CREATE OR REPLACE FUNCTION sign_in_identity(
    p_issuer         text,
    p_subject        text,
    p_local_user_id  uuid DEFAULT NULL,
    p_verified_email text DEFAULT NULL)
RETURNS TABLE (user_id uuid, is_deleted boolean, created boolean)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_user    uuid;
    v_rows    integer;
    v_email   text := nullif(btrim(p_verified_email), '');
BEGIN
    IF p_issuer IS NULL OR btrim(p_issuer) = '' OR p_subject IS NULL OR p_subject = '' THEN
        RAISE EXCEPTION 'sign_in_identity: issuer and subject are required' USING ERRCODE = '22023';
    END IF;

    SELECT i.user_id INTO v_user FROM user_identity i WHERE i.issuer = p_issuer AND i.subject = p_subject;
    IF NOT FOUND THEN
        -- First sign-in: one at a time per identity, so two concurrent first requests make one user.
        PERFORM pg_advisory_xact_lock(hashtextextended('identity:' || p_issuer || chr(10) || p_subject, 0));
        SELECT i.user_id INTO v_user FROM user_identity i WHERE i.issuer = p_issuer AND i.subject = p_subject;
    END IF;

    IF NOT FOUND THEN
        v_user := coalesce(p_local_user_id, gen_random_uuid());
        IF EXISTS (SELECT 1 FROM users u WHERE u.id = v_user AND u.deleted_at IS NOT NULL) THEN
            -- The local issuer's uuid subject of a deleted account: it stays deleted.
            RETURN QUERY SELECT v_user, true, false;
            RETURN;
        END IF;

        -- A verified e-mail is kept only when no other account has it: it never links two identities and a clash
        -- is never reported (that would tell the caller the address has an account here).
        INSERT INTO users (id, email)
        SELECT v_user, v_email
        WHERE v_email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(v_email))
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows = 0 THEN
            INSERT INTO users (id) VALUES (v_user) ON CONFLICT DO NOTHING;  -- exists already (local id) or e-mail raced
            GET DIAGNOSTICS v_rows = ROW_COUNT;
        END IF;

        INSERT INTO user_identity (issuer, subject, user_id) VALUES (p_issuer, p_subject, v_user);
        INSERT INTO subscription (user_id, tier, status) VALUES (v_user, 'free', 'active')
        ON CONFLICT ON CONSTRAINT subscription_user_id_key DO NOTHING;
    END IF;

    RETURN QUERY SELECT u.id, u.deleted_at IS NOT NULL, coalesce(v_rows, 0) > 0 FROM users u WHERE u.id = v_user;
END
$$;
COMMENT ON FUNCTION sign_in_identity(text, text, uuid, text) IS
    'Sign-in: the user of (issuer, subject), created on first sign-in with the free plan (race-safe). p_local_user_id: the id to use for a new user (the platform''s own issuer, whose subjects are user ids); p_verified_email: only an address the issuer marked verified, stored when no other account has it.';

-- ---------------------------------------------------------------------------------------------
-- public_name_history: old usernames (301 / 410) and deleted items' slugs (410)
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION public_name_digest(p_name text)
RETURNS bytea
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT sha256(convert_to(lower(p_name), 'UTF8')) $$;
COMMENT ON FUNCTION public_name_digest(text) IS
    'SHA-256 of the lower-cased name: the key of public_name_history (names are matched case-insensitively).';

CREATE TABLE IF NOT EXISTS public_name_history (
    kind        text        NOT NULL CHECK (kind IN ('username', 'content_slug')),
    name_digest bytea       NOT NULL CHECK (octet_length(name_digest) = 32),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    retired_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, name_digest)
);
COMMENT ON TABLE public_name_history IS
    'Public names a user gave up: usernames (renamed: 301 to the current one; account deleted: 410) and slugs of deleted items (410), until expires_at. Digests only.';

CREATE INDEX IF NOT EXISTS idx_public_name_history_user ON public_name_history (user_id);
COMMENT ON INDEX idx_public_name_history_user IS 'The users FK (ON DELETE CASCADE).';

ALTER TABLE public_name_history ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS public_name_history_deny_app ON public_name_history;
CREATE POLICY public_name_history_deny_app ON public_name_history
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);

-- Taking a username: refused (unique_violation, constraint users_username_recently_used) while another user's old
-- name is reserved for its redirect; taking one's own old name back (or an expired one) ends its history.
CREATE OR REPLACE FUNCTION users_username_claim()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    IF NEW.username IS NOT NULL AND (TG_OP = 'INSERT' OR lower(NEW.username) IS DISTINCT FROM lower(OLD.username)) THEN
        IF EXISTS (SELECT 1 FROM public_name_history h
                   WHERE h.kind = 'username' AND h.name_digest = public_name_digest(NEW.username)
                     AND h.user_id <> NEW.id AND h.expires_at > now()) THEN
            RAISE EXCEPTION 'username % was used by another account recently', NEW.username
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'users_username_recently_used';
        END IF;
        DELETE FROM public_name_history h
        WHERE h.kind = 'username' AND h.name_digest = public_name_digest(NEW.username);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION users_username_claim() IS
    'BEFORE INSERT/UPDATE OF username trigger: a username another account gave up less than 90 days ago is refused (23505, users_username_recently_used).';

CREATE OR REPLACE TRIGGER trg_users_username_claim
    BEFORE INSERT OR UPDATE OF username ON users
    FOR EACH ROW EXECUTE FUNCTION users_username_claim();

CREATE OR REPLACE FUNCTION users_username_retire()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    IF OLD.username IS NOT NULL AND lower(OLD.username) IS DISTINCT FROM lower(NEW.username) THEN
        INSERT INTO public_name_history AS h (kind, name_digest, user_id, expires_at)
        VALUES ('username', public_name_digest(OLD.username), OLD.id, now() + interval '90 days')
        ON CONFLICT (kind, name_digest) DO UPDATE
            SET user_id = EXCLUDED.user_id, retired_at = now(), expires_at = EXCLUDED.expires_at;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION users_username_retire() IS
    'AFTER UPDATE OF username trigger: the old username is remembered (as a digest) for 90 days, so /@{old} answers 301 (or 410 once the account is deleted).';

CREATE OR REPLACE TRIGGER trg_users_username_retire
    AFTER UPDATE OF username ON users
    FOR EACH ROW EXECUTE FUNCTION users_username_retire();

CREATE OR REPLACE FUNCTION public_name_status(p_kind text, p_name text)
RETURNS TABLE (status text, current_username text)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
    SELECT CASE WHEN u.deleted_at IS NOT NULL THEN 'gone' ELSE 'moved' END,
           CASE WHEN u.deleted_at IS NULL THEN u.username END
    FROM public_name_history h
    JOIN users u ON u.id = h.user_id
    WHERE h.kind = p_kind
      AND h.name_digest = public_name_digest(p_name)
      AND h.expires_at > now()
      AND (u.deleted_at IS NOT NULL OR (p_kind = 'username' AND u.is_public AND u.username IS NOT NULL))
$$;
COMMENT ON FUNCTION public_name_status(text, text) IS
    'For a username or slug that no longer resolves: ''moved'' with the public creator''s current username, ''gone'' when the account was deleted, no row otherwise (404). Reveals nothing a visitor could not see before.';

REVOKE ALL ON FUNCTION sign_in_identity(text, text, uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION public_name_status(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public_name_status(text, text) TO app_anonymous, app_user;

-- ---------------------------------------------------------------------------------------------
-- The profile is the user's own to edit (PATCH /api/me/profile runs as app_user)
-- ---------------------------------------------------------------------------------------------
GRANT UPDATE (username, display_name, bio, avatar_url, website_url, social_links, is_public) ON users TO app_user;

DROP POLICY IF EXISTS users_update_own_profile ON users;
CREATE POLICY users_update_own_profile ON users
    FOR UPDATE TO app_user
    USING (id = app_current_user_id() AND deleted_at IS NULL)
    WITH CHECK (id = app_current_user_id());
