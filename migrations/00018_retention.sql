-- Retention (GDPR Art. 5(1)(e), issue 12): what is no longer needed is
-- destroyed on a schedule, once a day across all instances.
--
-- - Cases closed longer than the retention period (default 24 months after
--   the case ended) are erased as by the data-protection officer
--   (prevention.erase_participant, migration 00017): personal data
--   destroyed, what the statistics count kept.
-- - Referrals declined more than 6 months ago lose their personal fields
--   (identity, guardian contact, police notes, officer, police reference).
--   The row stays, anonymous, so that the referral statistics (site,
--   quarter, reason) do not change after publication.
-- - Expired sessions, API tokens, kept answers of idempotent requests and
--   parked forms are purged (the server's housekeeping does most of it
--   every few minutes already).
--
-- audit.retention_runs records each day's run: claiming the day's row is
-- what makes the run happen once a day however many instances try.

-- +goose Up
CREATE TABLE audit.retention_runs (
  day         date PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  counts      jsonb NOT NULL DEFAULT '{}'::jsonb
);
GRANT SELECT, INSERT, UPDATE ON audit.retention_runs TO kurve_dpo;

-- The cases whose retention period is over: ids only.
-- +goose StatementBegin
CREATE FUNCTION prevention.retention_due(p_ended_before date) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT p.id FROM prevention.participants p
  WHERE org.current_app_role() = 'dpo' AND p.erased_at IS NULL
    AND p.status IN ('completed', 'declined', 'ended_early', 'withdrawn')
    AND coalesce(p.ended_on, p.status_changed_on) < p_ended_before
  ORDER BY p.id
$$;
-- +goose StatementEnd

-- Declined referrals past their time lose their personal fields; returns
-- how many. (A dry run rolls the whole run back: models.RunRetention.)
-- +goose StatementBegin
CREATE FUNCTION enforcement.retire_declined_referrals(p_decided_before timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE n integer;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN
    RAISE EXCEPTION 'only retention retires referrals' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE enforcement.referrals r SET first_name_enc = '', last_name_enc = '', date_of_birth_enc = '', guardian_name_enc = NULL,
    guardian_phone_enc = NULL, officer_name_enc = NULL, notes_enc = NULL, police_reference = 'erased-' || r.id::text,
    referring_unit = ''
  WHERE r.police_reference NOT LIKE 'erased-%' AND EXISTS (SELECT 1 FROM prevention.intake_decisions d
    WHERE d.referral_id = r.id AND d.decision = 'declined' AND d.decided_at < p_decided_before);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION prevention.retention_due(date), enforcement.retire_declined_referrals(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prevention.retention_due(date) TO kurve_dpo;
GRANT USAGE ON SCHEMA enforcement TO kurve_dpo;
GRANT EXECUTE ON FUNCTION enforcement.retire_declined_referrals(timestamptz) TO kurve_dpo;

-- +goose Down
DROP FUNCTION enforcement.retire_declined_referrals(timestamptz);
DROP FUNCTION prevention.retention_due(date);
REVOKE USAGE ON SCHEMA enforcement FROM kurve_dpo;
DROP TABLE audit.retention_runs;
