-- The sessions a user leads this week, from the week's sessions of their
-- site (issue 15). prevention.my_sessions_between (migration 00026) walked
-- every session the user ever led and kept this week's: 3,950 for the
-- busiest social worker of the 100k synthetic set, 46 ms of the 60 ms of
-- their start page. It now walks the site's sessions of the week by
-- (site_id, started_at) and asks each for the user's staff row by its
-- primary key: 778 sessions at the largest site, 1.2 ms, and the cost
-- no longer grows with the years a user has worked. Staff lead sessions
-- of their own site (a user changes site only once their assignments
-- have ended, trigger org.users_keep_assignments, migration 00020), so the
-- answer is the same for this week; it still returns ids only
-- and only the caller's own sessions, and the sessions' own policy still
-- decides which of them the user sees.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_sessions_between(p_from timestamptz, p_to timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT s.id FROM prevention.sessions s
  WHERE s.site_id = org.current_site_id() AND s.started_at >= p_from AND s.started_at < p_to
    AND EXISTS (SELECT 1 FROM prevention.session_staff ss WHERE ss.user_id = org.current_user_id() AND ss.session_id = s.id)
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_sessions_between(p_from timestamptz, p_to timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT s.id FROM prevention.session_staff ss JOIN prevention.sessions s ON s.id = ss.session_id
  WHERE ss.user_id = org.current_user_id() AND s.started_at >= p_from AND s.started_at < p_to
$$;
-- +goose StatementEnd
