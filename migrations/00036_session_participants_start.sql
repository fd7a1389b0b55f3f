-- A child's sessions, newest first, from the child's own attendance rows
-- (issue 15). The case page lists a child's latest 10 sessions, the
-- sessions page and the API 50 a page; each read every session the child
-- ever attended (57 for a case of the 100k synthetic set, each through the
-- sessions' and the attendance's row security: about 950 buffers and
-- 1.2 ms per case page) and sorted them to keep the latest.
--
-- An attendance row now carries its session's start, like a staff row
-- (migration 00035): (session_id, started_at) is a foreign key to the
-- session's (id, started_at) with ON UPDATE CASCADE, so moving a session
-- moves its attendance rows (PostgreSQL runs the cascade as the table's
-- owner, outside row security), and a row with another start is refused.
-- The index (participant_id, started_at, session_id) replaces the one on
-- participant_id alone: a page of a child's sessions is a walk of as many
-- of its entries as it shows. Nothing about who sees what changes.

-- +goose Up
ALTER TABLE prevention.session_participants ADD COLUMN started_at timestamptz;
UPDATE prevention.session_participants sp SET started_at = s.started_at FROM prevention.sessions s WHERE s.id = sp.session_id;
ALTER TABLE prevention.session_participants ALTER COLUMN started_at SET NOT NULL;
ALTER TABLE prevention.session_participants ADD CONSTRAINT session_participants_session_started_fkey
  FOREIGN KEY (session_id, started_at) REFERENCES prevention.sessions (id, started_at) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX session_participants_participant_started_idx ON prevention.session_participants (participant_id, started_at, session_id);
DROP INDEX prevention.session_participants_participant_idx;

-- +goose Down
CREATE INDEX session_participants_participant_idx ON prevention.session_participants (participant_id);
DROP INDEX prevention.session_participants_participant_started_idx;
ALTER TABLE prevention.session_participants DROP CONSTRAINT session_participants_session_started_fkey;
ALTER TABLE prevention.session_participants DROP COLUMN started_at;
