-- Police contacts after a referral, and the third crossing of the wall
-- (issue 17, items 3 and 4; SPEC §5 "Outcome counts", §6 "Outcome
-- measures"). README, "Outcome measurement: police contacts and the third
-- crossing (issue 17)".
--
-- Enforcement side: the police liaison who submitted a referral records
-- the later police contacts of that child on it: a day and a category
-- from the referral reason categories, nothing else (no notes, no
-- offence, no other person). Table enforcement.police_contacts:
--
-- * only the submitting liaison reads and writes the contacts of their
--   referral (policy police_contacts_own, the same rule as referrals_own
--   of the first migration): another liaison, of the same unit or not,
--   sees none of them;
-- * kurve_enforcement may SELECT and INSERT; a contact is never changed or
--   deleted by the application (a mistake is a matter for the police's
--   own records, not for a statistics input that can be tuned);
-- * no prevention, mediation, statistics, admin or dpo role has any
--   privilege on it (models/wall_test.go), and nothing of it is shown to
--   the prevention side: it crosses the wall only as counts, below.
--
-- The third crossing, aggregate only: crossing.police_outcomes(), a
-- SECURITY DEFINER function that kurve_statistics alone may execute,
-- joins inside the database the program outcome of each case with the
-- police contacts recorded on its referrals and returns counts per cell.
-- What counts (stats_base.police_outcome_rows):
--
-- * program start is the day the case became active (activated_on); a
--   child that never became active has no program start and is not
--   counted;
-- * program outcome: "completed", or "ended_early" for every program that
--   ended after its start without being completed: ended early,
--   withdrawn (consent withdrawn) and declined after activation alike.
--   Cases still active have no outcome yet and are not counted until
--   their program ends;
-- * a contact counts for a window of N months (6, 12, 24) when it
--   occurred on or after the program start and before the day N months
--   later; contacts before the program start (between referral and start)
--   never count;
-- * a child is in the denominator of a window only once the window has
--   fully elapsed: program start + N months on or before the day of the
--   last statistics refresh; the numerator is the children of that
--   denominator with at least one counted contact;
-- * only children with a valid guardian's consent to "evaluation", decided
--   as for every other person-level statistic (the column evaluation of
--   stats_base.participant_facts, migration 00008). Unlike the other
--   statistics this holds even where KURVE_STATS_EVALUATION_CONSENT=
--   relaxed: SPEC §5 allows the crossing for consenting children only.
--
-- What leaves: one row per group of the requested dimensions (site, year,
-- quarter, age band, gender, interpreter, reason; cells, row and column
-- totals, grand total, as statistics.outcomes) and per program outcome
-- (plus the total over both), with per window the number of children and
-- of those with a contact. Every count of 1..k-1 children comes back
-- NULL, and so does the count with a contact when the children without a
-- contact are 1..k-1 (k never below 3): no row per person and no small
-- cell leaves the database. Complementary suppression across rows,
-- columns, outcomes and windows follows in the application
-- (models/stats_police.go). Neither side learns anything of the other:
-- the police get nothing back, the prevention side never reads a contact.

-- +goose Up

CREATE TABLE enforcement.police_contacts (
  id          uuid PRIMARY KEY,
  referral_id uuid NOT NULL REFERENCES enforcement.referrals(id) ON DELETE CASCADE,
  occurred_on date NOT NULL,
  category    text NOT NULL CHECK (category IN ('violence', 'property', 'other')),
  recorded_by uuid NOT NULL REFERENCES org.users(id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- The liaison's list of a referral, and the crossing's look-up per referral.
CREATE INDEX police_contacts_referral_idx ON enforcement.police_contacts (referral_id, occurred_on);

GRANT SELECT, INSERT ON enforcement.police_contacts TO kurve_enforcement;
ALTER TABLE enforcement.police_contacts ENABLE ROW LEVEL SECURITY;
-- Only the liaison who submitted the referral reads and records its
-- contacts, and records them in their own name.
CREATE POLICY police_contacts_own ON enforcement.police_contacts TO kurve_enforcement
  USING (EXISTS (SELECT 1 FROM enforcement.referrals r
                 WHERE r.id = police_contacts.referral_id AND r.submitted_by = org.current_user_id()))
  WITH CHECK (recorded_by = org.current_user_id() AND EXISTS (SELECT 1 FROM enforcement.referrals r
                 WHERE r.id = police_contacts.referral_id AND r.submitted_by = org.current_user_id()));

-- A contact lies between the referral's day and today (the program's day):
-- models.PoliceContactInput checks it with a localised message; this
-- keeps any other writer to it.
-- +goose StatementBegin
CREATE FUNCTION enforcement.police_contact_dates() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF NEW.occurred_on > org.today() THEN
    RAISE EXCEPTION 'police contact in the future' USING ERRCODE = 'check_violation', CONSTRAINT = 'police_contact_not_future';
  END IF;
  IF EXISTS (SELECT 1 FROM enforcement.referrals r
             WHERE r.id = NEW.referral_id AND NEW.occurred_on < (r.created_at AT TIME ZONE 'Europe/Berlin')::date) THEN
    RAISE EXCEPTION 'police contact before its referral' USING ERRCODE = 'check_violation', CONSTRAINT = 'police_contact_after_referral';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION enforcement.police_contact_dates() FROM PUBLIC;
CREATE TRIGGER police_contacts_dates BEFORE INSERT ON enforcement.police_contacts
  FOR EACH ROW EXECUTE FUNCTION enforcement.police_contact_dates();

-- One row per child with an ended program and evaluation consent (both as
-- stats_base.participant_facts has them): its dimensions, its program
-- outcome, and per window whether it has elapsed and whether a contact
-- falls into it. The rules of the header, in one place; no role may call
-- it, and its rows never leave the database except counted
-- (police_outcome_cube).
-- +goose StatementBegin
CREATE FUNCTION stats_base.police_outcome_rows()
RETURNS TABLE (participant_id uuid, site text, year integer, qnum integer, quarter text, age_band text, gender text,
               interpreter boolean, reason text, outcome text,
               window_6m boolean, contact_6m boolean, window_12m boolean, contact_12m boolean,
               window_24m boolean, contact_24m boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT f.participant_id, f.site, f.year, f.qnum, f.quarter, f.age_band, f.gender, f.interpreter, f.reason,
         CASE WHEN f.status = 'completed' THEN 'completed' ELSE 'ended_early' END,
         (p.activated_on + interval '6 months')::date <= t.today,
         coalesce(c.first_on < (p.activated_on + interval '6 months')::date, false),
         (p.activated_on + interval '12 months')::date <= t.today,
         coalesce(c.first_on < (p.activated_on + interval '12 months')::date, false),
         (p.activated_on + interval '24 months')::date <= t.today,
         coalesce(c.first_on < (p.activated_on + interval '24 months')::date, false)
  FROM stats_base.participant_facts f
  JOIN prevention.participants p ON p.id = f.participant_id
  CROSS JOIN (SELECT org.today() AS today) t
  -- The first contact on or after the program start, on any referral
  -- that intake took into this case (a re-referral included).
  LEFT JOIN LATERAL (
    SELECT min(pc.occurred_on) AS first_on
    FROM prevention.intake_decisions d
    JOIN enforcement.police_contacts pc ON pc.referral_id = d.referral_id
    WHERE d.participant_id = p.id AND pc.occurred_on >= p.activated_on
  ) c ON true
  WHERE f.evaluation AND p.activated_on IS NOT NULL AND f.status IN ('completed', 'ended_early', 'withdrawn', 'declined')
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION stats_base.police_outcome_rows() FROM PUBLIC;

-- The rows above counted per combination of every dimension and the
-- outcome; the crossing adds these up further.
CREATE MATERIALIZED VIEW stats_base.police_outcome_cube AS
SELECT site, year, qnum, quarter, age_band, gender, interpreter, reason, outcome,
       count(*) FILTER (WHERE window_6m) AS children_6m,
       count(*) FILTER (WHERE window_6m AND contact_6m) AS contacted_6m,
       count(*) FILTER (WHERE window_12m) AS children_12m,
       count(*) FILTER (WHERE window_12m AND contact_12m) AS contacted_12m,
       count(*) FILTER (WHERE window_24m) AS children_24m,
       count(*) FILTER (WHERE window_24m AND contact_24m) AS contacted_24m
FROM stats_base.police_outcome_rows()
GROUP BY site, year, qnum, quarter, age_band, gender, interpreter, reason, outcome;
-- A unique index lets REFRESH ... CONCURRENTLY keep the view readable.
CREATE UNIQUE INDEX police_outcome_cube_key ON stats_base.police_outcome_cube
  (site, quarter, age_band, gender, interpreter, reason, outcome);
REVOKE ALL ON stats_base.police_outcome_cube FROM PUBLIC;

-- Crossing 3. The calling application role must be an evaluator (any
-- other gets no row), the database role kurve_statistics (the only
-- grantee). Dimensions and filters as statistics.outcomes; k as there,
-- never below 3.
GRANT USAGE ON SCHEMA crossing TO kurve_statistics;
-- +goose StatementBegin
CREATE FUNCTION crossing.police_outcomes(p_by text[], p_sites text[], p_years integer[], p_quarters integer[], p_k integer)
RETURNS TABLE (grp integer, site text, year integer, quarter text, age_band text, gender text, interpreter boolean,
               reason text, outcome text, children_6m bigint, contacted_6m bigint, children_12m bigint,
               contacted_12m bigint, children_24m bigint, contacted_24m bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  dims  constant text[] := ARRAY['site', 'year', 'quarter', 'age_band', 'gender', 'interpreter', 'reason'];
  types constant text[] := ARRAY['text', 'integer', 'text', 'text', 'text', 'boolean', 'text'];
  k     constant integer := greatest(coalesce(p_k, 5), 3);
  -- A count of 1..k-1 children (%1$s the count, %2$s k).
  small constant text := '(%1$s > 0 AND %1$s < %2$s)';
  sel   text;
  sets  text[];
  outs  text := '';
  w     text;
  n     text;
  c     text;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'evaluator' THEN
    RETURN;
  END IF;
  SELECT g.sel, g.sets INTO sel, sets FROM stats_base.grouping_of(p_by, dims, types) g;
  FOREACH w IN ARRAY ARRAY['6m', '12m', '24m'] LOOP
    n := format('a.children_%s', w);
    c := format('a.contacted_%s', w);
    -- The children of a window: NULL below k.
    outs := outs || format(', CASE WHEN %s THEN NULL ELSE %s END', format(small, n, k), n);
    -- Those with a contact: NULL below k, and NULL when the children of
    -- the window are or those without a contact would be.
    outs := outs || format(', CASE WHEN %s OR %s OR %s THEN NULL ELSE %s END',
      format(small, n, k), format(small, c, k), format(small, n || ' - ' || c, k), c);
  END LOOP;
  -- The cube's rows are first added up per cell and outcome (one pass),
  -- then those few per grouping: every grouping of statistics.outcomes,
  -- once per outcome and once over both.
  RETURN QUERY EXECUTE format(
    'SELECT a.grp, a.site, a.year, a.quarter, a.age_band, a.gender, a.interpreter, a.reason, a.outcome %s
     FROM (SELECT %s f.outcome,
                  coalesce(sum(f.children_6m), 0)::bigint AS children_6m, coalesce(sum(f.contacted_6m), 0)::bigint AS contacted_6m,
                  coalesce(sum(f.children_12m), 0)::bigint AS children_12m, coalesce(sum(f.contacted_12m), 0)::bigint AS contacted_12m,
                  coalesce(sum(f.children_24m), 0)::bigint AS children_24m, coalesce(sum(f.contacted_24m), 0)::bigint AS contacted_24m
           FROM (SELECT %s, sum(f.children_6m) AS children_6m, sum(f.contacted_6m) AS contacted_6m,
                        sum(f.children_12m) AS children_12m, sum(f.contacted_12m) AS contacted_12m,
                        sum(f.children_24m) AS children_24m, sum(f.contacted_24m) AS contacted_24m
                 FROM stats_base.police_outcome_cube f
                 WHERE ($1 IS NULL OR f.site = ANY ($1)) AND ($2 IS NULL OR f.year = ANY ($2)) AND ($3 IS NULL OR f.qnum = ANY ($3))
                 GROUP BY %s) f
           GROUP BY GROUPING SETS (%s)) a',
    outs, sel, concat_ws(', ', nullif(sets[1], ''), 'f.outcome'), concat_ws(', ', nullif(sets[1], ''), 'f.outcome'),
    (SELECT string_agg('(' || concat_ws(', ', nullif(s, ''), 'f.outcome') || '), (' || s || ')', ', ') FROM unnest(sets) s))
    USING p_sites, p_years, p_quarters;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.police_outcomes(text[], text[], integer[], integer[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.police_outcomes(text[], text[], integer[], integer[], integer) TO kurve_statistics;

-- Refreshing the view above: only its owner may, so a definer function
-- that only kurve_jobs may execute, called right after
-- statistics.refresh_views (models.RefreshStatisticsOlderThan) in the same
-- transaction. A function of its own rather than a line in refresh_views,
-- which other migrations extend too.
-- +goose StatementBegin
CREATE FUNCTION statistics.refresh_police_outcomes() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.police_outcome_cube;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION statistics.refresh_police_outcomes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION statistics.refresh_police_outcomes() TO kurve_jobs;

-- +goose Down
DROP FUNCTION statistics.refresh_police_outcomes();
DROP FUNCTION crossing.police_outcomes(text[], text[], integer[], integer[], integer);
REVOKE USAGE ON SCHEMA crossing FROM kurve_statistics;
DROP MATERIALIZED VIEW stats_base.police_outcome_cube;
DROP FUNCTION stats_base.police_outcome_rows();
DROP TABLE enforcement.police_contacts;
DROP FUNCTION enforcement.police_contact_dates();
