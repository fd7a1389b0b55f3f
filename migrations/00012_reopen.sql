-- Irreversible steps are deliberate (SPEC §3, issue "integrity").
--
-- completed is reached only through the closing interview: PostgreSQL
-- refuses to set it on a participant without a current closing. A
-- coordinator may reopen a case closed in error within 30 days, with a
-- reason: the closing interview of that case is kept, marked reopened (a
-- later closing interview is a new row), and the reopening is a status
-- change whose note (encrypted by the application) says why.

-- +goose Up
ALTER TABLE prevention.closings DROP CONSTRAINT closings_pkey;
ALTER TABLE prevention.closings
  ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  ADD COLUMN reopened_at timestamptz,
  ADD COLUMN reopened_by uuid REFERENCES org.users(id);
CREATE UNIQUE INDEX closings_current_idx ON prevention.closings (participant_id) WHERE reopened_at IS NULL;
GRANT UPDATE (reopened_at, reopened_by) ON prevention.closings TO kurve_prevention;

ALTER TABLE prevention.status_changes ADD COLUMN note_enc text;

-- +goose StatementBegin
CREATE FUNCTION prevention.completed_needs_closing() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF NEW.status = 'completed' AND OLD.status IS DISTINCT FROM 'completed' AND NOT EXISTS (
    SELECT 1 FROM prevention.closings c WHERE c.participant_id = NEW.id AND c.reopened_at IS NULL) THEN
    RAISE EXCEPTION 'participant % completed without a closing interview', NEW.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'completed_needs_closing';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER participants_completed_needs_closing BEFORE UPDATE OF status ON prevention.participants
  FOR EACH ROW EXECUTE FUNCTION prevention.completed_needs_closing();

-- +goose Down
DROP TRIGGER participants_completed_needs_closing ON prevention.participants;
DROP FUNCTION prevention.completed_needs_closing();
ALTER TABLE prevention.status_changes DROP COLUMN note_enc;
REVOKE UPDATE (reopened_at, reopened_by) ON prevention.closings FROM kurve_prevention;
DELETE FROM prevention.closings WHERE reopened_at IS NOT NULL;
DROP INDEX prevention.closings_current_idx;
ALTER TABLE prevention.closings DROP COLUMN reopened_by, DROP COLUMN reopened_at, DROP COLUMN id;
ALTER TABLE prevention.closings ADD PRIMARY KEY (participant_id);
