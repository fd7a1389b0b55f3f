-- Family visits and language mediators (SPEC §2, §3, §8): the languages each
-- mediator offers, visits with their status and an encrypted outcome note,
-- and a secret calendar feed per user. Mediators plan and move visits of
-- the families assigned to them but never read outcome notes.

-- +goose Up

-- Languages a mediator offers (a profile, not case data).
CREATE TABLE org.mediator_languages (
  user_id  uuid NOT NULL REFERENCES org.users(id) ON DELETE CASCADE,
  language text NOT NULL CHECK (language ~ '^[a-z]{2,3}$'),
  PRIMARY KEY (user_id, language)
);
GRANT SELECT ON org.mediator_languages TO kurve_prevention, kurve_mediation, kurve_admin;
GRANT INSERT, DELETE ON org.mediator_languages TO kurve_admin, kurve_mediation;
ALTER TABLE org.mediator_languages ENABLE ROW LEVEL SECURITY;
-- Everybody of the prevention side reads the profiles of their site;
-- a mediator edits their own, an admin anyone's.
CREATE POLICY mediator_languages_read ON org.mediator_languages FOR SELECT TO kurve_prevention, kurve_mediation, kurve_admin
  USING (true);
CREATE POLICY mediator_languages_own ON org.mediator_languages FOR INSERT TO kurve_mediation
  WITH CHECK (user_id = org.current_user_id());
CREATE POLICY mediator_languages_own_delete ON org.mediator_languages FOR DELETE TO kurve_mediation
  USING (user_id = org.current_user_id());
CREATE POLICY mediator_languages_admin ON org.mediator_languages FOR ALL TO kurve_admin USING (true);

CREATE TABLE prevention.visits (
  id               uuid PRIMARY KEY,
  site_id          uuid NOT NULL,
  participant_id   uuid NOT NULL,
  starts_at        timestamptz NOT NULL,
  ends_at          timestamptz NOT NULL CHECK (ends_at > starts_at),
  purpose          text NOT NULL CHECK (purpose IN ('first_contact', 'consent_talk', 'family_conversation', 'follow_up', 'closing', 'other')),
  mediator_id      uuid REFERENCES org.users(id),
  social_worker_id uuid REFERENCES org.users(id),
  status           text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled', 'nobody_home')),
  outcome_note_enc text,
  created_by       uuid REFERENCES org.users(id),
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (mediator_id IS NOT NULL OR social_worker_id IS NOT NULL),
  FOREIGN KEY (participant_id, site_id) REFERENCES prevention.participants(id, site_id) ON DELETE CASCADE
);
CREATE INDEX visits_mediator_idx ON prevention.visits (mediator_id, starts_at);
CREATE INDEX visits_social_worker_idx ON prevention.visits (social_worker_id, starts_at);
CREATE INDEX visits_participant_idx ON prevention.visits (participant_id);

GRANT SELECT, INSERT, UPDATE ON prevention.visits TO kurve_prevention;
-- Mediators: everything but the outcome note.
GRANT SELECT (id, site_id, participant_id, starts_at, ends_at, purpose, mediator_id, social_worker_id, status, version, created_at, updated_at)
  ON prevention.visits TO kurve_mediation;
GRANT INSERT (id, site_id, participant_id, starts_at, ends_at, purpose, mediator_id, social_worker_id, status, created_by, version, updated_at)
  ON prevention.visits TO kurve_mediation;
GRANT UPDATE (starts_at, ends_at, purpose, status, version, updated_at) ON prevention.visits TO kurve_mediation;

ALTER TABLE prevention.visits ENABLE ROW LEVEL SECURITY;
-- A visit goes with its participant: whoever may see the child (the
-- participants policy of each role decides) may see and plan its visits.
CREATE POLICY visits_all ON prevention.visits TO kurve_prevention, kurve_mediation
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = visits.participant_id));

-- Double booking must be checked against every visit of a person, also of
-- families the caller cannot see; this returns only time and case number
-- of the first conflict (SPEC: "the conflicting visit named (time and case
-- number only)").
-- +goose StatementBegin
CREATE FUNCTION prevention.visit_conflict(p_person uuid, p_starts timestamptz, p_ends timestamptz, p_except uuid)
RETURNS TABLE (starts_at timestamptz, ends_at timestamptz, case_number text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT v.starts_at, v.ends_at, p.case_number
  FROM prevention.visits v JOIN prevention.participants p ON p.id = v.participant_id
  WHERE (v.mediator_id = p_person OR v.social_worker_id = p_person)
    AND v.status <> 'cancelled' AND v.id IS DISTINCT FROM p_except
    AND v.starts_at < p_ends AND p_starts < v.ends_at
    AND p.site_id = org.current_site_id()
  ORDER BY v.starts_at LIMIT 1
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.visit_conflict(uuid, timestamptz, timestamptz, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prevention.visit_conflict(uuid, timestamptz, timestamptz, uuid) TO kurve_prevention, kurve_mediation;

-- The consent rule for visits planned by a mediator, whose role reads no
-- consent and no date of birth. Same rule as models.ParticipationConsent
-- (every guardian with custody: participation and data_processing given,
-- not withdrawn or expired; at least one custodian), except that the age
-- for the young person's own assent comes from the clear birth month: from
-- the first day of the month of the 14th birthday assent is required, a
-- few days early rather than late. Returns only yes or no.
-- +goose StatementBegin
CREATE FUNCTION prevention.visit_consent_ok(p_participant uuid, p_day date) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  WITH p AS (
    SELECT p.id, p.birth_month FROM prevention.participants p
    WHERE p.id = p_participant AND p.id IN (SELECT prevention.my_participants())
  ), ok AS (
    SELECT c.guardian_id, c.purposes FROM prevention.consents c, p
    WHERE c.participant_id = p.id AND c.state = 'given' AND c.given_on <= p_day
      AND (c.withdrawn_on IS NULL OR c.withdrawn_on > p_day) AND (c.expires_on IS NULL OR c.expires_on > p_day)
  )
  SELECT EXISTS (SELECT 1 FROM p)
    AND EXISTS (SELECT 1 FROM prevention.participant_guardians pg, p WHERE pg.participant_id = p.id AND pg.has_custody)
    AND NOT EXISTS (
      SELECT 1 FROM prevention.participant_guardians pg, p, unnest(ARRAY['participation', 'data_processing']) AS need(purpose)
      WHERE pg.participant_id = p.id AND pg.has_custody
        AND NOT EXISTS (SELECT 1 FROM ok WHERE ok.guardian_id = pg.guardian_id AND need.purpose = ANY (ok.purposes)))
    AND (p_day < (SELECT birth_month FROM p) + interval '14 years' OR NOT EXISTS (
      SELECT 1 FROM unnest(ARRAY['participation', 'data_processing']) AS need(purpose)
      WHERE NOT EXISTS (SELECT 1 FROM ok WHERE ok.guardian_id IS NULL AND need.purpose = ANY (ok.purposes))))
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.visit_consent_ok(uuid, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prevention.visit_consent_ok(uuid, date) TO kurve_mediation;

-- Secret calendar feeds: the URL carries a token, looked up by its SHA-256
-- and kept encrypted (token_enc) so that the profile can show the URL again.
CREATE TABLE auth.calendar_feeds (
  user_id    uuid PRIMARY KEY REFERENCES org.users(id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  token_enc  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON auth.calendar_feeds TO kurve_auth;

-- +goose Down
DROP TABLE auth.calendar_feeds;
DROP FUNCTION prevention.visit_consent_ok(uuid, date);
DROP FUNCTION prevention.visit_conflict(uuid, timestamptz, timestamptz, uuid);
DROP TABLE prevention.visits;
DROP TABLE org.mediator_languages;
