-- Casework over time (SPEC §1, §3): the measure catalogue of each site,
-- social-skills sessions with attendance per participant, goals, 8-week
-- case reviews, extensions of the program period and the closing
-- interview. Free text (session notes and location, goal texts, review
-- notes, extension reasons, the closing assessment) is encrypted by the
-- application. Language mediators and evaluators get nothing here.

-- +goose Up

-- The measure catalogue: data, not code; labels in the interface languages.
CREATE TABLE prevention.measures (
  id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id  uuid NOT NULL REFERENCES org.sites(id),
  code     text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
  name_de  text NOT NULL CHECK (length(name_de) BETWEEN 1 AND 120),
  name_en  text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 120),
  name_tr  text NOT NULL CHECK (length(name_tr) BETWEEN 1 AND 120),
  name_ar  text NOT NULL CHECK (length(name_ar) BETWEEN 1 AND 120),
  group_format boolean NOT NULL DEFAULT false,
  active   boolean NOT NULL DEFAULT true,
  sort     integer NOT NULL DEFAULT 0,
  version  integer NOT NULL DEFAULT 1,
  UNIQUE (site_id, code),
  UNIQUE (id, site_id)
);

CREATE TABLE prevention.measure_modules (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  measure_id uuid NOT NULL REFERENCES prevention.measures(id) ON DELETE CASCADE,
  code       text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
  name_de    text NOT NULL CHECK (length(name_de) BETWEEN 1 AND 120),
  name_en    text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 120),
  name_tr    text NOT NULL CHECK (length(name_tr) BETWEEN 1 AND 120),
  name_ar    text NOT NULL CHECK (length(name_ar) BETWEEN 1 AND 120),
  active     boolean NOT NULL DEFAULT true,
  sort       integer NOT NULL DEFAULT 0,
  UNIQUE (measure_id, code)
);

CREATE TABLE prevention.sessions (
  id               uuid PRIMARY KEY,
  site_id          uuid NOT NULL,
  measure_id       uuid NOT NULL,
  module_id        uuid REFERENCES prevention.measure_modules(id),
  status           text NOT NULL DEFAULT 'held' CHECK (status IN ('planned', 'held', 'cancelled')),
  started_at       timestamptz NOT NULL,
  duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 600),
  location_enc     text,
  mediator_present boolean NOT NULL DEFAULT false,
  notes_enc        text,
  created_by       uuid REFERENCES org.users(id),
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (measure_id, site_id) REFERENCES prevention.measures(id, site_id)
);
CREATE INDEX sessions_site_started_idx ON prevention.sessions (site_id, started_at);

CREATE TABLE prevention.session_staff (
  session_id uuid NOT NULL REFERENCES prevention.sessions(id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES org.users(id),
  PRIMARY KEY (session_id, user_id)
);
CREATE INDEX session_staff_user_idx ON prevention.session_staff (user_id);

-- Attendance per participant; NULL while the session is only planned.
CREATE TABLE prevention.session_participants (
  session_id     uuid NOT NULL REFERENCES prevention.sessions(id) ON DELETE CASCADE,
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  attendance     text CHECK (attendance IN ('attended', 'excused', 'absent')),
  PRIMARY KEY (session_id, participant_id)
);
CREATE INDEX session_participants_participant_idx ON prevention.session_participants (participant_id);

CREATE TABLE prevention.goals (
  id             uuid PRIMARY KEY,
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  title_enc      text NOT NULL,
  target_on      date,
  progress       text NOT NULL DEFAULT 'not_started' CHECK (progress IN ('not_started', 'in_progress', 'achieved', 'dropped')),
  outcome        text CHECK (outcome IN ('achieved', 'partly_achieved', 'not_achieved')),
  version        integer NOT NULL DEFAULT 1,
  created_by     uuid REFERENCES org.users(id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goals_participant_idx ON prevention.goals (participant_id);

CREATE TABLE prevention.reviews (
  id             uuid PRIMARY KEY,
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  held_on        date NOT NULL,
  notes_enc      text,
  created_by     uuid REFERENCES org.users(id),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reviews_participant_idx ON prevention.reviews (participant_id, held_on);

-- Extensions of the 12-month program period, 6 months each, with a reason.
CREATE TABLE prevention.extensions (
  id             uuid PRIMARY KEY,
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  months         integer NOT NULL DEFAULT 6 CHECK (months = 6),
  reason_enc     text NOT NULL,
  created_by     uuid REFERENCES org.users(id),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX extensions_participant_idx ON prevention.extensions (participant_id);

-- The closing interview, once per participant.
CREATE TABLE prevention.closings (
  participant_id uuid PRIMARY KEY REFERENCES prevention.participants(id) ON DELETE CASCADE,
  ended_on       date NOT NULL,
  assessment_enc text,
  handover       text NOT NULL CHECK (handover IN ('school', 'youth_office', 'other_service', 'none')),
  created_by     uuid REFERENCES org.users(id),
  created_at     timestamptz NOT NULL DEFAULT now()
);

------------------------------------------------------------------------------
-- Grants: social workers and coordinators only. Mediators (kurve_mediation)
-- and evaluators (kurve_statistics) get no privilege on any of these.
------------------------------------------------------------------------------
GRANT SELECT ON prevention.measures, prevention.measure_modules TO kurve_prevention;
GRANT INSERT, UPDATE ON prevention.measures, prevention.measure_modules TO kurve_prevention;
GRANT SELECT, INSERT, UPDATE ON prevention.sessions, prevention.goals TO kurve_prevention;
GRANT SELECT, INSERT, DELETE ON prevention.session_staff TO kurve_prevention;
GRANT SELECT, INSERT, UPDATE, DELETE ON prevention.session_participants TO kurve_prevention;
GRANT SELECT, INSERT ON prevention.reviews, prevention.extensions, prevention.closings TO kurve_prevention;

ALTER TABLE prevention.measures ENABLE ROW LEVEL SECURITY;
-- Staff of a site read its catalogue; its coordinators edit it.
CREATE POLICY measures_read ON prevention.measures FOR SELECT TO kurve_prevention
  USING (site_id = org.current_site_id());
CREATE POLICY measures_write ON prevention.measures FOR INSERT TO kurve_prevention
  WITH CHECK (prevention.is_coordinator_of(site_id));
CREATE POLICY measures_update ON prevention.measures FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id));

ALTER TABLE prevention.measure_modules ENABLE ROW LEVEL SECURITY;
CREATE POLICY measure_modules_read ON prevention.measure_modules FOR SELECT TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.measures m WHERE m.id = measure_modules.measure_id));
CREATE POLICY measure_modules_write ON prevention.measure_modules FOR INSERT TO kurve_prevention
  WITH CHECK (EXISTS (SELECT 1 FROM prevention.measures m WHERE m.id = measure_modules.measure_id AND prevention.is_coordinator_of(m.site_id)));
CREATE POLICY measure_modules_update ON prevention.measure_modules FOR UPDATE TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.measures m WHERE m.id = measure_modules.measure_id AND prevention.is_coordinator_of(m.site_id)));

-- A session is visible with any of its participants, or to the site's
-- coordinators; attendance rows each with their own participant.
ALTER TABLE prevention.sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY sessions_read ON prevention.sessions FOR SELECT TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id) OR created_by = org.current_user_id() OR EXISTS (
    SELECT 1 FROM prevention.session_participants sp JOIN prevention.participants p ON p.id = sp.participant_id
    WHERE sp.session_id = sessions.id));
CREATE POLICY sessions_insert ON prevention.sessions FOR INSERT TO kurve_prevention
  WITH CHECK (site_id = org.current_site_id() AND created_by = org.current_user_id());
CREATE POLICY sessions_update ON prevention.sessions FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id) OR EXISTS (
    SELECT 1 FROM prevention.session_participants sp JOIN prevention.participants p ON p.id = sp.participant_id
    WHERE sp.session_id = sessions.id));

ALTER TABLE prevention.session_participants ENABLE ROW LEVEL SECURITY;
CREATE POLICY session_participants_all ON prevention.session_participants TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = session_participants.participant_id));

ALTER TABLE prevention.session_staff ENABLE ROW LEVEL SECURITY;
CREATE POLICY session_staff_read ON prevention.session_staff FOR SELECT TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.sessions s WHERE s.id = session_staff.session_id));
-- Staff are recorded by whoever created the session, right after it.
CREATE POLICY session_staff_write ON prevention.session_staff FOR INSERT TO kurve_prevention
  WITH CHECK (EXISTS (SELECT 1 FROM prevention.sessions s WHERE s.id = session_staff.session_id
    AND (s.created_by = org.current_user_id() OR prevention.is_coordinator_of(s.site_id))));
CREATE POLICY session_staff_delete ON prevention.session_staff FOR DELETE TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.sessions s WHERE s.id = session_staff.session_id));

ALTER TABLE prevention.goals ENABLE ROW LEVEL SECURITY;
CREATE POLICY goals_all ON prevention.goals TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = goals.participant_id));
ALTER TABLE prevention.reviews ENABLE ROW LEVEL SECURITY;
CREATE POLICY reviews_all ON prevention.reviews TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = reviews.participant_id));
ALTER TABLE prevention.extensions ENABLE ROW LEVEL SECURITY;
CREATE POLICY extensions_all ON prevention.extensions TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = extensions.participant_id));
ALTER TABLE prevention.closings ENABLE ROW LEVEL SECURITY;
CREATE POLICY closings_all ON prevention.closings TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = closings.participant_id));

-- Withdrawal (SPEC §4) takes a participant out of every planned session;
-- a planned session left without anybody is cancelled. Definer rights,
-- because "left without anybody" must count the other children of a group
-- too, whom the withdrawing social worker may not see. It acts only for a
-- participant the caller may see, and returns counts only.
-- +goose StatementBegin
CREATE FUNCTION prevention.withdraw_from_planned_sessions(p_participant uuid) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, prevention AS $$
DECLARE n integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = p_participant
      AND (prevention.is_coordinator_of(p.site_id) OR p.id IN (SELECT prevention.my_participants()))) THEN
    RAISE EXCEPTION 'participant not visible' USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM prevention.session_participants sp USING prevention.sessions se
  WHERE sp.session_id = se.id AND se.status = 'planned' AND sp.participant_id = p_participant;
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE prevention.sessions se SET status = 'cancelled', version = version + 1, updated_at = now()
  WHERE se.status = 'planned' AND NOT EXISTS (SELECT 1 FROM prevention.session_participants sp WHERE sp.session_id = se.id);
  RETURN n;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.withdraw_from_planned_sessions(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prevention.withdraw_from_planned_sessions(uuid) TO kurve_prevention;

-- +goose Down
DROP FUNCTION prevention.withdraw_from_planned_sessions(uuid);
DROP TABLE prevention.closings, prevention.extensions, prevention.reviews, prevention.goals,
  prevention.session_participants, prevention.session_staff, prevention.sessions,
  prevention.measure_modules, prevention.measures;
