-- Anonymised outcome statistics for program evaluators (SPEC §6).
--
-- Schema stats_base holds one row of clear facts per participant and per
-- referral, as materialised views: no name, no note, no date finer than the
-- day of entry (which never leaves the database). No application role has
-- any privilege on stats_base.
--
-- Schema statistics is what evaluators (kurve_statistics) may use: two
-- SECURITY DEFINER functions that return aggregates only, grouped by the
-- requested dimensions, with every count below k (never below 3) already
-- removed in the database; and the time of the last refresh. Complementary
-- suppression across rows, columns and totals follows in the application
-- (models.SuppressLinked); even a handler bug cannot see a count below 3 or
-- a row per person.
--
-- Person-level facts count a participant only while a guardian's consent
-- to "evaluation" is valid (column evaluation); the caller may relax that
-- where the law allows (setting KURVE_STATS_EVALUATION_CONSENT=relaxed).
-- Referral counts carry no person data and count all referrals.

-- +goose Up
-- The previous placeholder counted every participant, with no k and no
-- evaluation consent.
DROP VIEW statistics.participants_by_site;

CREATE SCHEMA stats_base;

-- The facts look up each participant's referral through its intake decision.
CREATE INDEX intake_decisions_participant_idx ON prevention.intake_decisions (participant_id);

CREATE MATERIALIZED VIEW stats_base.participant_facts AS
WITH attendance AS (
  SELECT sp.participant_id,
         count(*) AS sessions,
         count(*) FILTER (WHERE sp.attendance = 'attended') AS attended
  FROM prevention.session_participants sp
  JOIN prevention.sessions s ON s.id = sp.session_id
  WHERE s.status = 'held' AND sp.attendance IS NOT NULL
  GROUP BY sp.participant_id
), goals AS (
  SELECT participant_id,
         count(*) FILTER (WHERE progress IN ('achieved', 'dropped') OR outcome IS NOT NULL) AS final,
         count(*) FILTER (WHERE progress = 'achieved' OR outcome = 'achieved') AS achieved
  FROM prevention.goals
  GROUP BY participant_id
), reviews AS (
  -- A review is on time when held within 8 weeks of activation or of the
  -- review before it.
  SELECT participant_id, count(*) AS held, count(*) FILTER (WHERE on_time) AS on_time, max(held_on) AS last
  FROM (SELECT r.participant_id, r.held_on,
               r.held_on <= coalesce(lag(r.held_on) OVER w, p.activated_on) + 56 AS on_time
        FROM prevention.reviews r JOIN prevention.participants p ON p.id = r.participant_id
        WINDOW w AS (PARTITION BY r.participant_id ORDER BY r.held_on)) x
  GROUP BY participant_id
), visits AS (
  SELECT participant_id, count(*) AS held FROM prevention.visits WHERE status = 'done' GROUP BY participant_id
), base AS (
  SELECT p.*, s.code AS site_code, (p.created_at AT TIME ZONE 'Europe/Berlin')::date AS entry_on,
         date_part('year', age((p.created_at AT TIME ZONE 'Europe/Berlin')::date, p.birth_month))::int AS age
  FROM prevention.participants p JOIN org.sites s ON s.id = p.site_id
)
SELECT b.id AS participant_id,
       b.site_code AS site,
       date_part('year', b.entry_on)::int AS year,
       date_part('quarter', b.entry_on)::int AS qnum,
       to_char(b.entry_on, 'YYYY-"Q"Q') AS quarter,
       CASE WHEN b.age < 8 THEN 'under_8' WHEN b.age <= 9 THEN '8-9' WHEN b.age <= 11 THEN '10-11'
            WHEN b.age <= 13 THEN '12-13' WHEN b.age <= 15 THEN '14-15' ELSE '16+' END AS age_band,
       b.gender,
       EXISTS (SELECT 1 FROM prevention.family_languages fl
               WHERE fl.family_id = b.family_id AND fl.mode = 'interpreter') AS interpreter,
       coalesce((SELECT r.reason_category FROM prevention.intake_decisions d
                 JOIN enforcement.referrals r ON r.id = d.referral_id
                 WHERE d.participant_id = b.id LIMIT 1), 'none') AS reason,
       EXISTS (SELECT 1 FROM prevention.consents c
               WHERE c.participant_id = b.id AND c.guardian_id IS NOT NULL AND c.state = 'given'
                 AND 'evaluation' = ANY (c.purposes)
                 AND (c.expires_on IS NULL OR c.expires_on > current_date)) AS evaluation,
       b.status,
       CASE WHEN b.status = 'ended_early' THEN coalesce(b.end_reason, 'other') END AS end_reason,
       -- Months in program, for programs that ended after activation.
       CASE WHEN b.activated_on IS NOT NULL AND b.status IN ('completed', 'ended_early', 'withdrawn') THEN
         (SELECT (date_part('year', a) * 12 + date_part('month', a))::int
          FROM age(coalesce(b.ended_on, b.status_changed_on), b.activated_on) a) END AS months_in_program,
       coalesce(a.sessions, 0) AS sessions,
       coalesce(a.attended, 0) AS attended,
       CASE WHEN a.sessions IS NULL THEN 'none'
            WHEN a.attended * 100 >= 80 * a.sessions THEN '80_plus'
            WHEN a.attended * 100 >= 50 * a.sessions THEN '50_79'
            ELSE 'below_50' END AS attendance_band,
       coalesce(g.final, 0) AS goals_final,
       coalesce(g.achieved, 0) AS goals_achieved,
       -- Reviews due: those held, plus one overdue now for an active case.
       coalesce(rv.held, 0) + CASE WHEN b.status = 'active'
         AND coalesce(rv.last, b.activated_on) + 56 < current_date THEN 1 ELSE 0 END AS reviews_due,
       coalesce(rv.on_time, 0) AS reviews_on_time,
       coalesce(v.held, 0) AS visits_held
FROM base b
LEFT JOIN attendance a ON a.participant_id = b.id
LEFT JOIN goals g ON g.participant_id = b.id
LEFT JOIN reviews rv ON rv.participant_id = b.id
LEFT JOIN visits v ON v.participant_id = b.id;
-- A unique index lets REFRESH ... CONCURRENTLY keep the view readable.
CREATE UNIQUE INDEX participant_facts_id ON stats_base.participant_facts (participant_id);

-- The facts added up per combination of every dimension and the evaluation
-- flag (about a quarter of the rows at 100 000 participants); evaluators'
-- tables add these up further. Months in program come as a histogram, so
-- that medians need no row per person either.
CREATE MATERIALIZED VIEW stats_base.cube AS
SELECT site, year, qnum, quarter, age_band, gender, interpreter, reason, evaluation,
       count(*) AS participants,
       count(*) FILTER (WHERE status = 'referred') AS status_referred,
       count(*) FILTER (WHERE status = 'contacted') AS status_contacted,
       count(*) FILTER (WHERE status = 'consent_pending') AS status_consent_pending,
       count(*) FILTER (WHERE status = 'active') AS status_active,
       count(*) FILTER (WHERE status = 'completed') AS status_completed,
       count(*) FILTER (WHERE status = 'declined') AS status_declined,
       count(*) FILTER (WHERE status = 'ended_early') AS status_ended_early,
       count(*) FILTER (WHERE status = 'withdrawn') AS status_withdrawn,
       count(*) FILTER (WHERE attendance_band = '80_plus') AS attendance_80_plus,
       count(*) FILTER (WHERE attendance_band = '50_79') AS attendance_50_79,
       count(*) FILTER (WHERE attendance_band = 'below_50') AS attendance_below_50,
       count(*) FILTER (WHERE attendance_band = 'none') AS attendance_none,
       count(*) FILTER (WHERE end_reason = 'moved') AS ended_early_moved,
       count(*) FILTER (WHERE end_reason = 'no_contact') AS ended_early_no_contact,
       count(*) FILTER (WHERE end_reason = 'family_refused') AS ended_early_family_refused,
       count(*) FILTER (WHERE end_reason = 'child_refused') AS ended_early_child_refused,
       count(*) FILTER (WHERE end_reason = 'needs_other_help') AS ended_early_needs_other_help,
       count(*) FILTER (WHERE end_reason = 'new_offence') AS ended_early_new_offence,
       count(*) FILTER (WHERE end_reason = 'other') AS ended_early_other,
       sum(sessions)::bigint AS sessions,
       sum(attended)::bigint AS attended,
       sum(goals_final)::bigint AS goals_final,
       sum(goals_achieved)::bigint AS goals_achieved,
       sum(reviews_due)::bigint AS reviews_due,
       sum(reviews_on_time)::bigint AS reviews_on_time,
       sum(visits_held)::bigint AS visits_held,
       count(months_in_program) AS programs_ended
FROM stats_base.participant_facts
GROUP BY site, year, qnum, quarter, age_band, gender, interpreter, reason, evaluation;
CREATE UNIQUE INDEX cube_key ON stats_base.cube (site, quarter, age_band, gender, interpreter, reason, evaluation);

CREATE MATERIALIZED VIEW stats_base.cube_months AS
SELECT site, year, qnum, quarter, age_band, gender, interpreter, reason, evaluation,
       months_in_program AS months, count(*) AS n
FROM stats_base.participant_facts
WHERE months_in_program IS NOT NULL
GROUP BY site, year, qnum, quarter, age_band, gender, interpreter, reason, evaluation, months_in_program;
CREATE UNIQUE INDEX cube_months_key ON stats_base.cube_months (site, quarter, age_band, gender, interpreter, reason, evaluation, months);

CREATE MATERIALIZED VIEW stats_base.referral_facts AS
SELECT r.id AS referral_id, s.code AS site,
       date_part('year', r.created_at AT TIME ZONE 'Europe/Berlin')::int AS year,
       date_part('quarter', r.created_at AT TIME ZONE 'Europe/Berlin')::int AS qnum,
       to_char(r.created_at AT TIME ZONE 'Europe/Berlin', 'YYYY-"Q"Q') AS quarter,
       r.reason_category AS reason,
       -- The referral led to program consent: the child became active.
       EXISTS (SELECT 1 FROM prevention.intake_decisions d JOIN prevention.participants p ON p.id = d.participant_id
               WHERE d.referral_id = r.id AND p.activated_on IS NOT NULL) AS consented
FROM enforcement.referrals r JOIN org.sites s ON s.id = r.site_id;
CREATE UNIQUE INDEX referral_facts_id ON stats_base.referral_facts (referral_id);

CREATE MATERIALIZED VIEW stats_base.referral_cube AS
SELECT site, year, qnum, quarter, reason, count(*) AS referrals, count(*) FILTER (WHERE consented) AS consented
FROM stats_base.referral_facts
GROUP BY site, year, qnum, quarter, reason;
CREATE UNIQUE INDEX referral_cube_key ON stats_base.referral_cube (site, quarter, reason);

-- When the views were last refreshed (one row).
CREATE TABLE stats_base.refreshed (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  at  timestamptz NOT NULL
);
INSERT INTO stats_base.refreshed (at) VALUES (now());

-- A count below k is no count: NULL, which the application shows as
-- suppressed. Zero stays zero.
-- +goose StatementBegin
CREATE FUNCTION stats_base.small(n bigint, k integer) RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT CASE WHEN n > 0 AND n < greatest(k, 3) THEN NULL ELSE n END
$$;
-- +goose StatementEnd

-- The grouping of an evaluator's table: checks the requested dimensions
-- against those the table has (dims, with their types), and returns the
-- select list (grp = GROUPING() over the dimensions in request order, then
-- every dimension, NULL where not requested) and the grouping sets as
-- column lists: the cells, the totals of rows (all but the last dimension),
-- of columns (the last dimension) and the grand total ('').
-- +goose StatementBegin
CREATE FUNCTION stats_base.grouping_of(p_by text[], dims text[], types text[], OUT sel text, OUT sets text[])
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
  n    constant integer := coalesce(cardinality(p_by), 0);
  cols text;
BEGIN
  IF n > 0 AND (NOT p_by <@ dims OR (SELECT count(DISTINCT d) FROM unnest(p_by) d) <> n) THEN
    RAISE EXCEPTION 'unknown or repeated dimension' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  sel := '';
  FOR i IN 1..cardinality(dims) LOOP
    sel := sel || CASE WHEN dims[i] = ANY (p_by) THEN format('f.%I', dims[i]) ELSE format('NULL::%s', types[i]) END
               || format(' AS %I, ', dims[i]);
  END LOOP;
  IF n = 0 THEN
    sel := '0 AS grp, ' || sel;
    sets := ARRAY[''];
    RETURN;
  END IF;
  cols := (SELECT string_agg(format('f.%I', d), ', ' ORDER BY o) FROM unnest(p_by) WITH ORDINALITY u(d, o));
  sel := format('GROUPING(%s)::integer AS grp, ', cols) || sel;
  sets := ARRAY[cols, ''];
  IF n > 1 THEN
    sets := ARRAY[cols, (SELECT string_agg(format('f.%I', d), ', ' ORDER BY o) FROM unnest(p_by[1:n-1]) WITH ORDINALITY u(d, o)),
                  format('f.%I', p_by[n]), ''];
  END IF;
END
$$;
-- +goose StatementEnd

-- The evaluator's outcome table: one row per combination of the requested
-- dimensions, plus the totals of rows (all but the last dimension), of
-- columns (the last dimension) and the grand total; grp is GROUPING() over
-- the dimensions in request order (0 for a cell). Measures come as one
-- JSON object; a group of fewer than k participants has every measure
-- NULL, and each person count below k is NULL.
-- +goose StatementBegin
CREATE FUNCTION statistics.outcomes(p_by text[], p_sites text[], p_years integer[], p_quarters integer[],
                                    p_k integer, p_relaxed boolean)
RETURNS TABLE (grp integer, site text, year integer, quarter text, age_band text, gender text,
               interpreter boolean, reason text, measures jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog SET work_mem = '32MB' AS $$
DECLARE
  dims    constant text[] := ARRAY['site', 'year', 'quarter', 'age_band', 'gender', 'interpreter', 'reason'];
  types   constant text[] := ARRAY['text', 'integer', 'text', 'text', 'text', 'boolean', 'text'];
  -- Person counts (below k: NULL) and sums over a group's participants.
  pcounts constant text[] := ARRAY['status_referred', 'status_contacted', 'status_consent_pending', 'status_active',
      'status_completed', 'status_declined', 'status_ended_early', 'status_withdrawn',
      'attendance_80_plus', 'attendance_50_79', 'attendance_below_50', 'attendance_none',
      'ended_early_moved', 'ended_early_no_contact', 'ended_early_family_refused', 'ended_early_child_refused',
      'ended_early_needs_other_help', 'ended_early_new_offence', 'ended_early_other', 'programs_ended'];
  psums   constant text[] := ARRAY['sessions', 'attended', 'goals_final', 'goals_achieved', 'reviews_due', 'reviews_on_time', 'visits_held'];
  k       constant integer := greatest(coalesce(p_k, 5), 3);
  sel     text;
  sets    text[];
  filter  constant text := 'WHERE ($1 OR f.evaluation) AND ($2 IS NULL OR f.site = ANY ($2))
             AND ($3 IS NULL OR f.year = ANY ($3)) AND ($4 IS NULL OR f.qnum = ANY ($4))';
  sums    text := '';
  json    text := format('''participants'', stats_base.small(a.participants, %s)', k);
  hide    text := format('CASE WHEN a.participants < %s THEN NULL ELSE ', k);
  x       text;
BEGIN
  SELECT g.sel, g.sets INTO sel, sets FROM stats_base.grouping_of(p_by, dims, types) g;

  FOREACH x IN ARRAY pcounts LOOP
    sums := sums || format(', sum(f.%I)::bigint AS %I', x, x);
    json := json || format(', %L, %s stats_base.small(a.%I, %s) END', x, hide, x, k);
  END LOOP;
  FOREACH x IN ARRAY psums LOOP
    sums := sums || format(', sum(f.%I)::bigint AS %I', x, x);
    json := json || format(', %L, %s a.%I END', x, hide, x);
  END LOOP;
  -- The median of fewer than k programs would describe too few people.
  json := json || format(', ''months_in_program_median'', CASE WHEN a.participants < %s OR a.programs_ended < %s THEN NULL ELSE m.median END', k, k);

  RETURN QUERY EXECUTE format(
    'SELECT a.grp, a.site, a.year, a.quarter, a.age_band, a.gender, a.interpreter, a.reason, jsonb_build_object(%s)
     FROM (SELECT %s coalesce(sum(f.participants), 0)::bigint AS participants %s
           FROM stats_base.cube f %s
           GROUP BY GROUPING SETS (%s)) a
     LEFT JOIN (
       -- percentile_disc(0.5) from the histogram: the first month at which
       -- half of the group is reached.
       SELECT h.grp, h.site, h.year, h.quarter, h.age_band, h.gender, h.interpreter, h.reason,
              min(h.months) FILTER (WHERE 2 * h.cum >= h.total) AS median
       FROM (SELECT g.*, sum(g.n) OVER w AS cum, sum(g.n) OVER (PARTITION BY g.grp, g.site, g.year, g.quarter,
                    g.age_band, g.gender, g.interpreter, g.reason) AS total
             FROM (SELECT %s f.months, sum(f.n) AS n FROM stats_base.cube_months f %s
                   GROUP BY GROUPING SETS (%s)) g
             WINDOW w AS (PARTITION BY g.grp, g.site, g.year, g.quarter, g.age_band, g.gender, g.interpreter, g.reason
                          ORDER BY g.months)) h
       GROUP BY h.grp, h.site, h.year, h.quarter, h.age_band, h.gender, h.interpreter, h.reason) m
     ON m.grp = a.grp AND m.site IS NOT DISTINCT FROM a.site AND m.year IS NOT DISTINCT FROM a.year
       AND m.quarter IS NOT DISTINCT FROM a.quarter AND m.age_band IS NOT DISTINCT FROM a.age_band
       AND m.gender IS NOT DISTINCT FROM a.gender AND m.interpreter IS NOT DISTINCT FROM a.interpreter
       AND m.reason IS NOT DISTINCT FROM a.reason',
    json, sel, sums, filter,
    (SELECT string_agg('(' || s || ')', ', ') FROM unnest(sets) s),
    sel, filter,
    (SELECT string_agg('(' || concat_ws(', ', nullif(s, ''), 'f.months') || ')', ', ') FROM unnest(sets) s))
    USING coalesce(p_relaxed, false), p_sites, p_years, p_quarters;
END
$$;
-- +goose StatementEnd

-- Referrals by site, year, quarter and reason category: all referrals, and
-- those that led to program consent (the consent rate is a referral-level
-- measure: people who never consented to evaluation count here only as a
-- number), grouped like statistics.outcomes, each count below k NULL.
-- +goose StatementBegin
CREATE FUNCTION statistics.referrals(p_by text[], p_sites text[], p_years integer[], p_quarters integer[], p_k integer)
RETURNS TABLE (grp integer, site text, year integer, quarter text, reason text, referrals bigint, consented bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  k    constant integer := greatest(coalesce(p_k, 5), 3);
  sel  text;
  sets text[];
BEGIN
  SELECT g.sel, g.sets INTO sel, sets
  FROM stats_base.grouping_of(p_by, ARRAY['site', 'year', 'quarter', 'reason'], ARRAY['text', 'integer', 'text', 'text']) g;
  RETURN QUERY EXECUTE format(
    'SELECT %s stats_base.small(coalesce(sum(f.referrals), 0)::bigint, %s), stats_base.small(coalesce(sum(f.consented), 0)::bigint, %s)
     FROM stats_base.referral_cube f
     WHERE ($1 IS NULL OR f.site = ANY ($1)) AND ($2 IS NULL OR f.year = ANY ($2)) AND ($3 IS NULL OR f.qnum = ANY ($3))
     GROUP BY GROUPING SETS (%s)', sel, k, k, (SELECT string_agg('(' || s || ')', ', ') FROM unnest(sets) s))
    USING p_sites, p_years, p_quarters;
END
$$;
-- +goose StatementEnd

-- The time of the last refresh, to the minute.
CREATE VIEW statistics.freshness AS
  SELECT date_trunc('minute', at) AS refreshed_at FROM stats_base.refreshed;

-- Evaluators get the two functions and the refresh time; nothing else on
-- the statistics or stats_base side, and nothing at all to anyone else.
REVOKE ALL ON ALL TABLES IN SCHEMA stats_base FROM PUBLIC;
REVOKE ALL ON FUNCTION stats_base.small(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION stats_base.grouping_of(text[], text[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION statistics.outcomes(text[], text[], integer[], integer[], integer, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION statistics.referrals(text[], text[], integer[], integer[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION statistics.outcomes(text[], text[], integer[], integer[], integer, boolean) TO kurve_statistics;
GRANT EXECUTE ON FUNCTION statistics.referrals(text[], text[], integer[], integer[], integer) TO kurve_statistics;
GRANT SELECT ON statistics.freshness TO kurve_statistics;

-- +goose Down
DROP VIEW statistics.freshness;
DROP FUNCTION statistics.referrals(text[], text[], integer[], integer[], integer);
DROP FUNCTION statistics.outcomes(text[], text[], integer[], integer[], integer, boolean);
DROP SCHEMA stats_base CASCADE;
DROP INDEX prevention.intake_decisions_participant_idx;
CREATE VIEW statistics.participants_by_site AS
  SELECT s.code AS site, count(p.id)::bigint AS participants
  FROM org.sites s LEFT JOIN prevention.participants p ON p.site_id = s.id
  GROUP BY s.code;
GRANT SELECT ON statistics.participants_by_site TO kurve_statistics;
