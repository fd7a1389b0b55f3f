-- Case core (SPEC §2, §3, §4): families, guardians, participants, consent,
-- assignments. Identity, contact and free text are stored encrypted by the
-- application (columns *_enc: "v1:<key id>:<ciphertext>"); what statistics
-- need (birth month, gender, site, languages, status dates) stays in clear.

-- +goose Up

-- Language mediators work on the prevention side but may see names,
-- languages, contact and address only (SPEC §2). A role of their own lets
-- PostgreSQL enforce that per column, not only the templates.
-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kurve_mediation') THEN
    CREATE ROLE kurve_mediation NOLOGIN NOINHERIT;
  END IF;
  EXECUTE format('GRANT kurve_mediation TO %I', session_user);
END
$$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA org TO kurve_mediation;
GRANT EXECUTE ON FUNCTION org.current_user_id(), org.current_site_id(), org.current_app_role() TO kurve_mediation;
GRANT SELECT ON org.sites TO kurve_mediation;
GRANT SELECT (id, site_id, name, role, language, active) ON org.users TO kurve_mediation;
GRANT USAGE ON SCHEMA audit TO kurve_mediation;
GRANT INSERT (actor_id, actor_role, action, object_type, object_id, site_id, request_id, details) ON audit.events TO kurve_mediation;
GRANT USAGE ON SEQUENCE audit.events_id_seq TO kurve_mediation;
GRANT USAGE ON SCHEMA prevention TO kurve_mediation;

-- Case numbers: <site code>-<year>-<counter>, never derived from a name.
CREATE TABLE prevention.case_counters (
  site_id uuid NOT NULL REFERENCES org.sites(id),
  year    integer NOT NULL CHECK (year BETWEEN 2000 AND 2999),
  last    integer NOT NULL,
  PRIMARY KEY (site_id, year)
);

-- +goose StatementBegin
CREATE FUNCTION prevention.next_case_number(p_site uuid, p_year integer) RETURNS text
LANGUAGE sql VOLATILE SET search_path = pg_catalog AS $$
  WITH n AS (
    INSERT INTO prevention.case_counters AS c (site_id, year, last) VALUES (p_site, p_year, 1)
    ON CONFLICT (site_id, year) DO UPDATE SET last = c.last + 1
    RETURNING last
  )
  SELECT s.code || '-' || p_year::text || '-' || lpad(n.last::text, 4, '0') FROM n, org.sites s WHERE s.id = p_site
$$;
-- +goose StatementEnd

CREATE TABLE prevention.families (
  id          uuid PRIMARY KEY,
  site_id     uuid NOT NULL REFERENCES org.sites(id),
  address_enc text,
  phone_enc   text,
  email_enc   text,
  version     integer NOT NULL DEFAULT 1,
  created_by  uuid REFERENCES org.users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, site_id)
);

-- Languages spoken at home, each with its mode (SPEC §3).
CREATE TABLE prevention.family_languages (
  family_id uuid NOT NULL REFERENCES prevention.families(id) ON DELETE CASCADE,
  language  text NOT NULL CHECK (language ~ '^[a-z]{2,3}$'),
  mode      text NOT NULL CHECK (mode IN ('fluent', 'basic', 'interpreter')),
  PRIMARY KEY (family_id, language)
);

-- The first migration created a minimal participants table; here it gets
-- its real columns. No rows can exist yet: nothing wrote to it before.
ALTER TABLE prevention.participants
  ADD COLUMN family_id         uuid NOT NULL,
  ADD COLUMN first_name_enc    text NOT NULL,
  ADD COLUMN last_name_enc     text NOT NULL,
  ADD COLUMN date_of_birth_enc text NOT NULL,
  ADD COLUMN birth_month       date NOT NULL CHECK (extract(day FROM birth_month) = 1),
  ADD COLUMN gender            text NOT NULL CHECK (gender IN ('female', 'male', 'diverse', 'unspecified')),
  ADD COLUMN languages         text[] NOT NULL DEFAULT '{}',
  ADD COLUMN school_enc        text,
  ADD COLUMN notes_enc         text,
  ADD COLUMN status_changed_on date NOT NULL DEFAULT current_date,
  ADD COLUMN activated_on      date,
  ADD COLUMN ended_on          date,
  ADD COLUMN end_reason        text CHECK (end_reason IN ('moved', 'no_contact', 'family_refused', 'child_refused', 'needs_other_help', 'new_offence', 'other')),
  ADD COLUMN created_by        uuid REFERENCES org.users(id),
  ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT participants_status_check CHECK (status IN
    ('referred', 'contacted', 'consent_pending', 'active', 'completed', 'declined', 'ended_early', 'withdrawn')),
  ADD CONSTRAINT participants_family_fk FOREIGN KEY (family_id, site_id) REFERENCES prevention.families(id, site_id),
  ADD CONSTRAINT participants_id_site_key UNIQUE (id, site_id);
ALTER TABLE prevention.participants ALTER COLUMN id DROP DEFAULT;
CREATE INDEX participants_site_status_idx ON prevention.participants (site_id, status);
CREATE INDEX participants_family_idx ON prevention.participants (family_id);

-- Every status change, with its date in clear for statistics.
CREATE TABLE prevention.status_changes (
  id             bigserial PRIMARY KEY,
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  from_status    text,
  to_status      text NOT NULL,
  reason         text,
  effective_on   date NOT NULL,
  changed_by     uuid REFERENCES org.users(id),
  changed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX status_changes_participant_idx ON prevention.status_changes (participant_id);

CREATE TABLE prevention.guardians (
  id             uuid PRIMARY KEY,
  family_id      uuid NOT NULL REFERENCES prevention.families(id) ON DELETE CASCADE,
  first_name_enc text NOT NULL,
  last_name_enc  text NOT NULL,
  phone_enc      text,
  email_enc      text,
  languages      text[] NOT NULL DEFAULT '{}',
  version        integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX guardians_family_idx ON prevention.guardians (family_id);

-- Which guardian stands for which child, with relationship and custody.
CREATE TABLE prevention.participant_guardians (
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  guardian_id    uuid NOT NULL REFERENCES prevention.guardians(id) ON DELETE CASCADE,
  relationship   text NOT NULL CHECK (relationship IN ('mother', 'father', 'step_parent', 'grandparent', 'sibling', 'aunt_uncle', 'foster_parent', 'legal_guardian', 'other')),
  has_custody    boolean NOT NULL,
  PRIMARY KEY (participant_id, guardian_id)
);

-- Consent (SPEC §4). guardian_id NULL is the young person's own assent.
-- The current state is on the row; every change is also an event below.
CREATE TABLE prevention.consents (
  id             uuid PRIMARY KEY,
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  guardian_id    uuid REFERENCES prevention.guardians(id),
  purposes       text[] NOT NULL CHECK (cardinality(purposes) > 0 AND purposes <@
                   ARRAY['participation', 'data_processing', 'police_feedback', 'school_exchange', 'evaluation']),
  form_version   text NOT NULL CHECK (length(form_version) BETWEEN 1 AND 40),
  form_language  text NOT NULL CHECK (form_language ~ '^[a-z]{2,3}$'),
  state          text NOT NULL CHECK (state IN ('requested', 'given', 'refused', 'withdrawn', 'expired')),
  given_on       date,
  expires_on     date,
  withdrawn_on   date,
  recorded_by    uuid NOT NULL REFERENCES org.users(id),
  mediator_id    uuid REFERENCES org.users(id),
  version        integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (state <> 'given' OR given_on IS NOT NULL),
  CHECK (state <> 'withdrawn' OR withdrawn_on IS NOT NULL),
  CHECK (expires_on IS NULL OR given_on IS NULL OR expires_on > given_on)
);
CREATE INDEX consents_participant_idx ON prevention.consents (participant_id);

CREATE TABLE prevention.consent_events (
  id           bigserial PRIMARY KEY,
  consent_id   uuid NOT NULL REFERENCES prevention.consents(id) ON DELETE CASCADE,
  state        text NOT NULL,
  effective_on date,
  changed_by   uuid REFERENCES org.users(id),
  changed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_consent_idx ON prevention.consent_events (consent_id);

-- Assignments keep their history: they end (until_on), they are never
-- deleted. site_id is carried along (and kept consistent by the foreign
-- key) so that its policy need not read participants, whose own policy
-- reads assignments.
CREATE TABLE prevention.assignments (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant_id uuid NOT NULL,
  site_id        uuid NOT NULL,
  user_id        uuid NOT NULL REFERENCES org.users(id),
  kind           text NOT NULL CHECK (kind IN ('social_worker', 'language_mediator')),
  from_on        date NOT NULL,
  until_on       date CHECK (until_on IS NULL OR until_on >= from_on),
  created_by     uuid REFERENCES org.users(id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (participant_id, site_id) REFERENCES prevention.participants(id, site_id) ON DELETE CASCADE
);
CREATE INDEX assignments_user_idx ON prevention.assignments (user_id, participant_id);
CREATE INDEX assignments_participant_idx ON prevention.assignments (participant_id);

------------------------------------------------------------------------------
-- Grants. Social workers and coordinators (kurve_prevention) work with
-- everything of their cases; history tables are append-only.
------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON prevention.case_counters TO kurve_prevention;
GRANT EXECUTE ON FUNCTION prevention.next_case_number(uuid, integer) TO kurve_prevention;
GRANT SELECT, INSERT, UPDATE ON prevention.families, prevention.guardians, prevention.consents TO kurve_prevention;
GRANT SELECT, INSERT, DELETE ON prevention.family_languages TO kurve_prevention;
GRANT SELECT, INSERT, UPDATE, DELETE ON prevention.participant_guardians TO kurve_prevention;
GRANT SELECT, INSERT ON prevention.status_changes, prevention.consent_events TO kurve_prevention;
GRANT USAGE ON SEQUENCE prevention.status_changes_id_seq, prevention.consent_events_id_seq TO kurve_prevention;
GRANT SELECT, INSERT ON prevention.assignments TO kurve_prevention;
GRANT UPDATE (until_on) ON prevention.assignments TO kurve_prevention;

-- Mediators: names, languages, contact and address, nothing else. No date
-- of birth, school, notes, consents or status history.
GRANT SELECT (id, site_id, family_id, case_number, first_name_enc, last_name_enc, languages, status)
  ON prevention.participants TO kurve_mediation;
GRANT SELECT ON prevention.families, prevention.family_languages TO kurve_mediation;
GRANT SELECT (id, family_id, first_name_enc, last_name_enc, phone_enc, email_enc, languages, created_at)
  ON prevention.guardians TO kurve_mediation;
GRANT SELECT (participant_id, guardian_id, relationship) ON prevention.participant_guardians TO kurve_mediation;
GRANT SELECT (id, participant_id, site_id, user_id, kind, from_on, until_on) ON prevention.assignments TO kurve_mediation;

------------------------------------------------------------------------------
-- Row-level security: need to know (SPEC §2). A coordinator sees the site;
-- a social worker or mediator sees what a current assignment gives them.
-- Policies on dependent tables ask "is the participant (or family) visible
-- to me?" through the parent's own policy, so the rule lives in one place.
------------------------------------------------------------------------------
-- +goose StatementBegin
CREATE FUNCTION prevention.is_coordinator_of(p_site uuid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT org.current_app_role() = 'coordinator' AND p_site = org.current_site_id()
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION prevention.is_coordinator_of(uuid) TO kurve_prevention, kurve_mediation;

-- The participants a user currently works with. SECURITY DEFINER, so that
-- the assignments policy can use it without asking itself (recursion); it
-- returns ids only, and only the caller's own.
-- +goose StatementBegin
CREATE FUNCTION prevention.my_participants() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT a.participant_id FROM prevention.assignments a
  WHERE a.user_id = org.current_user_id() AND a.from_on <= current_date
    AND (a.until_on IS NULL OR a.until_on >= current_date)
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION prevention.my_participants() TO kurve_prevention, kurve_mediation;

ALTER TABLE prevention.assignments ENABLE ROW LEVEL SECURITY;
-- Own assignments (also past ones), everything of the coordinator's site,
-- and who else works on a case one currently works on (the social worker
-- needs to know the mediator, and the other way round).
CREATE POLICY assignments_read ON prevention.assignments FOR SELECT TO kurve_prevention, kurve_mediation
  USING (user_id = org.current_user_id() OR prevention.is_coordinator_of(site_id)
    OR participant_id IN (SELECT prevention.my_participants()));
CREATE POLICY assignments_insert ON prevention.assignments FOR INSERT TO kurve_prevention
  WITH CHECK (prevention.is_coordinator_of(site_id));
CREATE POLICY assignments_update ON prevention.assignments FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id)) WITH CHECK (prevention.is_coordinator_of(site_id));

DROP POLICY participants_coordinator ON prevention.participants;
CREATE POLICY participants_read ON prevention.participants FOR SELECT TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= current_date AND (a.until_on IS NULL OR a.until_on >= current_date))));
CREATE POLICY participants_insert ON prevention.participants FOR INSERT TO kurve_prevention
  WITH CHECK (prevention.is_coordinator_of(site_id));
CREATE POLICY participants_update ON prevention.participants FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= current_date AND (a.until_on IS NULL OR a.until_on >= current_date))));
CREATE POLICY participants_mediator ON prevention.participants FOR SELECT TO kurve_mediation
  USING (EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'language_mediator'
      AND a.from_on <= current_date AND (a.until_on IS NULL OR a.until_on >= current_date)));

ALTER TABLE prevention.families ENABLE ROW LEVEL SECURITY;
-- A family is visible with any visible child of it (the participants
-- policy decides); coordinators also see families without children yet.
CREATE POLICY families_read ON prevention.families FOR SELECT TO kurve_prevention, kurve_mediation
  USING (prevention.is_coordinator_of(site_id)
    OR EXISTS (SELECT 1 FROM prevention.participants p WHERE p.family_id = families.id));
CREATE POLICY families_insert ON prevention.families FOR INSERT TO kurve_prevention
  WITH CHECK (prevention.is_coordinator_of(site_id));
CREATE POLICY families_update ON prevention.families FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id)
    OR EXISTS (SELECT 1 FROM prevention.participants p WHERE p.family_id = families.id));

ALTER TABLE prevention.family_languages ENABLE ROW LEVEL SECURITY;
CREATE POLICY family_languages_all ON prevention.family_languages TO kurve_prevention, kurve_mediation
  USING (EXISTS (SELECT 1 FROM prevention.families f WHERE f.id = family_languages.family_id));

ALTER TABLE prevention.guardians ENABLE ROW LEVEL SECURITY;
CREATE POLICY guardians_all ON prevention.guardians TO kurve_prevention, kurve_mediation
  USING (EXISTS (SELECT 1 FROM prevention.families f WHERE f.id = guardians.family_id));

ALTER TABLE prevention.participant_guardians ENABLE ROW LEVEL SECURITY;
CREATE POLICY participant_guardians_all ON prevention.participant_guardians TO kurve_prevention, kurve_mediation
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = participant_guardians.participant_id));

ALTER TABLE prevention.consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY consents_all ON prevention.consents TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = consents.participant_id));

ALTER TABLE prevention.consent_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY consent_events_all ON prevention.consent_events TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.consents c WHERE c.id = consent_events.consent_id));

ALTER TABLE prevention.status_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY status_changes_all ON prevention.status_changes TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = status_changes.participant_id));

ALTER TABLE prevention.case_counters ENABLE ROW LEVEL SECURITY;
CREATE POLICY case_counters_coordinator ON prevention.case_counters TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id));

-- +goose Down
DROP TABLE prevention.assignments, prevention.consent_events, prevention.consents, prevention.participant_guardians,
  prevention.guardians, prevention.status_changes, prevention.family_languages CASCADE;
ALTER TABLE prevention.participants DROP CONSTRAINT participants_family_fk;
DROP TABLE prevention.families, prevention.case_counters CASCADE;
DROP FUNCTION prevention.next_case_number(uuid, integer), prevention.is_coordinator_of(uuid);
