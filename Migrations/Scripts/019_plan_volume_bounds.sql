-- Migration: volumes bounded by plan (connects, AI tagging, YouTube quota per day) and one YouTube walk per channel
-- Purpose:
--   * daily_allowance_usage: how much of a daily allowance a user (or the whole platform) has used on a UTC day:
--     'platform_changes' (connects + disconnects, per user), 'tagging_calls' (AI tagging calls, per user, and
--     platform-wide under the nil uuid), 'youtube_units' (YouTube Data API quota units spent by a user's syncs).
--     Counted in PostgreSQL so a bound holds across replicas and restarts. The bounds themselves live in code
--     (Core/Billing/TierEntitlements.cs, Tagging__DailyCallLimit).
--   * take_daily_allowance(): takes an amount from one allowance if it fits under the limit (atomic, race-safe); the
--     Api's app_user may call it only for its own user (app.user_id), the Workers for anyone.
--   * youtube_channel_walk: the last complete walk of a channel's uploads playlist, whoever's account made it, so a
--     second user's (or a reconnected) account walks only the new uploads instead of the whole list again.
-- Runs inside one transaction opened by the Migrations runner (no BEGIN/COMMIT here). PostgreSQL 15+.
--
-- Rollback instructions (run in one transaction; forgets the day's usage and the walks):
--   DROP FUNCTION IF EXISTS take_daily_allowance(text, uuid, integer, integer);
--   DROP TABLE IF EXISTS daily_allowance_usage, youtube_channel_walk;

CREATE TABLE IF NOT EXISTS daily_allowance_usage (
    counter  text    NOT NULL CHECK (counter IN ('platform_changes', 'tagging_calls', 'youtube_units')),
    scope_id uuid    NOT NULL,
    day      date    NOT NULL,
    used     integer NOT NULL CHECK (used >= 0),
    PRIMARY KEY (counter, scope_id, day)
);
COMMENT ON TABLE daily_allowance_usage IS
    'Used amount of a daily allowance per scope (a user id, or the nil uuid for the whole platform) and UTC day. Rows of past days are only history; take_daily_allowance() deletes those older than 7 days.';

ALTER TABLE daily_allowance_usage ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS daily_allowance_usage_deny_app ON daily_allowance_usage;
CREATE POLICY daily_allowance_usage_deny_app ON daily_allowance_usage
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);

CREATE OR REPLACE FUNCTION take_daily_allowance(p_counter text, p_scope uuid, p_amount integer, p_limit integer)
RETURNS TABLE (allowed boolean, used integer, resets_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
DECLARE
    v_caller uuid := app_current_user_id();
    v_day    date := (now() AT TIME ZONE 'UTC')::date;
    v_used   integer;
BEGIN
    IF v_caller IS NOT NULL AND v_caller <> p_scope THEN
        RAISE EXCEPTION 'take_daily_allowance: a user may take only from their own allowance' USING ERRCODE = '42501';
    END IF;
    IF p_amount IS NULL OR p_amount < 0 OR p_limit IS NULL THEN
        RAISE EXCEPTION 'take_daily_allowance: amount must be >= 0 and limit given' USING ERRCODE = '22023';
    END IF;

    INSERT INTO public.daily_allowance_usage AS u (counter, scope_id, day, used)
    SELECT p_counter, p_scope, v_day, p_amount
    WHERE p_amount <= p_limit
    ON CONFLICT (counter, scope_id, day) DO UPDATE SET used = u.used + EXCLUDED.used
    WHERE u.used + EXCLUDED.used <= p_limit
    RETURNING u.used INTO v_used;

    IF FOUND THEN
        -- A scope's first take of a day: forget its week-old history (cheap, by the primary key).
        IF v_used = p_amount THEN
            DELETE FROM public.daily_allowance_usage d
            WHERE d.counter = p_counter AND d.scope_id = p_scope AND d.day < v_day - 7;
        END IF;
        RETURN QUERY SELECT true, v_used, (v_day + 1)::timestamp AT TIME ZONE 'UTC';
        RETURN;
    END IF;

    SELECT d.used INTO v_used FROM public.daily_allowance_usage d
    WHERE d.counter = p_counter AND d.scope_id = p_scope AND d.day = v_day;
    RETURN QUERY SELECT false, coalesce(v_used, 0), (v_day + 1)::timestamp AT TIME ZONE 'UTC';
END
$$;
COMMENT ON FUNCTION take_daily_allowance(text, uuid, integer, integer) IS
    'Takes p_amount from the allowance p_counter of p_scope for the current UTC day when used + p_amount <= p_limit. Returns whether it was taken, the amount used afterwards (or as it stands), and when the day ends (UTC midnight). Under app_user only for app.user_id.';
REVOKE ALL ON FUNCTION take_daily_allowance(text, uuid, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION take_daily_allowance(text, uuid, integer, integer) TO app_user;

CREATE TABLE IF NOT EXISTS youtube_channel_walk (
    channel_id          text        PRIMARY KEY CHECK (btrim(channel_id) <> ''),
    platform_account_id uuid        REFERENCES platform_account (id) ON DELETE SET NULL,
    walked_at           timestamptz NOT NULL,
    videos              integer     NOT NULL CHECK (videos >= 0)
);
COMMENT ON TABLE youtube_channel_walk IS
    'The last walk of a YouTube channel''s uploads playlist that reached its end, and the account that made it (NULL once disconnected). Another account of the channel whose sync finds a recent walk here walks only the uploads not stored yet.';

ALTER TABLE youtube_channel_walk ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS youtube_channel_walk_deny_app ON youtube_channel_walk;
CREATE POLICY youtube_channel_walk_deny_app ON youtube_channel_walk
    AS RESTRICTIVE FOR ALL TO app_user, app_anonymous
    USING (false)
    WITH CHECK (false);
