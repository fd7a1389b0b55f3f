-- A version of each site's case facts, for the start pages (issue 15,
-- "Pages cost by what they show"; README, "Scale (issue 15)").
--
-- The start page of a coordinator applies the consent rule, the review
-- and the program timing to every open case of the site (models.CaseFacts;
-- 20,000 cases at the largest synthetic site). Its result changes only
-- when one of the facts it reads changes, or with the day. The application
-- keeps the attention lists it computed per user, day and version of the
-- site's facts (app/dashcache.go) and computes them again only when the
-- version has moved.
--
-- prevention.case_facts_versions holds that version: the triggers below
-- raise it, once per statement and site, for every insert, update and
-- delete of what CaseFacts reads: participants (the site's old and new
-- one when a case moves), their guardian links, consents, assignments,
-- reviews, extensions and assessments. The raise is part of the writing
-- transaction, so a reader sees the new version exactly when it can see
-- the new facts (read-your-writes after a save; several instances agree
-- without any message between them). A reader reads the version before
-- the facts: a commit between the two leaves newer facts under an older
-- version, which is computed again on the next request, never the
-- reverse.
--
-- The trigger functions are SECURITY DEFINER because every role that
-- writes these tables (case staff, jobs, erasure, the sealer) must raise
-- the version without a privilege of its own on the table; they read only
-- site ids. Row security lets a user read the version of their own site
-- only: another site's write activity is none of their business.

-- +goose Up

CREATE TABLE prevention.case_facts_versions (
  site_id uuid PRIMARY KEY REFERENCES org.sites(id) ON DELETE CASCADE,
  version bigint NOT NULL
);
INSERT INTO prevention.case_facts_versions (site_id, version) SELECT id, 1 FROM org.sites;

GRANT SELECT ON prevention.case_facts_versions TO kurve_prevention;
ALTER TABLE prevention.case_facts_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY case_facts_versions_own_site ON prevention.case_facts_versions FOR SELECT TO kurve_prevention
  USING (site_id = org.current_site_id());

-- The sites whose facts a statement changed, from its transition tables:
-- participants carry their site; every other table names a participant.
-- +goose StatementBegin
CREATE FUNCTION prevention.bump_case_facts(sites uuid[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
  INSERT INTO prevention.case_facts_versions AS v (site_id, version)
  SELECT DISTINCT s, 1 FROM unnest(sites) s WHERE s IS NOT NULL ORDER BY 1
  ON CONFLICT (site_id) DO UPDATE SET version = v.version + 1
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.bump_case_facts(uuid[]) FROM PUBLIC;

-- +goose StatementBegin
CREATE FUNCTION prevention.case_facts_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF TG_TABLE_NAME = 'participants' THEN
    PERFORM prevention.bump_case_facts(ARRAY(SELECT n.site_id FROM n));
  ELSE
    PERFORM prevention.bump_case_facts(ARRAY(SELECT p.site_id FROM prevention.participants p
                                             WHERE p.id IN (SELECT n.participant_id FROM n)));
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION prevention.case_facts_updated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF TG_TABLE_NAME = 'participants' THEN
    PERFORM prevention.bump_case_facts(ARRAY(SELECT o.site_id FROM o UNION SELECT n.site_id FROM n));
  ELSE
    PERFORM prevention.bump_case_facts(ARRAY(SELECT p.site_id FROM prevention.participants p
                                             WHERE p.id IN (SELECT o.participant_id FROM o UNION SELECT n.participant_id FROM n)));
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION prevention.case_facts_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF TG_TABLE_NAME = 'participants' THEN
    PERFORM prevention.bump_case_facts(ARRAY(SELECT o.site_id FROM o));
  ELSE
    -- A participant deleted in the same statement bumps its site itself.
    PERFORM prevention.bump_case_facts(ARRAY(SELECT p.site_id FROM prevention.participants p
                                             WHERE p.id IN (SELECT o.participant_id FROM o)));
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.case_facts_inserted() FROM PUBLIC;
REVOKE ALL ON FUNCTION prevention.case_facts_updated() FROM PUBLIC;
REVOKE ALL ON FUNCTION prevention.case_facts_deleted() FROM PUBLIC;

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['participants', 'participant_guardians', 'consents', 'assignments', 'reviews', 'extensions', 'assessments'] LOOP
    EXECUTE format('CREATE TRIGGER case_facts_inserted AFTER INSERT ON prevention.%I REFERENCING NEW TABLE AS n
                      FOR EACH STATEMENT EXECUTE FUNCTION prevention.case_facts_inserted()', t);
    EXECUTE format('CREATE TRIGGER case_facts_updated AFTER UPDATE ON prevention.%I REFERENCING OLD TABLE AS o NEW TABLE AS n
                      FOR EACH STATEMENT EXECUTE FUNCTION prevention.case_facts_updated()', t);
    EXECUTE format('CREATE TRIGGER case_facts_deleted AFTER DELETE ON prevention.%I REFERENCING OLD TABLE AS o
                      FOR EACH STATEMENT EXECUTE FUNCTION prevention.case_facts_deleted()', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['participants', 'participant_guardians', 'consents', 'assignments', 'reviews', 'extensions', 'assessments'] LOOP
    EXECUTE format('DROP TRIGGER case_facts_inserted ON prevention.%I', t);
    EXECUTE format('DROP TRIGGER case_facts_updated ON prevention.%I', t);
    EXECUTE format('DROP TRIGGER case_facts_deleted ON prevention.%I', t);
  END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION prevention.case_facts_inserted();
DROP FUNCTION prevention.case_facts_updated();
DROP FUNCTION prevention.case_facts_deleted();
DROP FUNCTION prevention.bump_case_facts(uuid[]);
DROP TABLE prevention.case_facts_versions;
