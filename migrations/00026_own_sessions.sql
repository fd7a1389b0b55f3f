-- The start page lists the sessions a user leads this week. Asked through
-- session_staff under row security, PostgreSQL checked the policy of every
-- session the user ever led (4,975 for a social worker of the 100k
-- synthetic set, each with the sessions policy and its participants) before
-- it could keep this week's: 230 ms. This function answers the same
-- question from the user's own staff rows and the sessions' start, once;
-- the sessions' own policy still decides which of them the user sees.
-- It returns ids only, and only the caller's own sessions (issue 15).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION prevention.my_sessions_between(p_from timestamptz, p_to timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT s.id FROM prevention.session_staff ss JOIN prevention.sessions s ON s.id = ss.session_id
  WHERE ss.user_id = org.current_user_id() AND s.started_at >= p_from AND s.started_at < p_to
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION prevention.my_sessions_between(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prevention.my_sessions_between(timestamptz, timestamptz) TO kurve_prevention;

-- +goose Down
DROP FUNCTION prevention.my_sessions_between(timestamptz, timestamptz);
