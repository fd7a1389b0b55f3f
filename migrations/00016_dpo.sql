-- The data-protection officer's side of the wall (issue 12, SPEC §2, §9).
--
-- Until now the dpo's requests ran as kurve_admin, the role that manages
-- sites and users. The dpo reads the audit log instead: who did what to
-- which record, when. kurve_dpo reads exactly that, the sites and the staff
-- directory (to name who acted), and nothing of either side's records: no
-- prevention, enforcement or statistics table. The viewer shows and filters
-- by case number through one narrow function, so that the dpo never reads
-- prevention.participants itself.

-- +goose Up

-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kurve_dpo') THEN
    CREATE ROLE kurve_dpo NOLOGIN NOINHERIT;
  END IF;
  -- SET ROLE requires membership of the connecting (session) user.
  EXECUTE format('GRANT kurve_dpo TO %I', session_user);
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA org TO kurve_dpo;
GRANT EXECUTE ON FUNCTION org.current_user_id(), org.current_site_id(), org.current_app_role(), org.today() TO kurve_dpo;
GRANT SELECT ON org.sites TO kurve_dpo;
-- Who acted: name, role and site of staff; no e-mail address, language,
-- password hash or second factor.
GRANT SELECT (id, site_id, name, role, active) ON org.users TO kurve_dpo;

-- The audit log: ids, action codes, roles, times and details, which hold
-- ids and codes only (models.AuditEvent), never names or notes. Like every
-- role the dpo appends (their own searches and downloads are audited) and
-- changes nothing.
GRANT USAGE ON SCHEMA audit TO kurve_dpo;
GRANT SELECT ON audit.events TO kurve_dpo;
GRANT INSERT (actor_id, actor_role, action, object_type, object_id, site_id, request_id, details) ON audit.events TO kurve_dpo;
GRANT USAGE ON SEQUENCE audit.events_id_seq TO kurve_dpo;

-- Like every signed-in side, the dpo keeps their own answers of idempotent
-- requests (the one-time submission keys of web forms), by row security.
GRANT USAGE ON SCHEMA auth TO kurve_dpo;
GRANT SELECT, INSERT, UPDATE ON auth.idempotency_keys TO kurve_dpo;
ALTER POLICY idempotency_keys_own ON auth.idempotency_keys
  TO kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin, kurve_dpo;

-- The viewer searches newest first by (at, id) and pages by that key, with
-- or without one of its filters: each filter has an index in that order,
-- so no search sorts or scans the log.
CREATE INDEX events_at_idx ON audit.events (at, id);
CREATE INDEX events_object_at_idx ON audit.events (object_id, at, id);
CREATE INDEX events_actor_at_idx ON audit.events (actor_id, at, id);
CREATE INDEX events_action_at_idx ON audit.events (action, at, id);

-- Case numbers for the audit viewer: participant ids to case numbers (to
-- show them next to the entries) and case numbers to ids (to filter by
-- one). Exact matches only, nothing else of the participant, for the dpo
-- only. SECURITY DEFINER: the dpo's role has no privilege on
-- prevention.participants.
-- +goose StatementBegin
CREATE FUNCTION audit.case_numbers(p_ids uuid[], p_case_numbers text[])
RETURNS TABLE (participant_id uuid, case_number text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT p.id, p.case_number FROM prevention.participants p
  WHERE org.current_app_role() = 'dpo'
    AND (p.id = ANY (p_ids) OR p.case_number = ANY (p_case_numbers))
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION audit.case_numbers(uuid[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.case_numbers(uuid[], text[]) TO kurve_dpo;

-- +goose Down
DROP FUNCTION audit.case_numbers(uuid[], text[]);
DROP INDEX audit.events_at_idx, audit.events_object_at_idx, audit.events_actor_at_idx, audit.events_action_at_idx;
ALTER POLICY idempotency_keys_own ON auth.idempotency_keys
  TO kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin;
REVOKE ALL ON auth.idempotency_keys FROM kurve_dpo;
REVOKE USAGE ON SCHEMA auth FROM kurve_dpo;
REVOKE ALL ON audit.events FROM kurve_dpo;
REVOKE ALL ON SEQUENCE audit.events_id_seq FROM kurve_dpo;
REVOKE USAGE ON SCHEMA audit FROM kurve_dpo;
REVOKE ALL ON org.users, org.sites FROM kurve_dpo;
REVOKE EXECUTE ON FUNCTION org.current_user_id(), org.current_site_id(), org.current_app_role(), org.today() FROM kurve_dpo;
REVOKE USAGE ON SCHEMA org FROM kurve_dpo;
