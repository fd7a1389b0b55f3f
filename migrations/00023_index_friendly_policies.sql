-- Row-level-security policies PostgreSQL can drive from an index (issue 15).
--
-- The policies of 00003/00017 asked, for every row of a table, "is the
-- user this site's coordinator?" (prevention.is_coordinator_of(site_id), a
-- function call per row that cannot be inlined) or "does a current
-- assignment give this participant to the user?" (a correlated EXISTS per
-- row). A social worker's caseload of 41 cases made PostgreSQL read all
-- 100,000 participants of the program and call both for each: 1.2 s.
--
-- Now the two questions are asked once per statement, as uncorrelated
-- sub-selects (InitPlans): the coordinated site (NULL unless the user is a
-- coordinator) and the array of the user's current cases of one kind.
-- `site_id = (SELECT …)` and `id = ANY ((SELECT …)::uuid[])` are index
-- conditions, so the policy itself can be answered with two index scans
-- (BitmapOr), and the app can add the same conditions to its own lists so
-- that the planner walks (site_id, case_number) or the primary key
-- (models.Store.participantQuery).
--
-- The small functions every policy calls per row (org.current_user_id(),
-- org.current_site_id(), org.current_app_role(), org.today()) lose their
-- `SET search_path` clause, which kept PostgreSQL from inlining them and
-- cost a configuration save and restore per call; their bodies name
-- pg_catalog themselves instead. They are SECURITY INVOKER and read only
-- the transaction's own settings. prevention.my_cases is PL/pgSQL, whose
-- plan PostgreSQL keeps per connection (a SQL function's is made anew per
-- statement).
--
-- The rules are unchanged: a coordinator sees the site, a social worker
-- and a language mediator what a current assignment of their kind gives
-- them, nobody an erased participant.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION org.current_user_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(pg_catalog.current_setting('kurve.user_id', true), '')::uuid
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION org.current_site_id() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(pg_catalog.current_setting('kurve.site_id', true), '')::uuid
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION org.current_app_role() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT nullif(pg_catalog.current_setting('kurve.role', true), '')
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION org.today() RETURNS date LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(pg_catalog.current_setting('kurve.today', true), '')::date,
                  (pg_catalog.now() AT TIME ZONE 'Europe/Berlin')::date)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION prevention.coordinated_site() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN org.current_app_role() = 'coordinator' THEN org.current_site_id() END
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION prevention.coordinated_site() TO kurve_prevention, kurve_mediation;

-- The participants the user currently works on with an assignment of
-- p_kind, while their role is that kind (a social worker's cases as
-- social worker, a mediator's as mediator). SECURITY DEFINER like
-- my_participants: the assignments policy asks the participants policy,
-- which asks this; it returns the caller's own ids only.
-- +goose StatementBegin
CREATE FUNCTION prevention.my_cases(p_kind text) RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(a.participant_id), '{}') FROM prevention.assignments a
    WHERE a.user_id = org.current_user_id() AND a.kind = p_kind AND org.current_app_role() = p_kind
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today()));
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION prevention.my_cases(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prevention.my_cases(text) TO kurve_prevention, kurve_mediation;

ALTER POLICY participants_read ON prevention.participants
  USING (erased_at IS NULL AND (site_id = (SELECT prevention.coordinated_site())
    OR id = ANY ((SELECT prevention.my_cases('social_worker'))::uuid[])));
ALTER POLICY participants_update ON prevention.participants
  USING (erased_at IS NULL AND (site_id = (SELECT prevention.coordinated_site())
    OR id = ANY ((SELECT prevention.my_cases('social_worker'))::uuid[])));
ALTER POLICY participants_mediator ON prevention.participants
  USING (erased_at IS NULL AND id = ANY ((SELECT prevention.my_cases('language_mediator'))::uuid[]));

ALTER POLICY assignments_read ON prevention.assignments
  USING (user_id = org.current_user_id() OR site_id = (SELECT prevention.coordinated_site())
    OR participant_id IN (SELECT prevention.my_participants()));

ALTER POLICY families_read ON prevention.families
  USING (site_id = (SELECT prevention.coordinated_site())
    OR EXISTS (SELECT 1 FROM prevention.participants p WHERE p.family_id = families.id));
ALTER POLICY families_update ON prevention.families
  USING (site_id = (SELECT prevention.coordinated_site())
    OR EXISTS (SELECT 1 FROM prevention.participants p WHERE p.family_id = families.id));

ALTER POLICY sessions_read ON prevention.sessions
  USING (site_id = (SELECT prevention.coordinated_site()) OR created_by = org.current_user_id()
    OR EXISTS (SELECT 1 FROM prevention.session_participants sp JOIN prevention.participants p ON p.id = sp.participant_id
               WHERE sp.session_id = sessions.id));
ALTER POLICY sessions_update ON prevention.sessions
  USING (site_id = (SELECT prevention.coordinated_site())
    OR EXISTS (SELECT 1 FROM prevention.session_participants sp JOIN prevention.participants p ON p.id = sp.participant_id
               WHERE sp.session_id = sessions.id));

ALTER POLICY intake_decisions_coordinator ON prevention.intake_decisions
  USING (site_id = (SELECT prevention.coordinated_site()));

-- The coordinator's caseload in case-number order, a page at a time; a
-- user's cases of one kind from the index alone.
CREATE INDEX participants_site_case_idx ON prevention.participants (site_id, case_number);
CREATE INDEX assignments_user_kind_idx ON prevention.assignments (user_id, kind) INCLUDE (participant_id, from_on, until_on);

-- +goose Down
DROP INDEX prevention.assignments_user_kind_idx;
DROP INDEX prevention.participants_site_case_idx;
ALTER POLICY intake_decisions_coordinator ON prevention.intake_decisions
  USING (prevention.is_coordinator_of(site_id));
ALTER POLICY sessions_update ON prevention.sessions
  USING (prevention.is_coordinator_of(site_id)
    OR EXISTS (SELECT 1 FROM prevention.session_participants sp JOIN prevention.participants p ON p.id = sp.participant_id
               WHERE sp.session_id = sessions.id));
ALTER POLICY sessions_read ON prevention.sessions
  USING (prevention.is_coordinator_of(site_id) OR created_by = org.current_user_id()
    OR EXISTS (SELECT 1 FROM prevention.session_participants sp JOIN prevention.participants p ON p.id = sp.participant_id
               WHERE sp.session_id = sessions.id));
ALTER POLICY families_update ON prevention.families
  USING (prevention.is_coordinator_of(site_id)
    OR EXISTS (SELECT 1 FROM prevention.participants p WHERE p.family_id = families.id));
ALTER POLICY families_read ON prevention.families
  USING (prevention.is_coordinator_of(site_id)
    OR EXISTS (SELECT 1 FROM prevention.participants p WHERE p.family_id = families.id));
ALTER POLICY assignments_read ON prevention.assignments
  USING (user_id = org.current_user_id() OR prevention.is_coordinator_of(site_id)
    OR participant_id IN (SELECT prevention.my_participants()));
ALTER POLICY participants_mediator ON prevention.participants
  USING (erased_at IS NULL AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'language_mediator'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today())));
ALTER POLICY participants_update ON prevention.participants
  USING (erased_at IS NULL AND (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today())))));
ALTER POLICY participants_read ON prevention.participants
  USING (erased_at IS NULL AND (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today())))));
DROP FUNCTION prevention.my_cases(text);
DROP FUNCTION prevention.coordinated_site();
ALTER FUNCTION org.current_user_id() SET search_path = pg_catalog;
ALTER FUNCTION org.current_site_id() SET search_path = pg_catalog;
ALTER FUNCTION org.current_app_role() SET search_path = pg_catalog;
ALTER FUNCTION org.today() SET search_path = pg_catalog;
