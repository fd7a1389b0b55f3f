-- The sessions a user leads in a week, from the user's own staff rows
-- (issue 15). prevention.my_sessions_between (migration 00033) walked the
-- site's sessions of the week and asked each for the user's staff row:
-- at the largest site of the 100k synthetic set about 6,400 buffers and
-- 4.7 ms, the larger part of a social worker's start page in PostgreSQL,
-- and growing with the site.
--
-- A staff row now carries its session's start. The copy cannot drift:
-- (session_id, started_at) is a foreign key to the session's
-- (id, started_at) with ON UPDATE CASCADE, so moving a session moves its
-- staff rows (PostgreSQL runs the cascade as the table's owner, outside
-- row security), and a staff row with another start is refused. The
-- function walks (user_id, started_at): as many rows as the user has
-- sessions in the range, whatever the site's size. It still returns ids
-- only and only the caller's own sessions; the sessions' own policy still
-- decides which of them the user sees.

-- +goose Up
ALTER TABLE prevention.session_staff ADD COLUMN started_at timestamptz;
UPDATE prevention.session_staff ss SET started_at = s.started_at FROM prevention.sessions s WHERE s.id = ss.session_id;
ALTER TABLE prevention.session_staff ALTER COLUMN started_at SET NOT NULL;
ALTER TABLE prevention.sessions ADD CONSTRAINT sessions_id_started_key UNIQUE (id, started_at);
ALTER TABLE prevention.session_staff ADD CONSTRAINT session_staff_session_started_fkey
  FOREIGN KEY (session_id, started_at) REFERENCES prevention.sessions (id, started_at) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX session_staff_user_started_idx ON prevention.session_staff (user_id, started_at) INCLUDE (session_id);
DROP INDEX prevention.session_staff_user_idx;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_sessions_between(p_from timestamptz, p_to timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT ss.session_id FROM prevention.session_staff ss
  WHERE ss.user_id = org.current_user_id() AND ss.started_at >= p_from AND ss.started_at < p_to
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_sessions_between(p_from timestamptz, p_to timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT s.id FROM prevention.sessions s
  WHERE s.site_id = org.current_site_id() AND s.started_at >= p_from AND s.started_at < p_to
    AND EXISTS (SELECT 1 FROM prevention.session_staff ss WHERE ss.user_id = org.current_user_id() AND ss.session_id = s.id)
$$;
-- +goose StatementEnd

CREATE INDEX session_staff_user_idx ON prevention.session_staff (user_id);
DROP INDEX prevention.session_staff_user_started_idx;
ALTER TABLE prevention.session_staff DROP CONSTRAINT session_staff_session_started_fkey;
ALTER TABLE prevention.sessions DROP CONSTRAINT sessions_id_started_key;
ALTER TABLE prevention.session_staff DROP COLUMN started_at;
