-- The user's cases, read with the day and the user taken once (issue 15).
--
-- prevention.my_cases (migration 00023) is the InitPlan of every
-- participant policy, and a statement through session_participants or
-- sessions asks it up to three times. Its query filtered the user's
-- assignments with org.today() and org.current_user_id() in the filter,
-- which PostgreSQL evaluates per row: two settings read and a text cast
-- to date for each assignment: 150–235 µs a call for social workers of
-- the 100k synthetic set (one with 201 assignments, 31 current). The
-- case page cost PostgreSQL about 10 ms per request, more than the app's
-- own work on the page, much of it in these calls.
--
-- Now the function reads the user, the role and the day once into
-- variables and walks only current assignments: the open ones
-- (until_on IS NULL) and those ending today or later, two range scans of
-- an index on (user_id, kind, until_on) that replaces the one on
-- (user_id, kind). 38 µs a call; 5 µs when the role does not match.
-- my_participants (the assignments policy's "cases of the user of any
-- kind") reads the user and the day once too.
--
-- The rules are unchanged: the caller's own current assignments of the
-- kind, only while their role is that kind; nothing when there is no
-- user.

-- +goose Up
CREATE INDEX assignments_user_kind_until_idx ON prevention.assignments (user_id, kind, until_on) INCLUDE (participant_id, from_on);
DROP INDEX prevention.assignments_user_kind_idx;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_cases(p_kind text) RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me uuid := org.current_user_id();
  d date := org.today();
BEGIN
  IF me IS NULL OR org.current_app_role() IS DISTINCT FROM p_kind THEN
    RETURN '{}';
  END IF;
  RETURN (SELECT coalesce(array_agg(x.participant_id), '{}') FROM (
    SELECT a.participant_id FROM prevention.assignments a
    WHERE a.user_id = me AND a.kind = p_kind AND a.until_on IS NULL AND a.from_on <= d
    UNION ALL
    SELECT a.participant_id FROM prevention.assignments a
    WHERE a.user_id = me AND a.kind = p_kind AND a.until_on >= d AND a.from_on <= d) x);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_participants() RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me uuid := org.current_user_id();
  d date := org.today();
BEGIN
  RETURN QUERY SELECT a.participant_id FROM prevention.assignments a
    WHERE a.user_id = me AND a.from_on <= d AND (a.until_on IS NULL OR a.until_on >= d);
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_participants() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT a.participant_id FROM prevention.assignments a
  WHERE a.user_id = org.current_user_id() AND a.from_on <= org.today()
    AND (a.until_on IS NULL OR a.until_on >= org.today())
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_cases(p_kind text) RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(a.participant_id), '{}') FROM prevention.assignments a
    WHERE a.user_id = org.current_user_id() AND a.kind = p_kind AND org.current_app_role() = p_kind
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today()));
END
$$;
-- +goose StatementEnd

CREATE INDEX assignments_user_kind_idx ON prevention.assignments (user_id, kind) INCLUDE (participant_id, from_on, until_on);
DROP INDEX prevention.assignments_user_kind_until_idx;
