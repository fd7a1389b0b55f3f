-- One "today" for a request, in the program's zone.
--
-- Policies and crossings compared dates with current_date, which is the day
-- in the connection's TimeZone (UTC on most servers), while the application
-- counts days in Berlin: between 23:00 and 24:00 UTC (22:00 in summer) an
-- assignment that began "today" was not yet current for the database. Now
-- every policy asks org.today(): the request's day as the application set
-- it (kurve.today, from the server's clock), else today in Berlin.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION org.today() RETURNS date LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT coalesce(nullif(current_setting('kurve.today', true), '')::date,
                  (now() AT TIME ZONE 'Europe/Berlin')::date)
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION org.today()
  TO kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_participants() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT a.participant_id FROM prevention.assignments a
  WHERE a.user_id = org.current_user_id() AND a.from_on <= org.today()
    AND (a.until_on IS NULL OR a.until_on >= org.today())
$$;
-- +goose StatementEnd

ALTER POLICY participants_read ON prevention.participants
  USING (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today()))));
ALTER POLICY participants_update ON prevention.participants
  USING (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today()))));
ALTER POLICY participants_mediator ON prevention.participants
  USING (EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'language_mediator'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today())));

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION crossing.referral_feedback()
RETURNS TABLE (id uuid, police_reference text, status text, since date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT r.id, r.police_reference,
    CASE WHEN NOT coalesce(f.consented, false) THEN 'received'
         WHEN p.status IN ('referred', 'contacted', 'consent_pending', 'active') THEN 'in_program'
         ELSE 'program_ended' END,
    CASE WHEN NOT coalesce(f.consented, false) THEN date_trunc('month', r.created_at AT TIME ZONE 'Europe/Berlin')::date
         ELSE date_trunc('month', p.status_changed_on)::date END
  FROM enforcement.referrals r
  LEFT JOIN prevention.intake_decisions d ON d.referral_id = r.id AND d.decision = 'accepted'
  LEFT JOIN prevention.participants p ON p.id = d.participant_id
  LEFT JOIN LATERAL (
    SELECT EXISTS (
      SELECT 1 FROM prevention.consents c
      JOIN prevention.participant_guardians pg ON pg.participant_id = c.participant_id AND pg.guardian_id = c.guardian_id
      WHERE c.participant_id = p.id AND pg.has_custody AND c.state = 'given' AND 'police_feedback' = ANY (c.purposes)
        AND c.given_on <= org.today()
        AND (c.withdrawn_on IS NULL OR c.withdrawn_on > org.today())
        AND (c.expires_on IS NULL OR c.expires_on > org.today())) AS consented
  ) f ON p.id IS NOT NULL
  WHERE org.current_app_role() = 'police_liaison' AND r.submitted_by = org.current_user_id()
  ORDER BY r.created_at DESC, r.id
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.my_participants() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT a.participant_id FROM prevention.assignments a
  WHERE a.user_id = org.current_user_id() AND a.from_on <= current_date
    AND (a.until_on IS NULL OR a.until_on >= current_date)
$$;
-- +goose StatementEnd

ALTER POLICY participants_read ON prevention.participants
  USING (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= current_date AND (a.until_on IS NULL OR a.until_on >= current_date))));
ALTER POLICY participants_update ON prevention.participants
  USING (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= current_date AND (a.until_on IS NULL OR a.until_on >= current_date))));
ALTER POLICY participants_mediator ON prevention.participants
  USING (EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'language_mediator'
      AND a.from_on <= current_date AND (a.until_on IS NULL OR a.until_on >= current_date)));

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION crossing.referral_feedback()
RETURNS TABLE (id uuid, police_reference text, status text, since date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT r.id, r.police_reference,
    CASE WHEN NOT coalesce(f.consented, false) THEN 'received'
         WHEN p.status IN ('referred', 'contacted', 'consent_pending', 'active') THEN 'in_program'
         ELSE 'program_ended' END,
    CASE WHEN NOT coalesce(f.consented, false) THEN date_trunc('month', r.created_at AT TIME ZONE 'Europe/Berlin')::date
         ELSE date_trunc('month', p.status_changed_on)::date END
  FROM enforcement.referrals r
  LEFT JOIN prevention.intake_decisions d ON d.referral_id = r.id AND d.decision = 'accepted'
  LEFT JOIN prevention.participants p ON p.id = d.participant_id
  LEFT JOIN LATERAL (
    SELECT EXISTS (
      SELECT 1 FROM prevention.consents c
      JOIN prevention.participant_guardians pg ON pg.participant_id = c.participant_id AND pg.guardian_id = c.guardian_id
      WHERE c.participant_id = p.id AND pg.has_custody AND c.state = 'given' AND 'police_feedback' = ANY (c.purposes)
        AND c.given_on <= current_date
        AND (c.withdrawn_on IS NULL OR c.withdrawn_on > current_date)
        AND (c.expires_on IS NULL OR c.expires_on > current_date)) AS consented
  ) f ON p.id IS NOT NULL
  WHERE org.current_app_role() = 'police_liaison' AND r.submitted_by = org.current_user_id()
  ORDER BY r.created_at DESC, r.id
$$;
-- +goose StatementEnd

DROP FUNCTION org.today();
