-- Outcome measurement, part one: structured assessments (issue 17, SPEC §3,
-- §6 "Outcome measures").
--
-- The instrument. Each site keeps a list of items (prevention.assessment_items):
-- a risk or a resource (school attendance, family support, peer group,
-- impulse control, …), a fixed scale (scale_min..scale_max, at most seven
-- points) and a label and one short anchor text per scale point in the
-- four interface languages. Items are data, not code. An item that has
-- been scored never changes its meaning: the trigger below refuses any
-- change of kind, labels or anchors once a score refers to it, and the
-- scores' foreign key holds its scale. A change of meaning is a new
-- version: a new row with the same code and version + 1 (replaces names
-- the one before), while the old one is retired. Retiring only takes an
-- item out of the form; its scores stay and keep their meaning.
--
-- Assessments. The assigned social worker or the site's coordinator scores
-- every current item (or records it as not assessable, a NULL score) at
-- intake (the baseline), with the 8-week reviews and at the closing
-- interview; an optional comment is encrypted by the application like
-- every note. Assessments are records, never edited: a correction is a
-- new assessment of the same occasion, and the latest one counts.
-- Row security asks the participants' own policy (like goals and reviews),
-- so an assessment is visible exactly with its case; erased cases lose
-- their comments (trigger) and keep their scores, anonymous, for the
-- statistics, like every other count (migration 00017).
--
-- Statistics. stats_base.assessment_facts pairs, per participant and item,
-- the score of the baseline (latest intake assessment) with the score of
-- the exit (latest closing assessment, not before the baseline); an item
-- not assessable at either end has no pair. The gain of a pair is
-- sign-normalised so that positive is better: for a risk item
-- baseline − exit (lower is better), for a resource item exit − baseline
-- (higher is better). Per participant, the gain is the mean over their
-- paired items; a participant improved when it is above zero, is unchanged
-- at zero and got worse below zero (per item the same by the item's gain).
-- Two cubes add these up by the usual dimensions (joined from
-- stats_base.participant_facts, whose refresh comes first) and by item.
-- Evaluators reach them only through two SECURITY DEFINER functions that
-- only kurve_statistics may execute and that return no count below k
-- (never below 3) and no mean of fewer than k people; complementary
-- suppression follows in the application (models.SuppressLinked), as for
-- every other table (migration 00008).

-- +goose Up

-- Anchors: {"de": [...], "en": [...], "tr": [...], "ar": [...]}, one short
-- text per scale point in each interface language.
-- +goose StatementBegin
CREATE FUNCTION prevention.assessment_anchors_ok(p_anchors jsonb, p_points integer) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT CASE WHEN jsonb_typeof(p_anchors) IS DISTINCT FROM 'object' THEN false
    ELSE (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(p_anchors) k) = ARRAY['ar', 'de', 'en', 'tr']
      AND NOT EXISTS (
        SELECT 1 FROM jsonb_each(p_anchors) e
        WHERE CASE WHEN jsonb_typeof(e.value) <> 'array' THEN true
                   WHEN jsonb_array_length(e.value) <> p_points THEN true
                   ELSE EXISTS (SELECT 1 FROM jsonb_array_elements(e.value) x
                                WHERE CASE WHEN jsonb_typeof(x) <> 'string' THEN true
                                           ELSE length(btrim(x #>> '{}')) NOT BETWEEN 1 AND 200 END) END)
  END
$$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION prevention.assessment_anchors_ok(jsonb, integer) TO kurve_prevention;

CREATE TABLE prevention.assessment_items (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id    uuid NOT NULL REFERENCES org.sites(id),
  code       text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
  version    integer NOT NULL DEFAULT 1 CHECK (version BETWEEN 1 AND 999),
  replaces   uuid,
  kind       text NOT NULL CHECK (kind IN ('risk', 'resource')),
  scale_min  smallint NOT NULL CHECK (scale_min BETWEEN 0 AND 9),
  scale_max  smallint NOT NULL,
  name_de    text NOT NULL CHECK (length(btrim(name_de)) BETWEEN 1 AND 120),
  name_en    text NOT NULL CHECK (length(btrim(name_en)) BETWEEN 1 AND 120),
  name_tr    text NOT NULL CHECK (length(btrim(name_tr)) BETWEEN 1 AND 120),
  name_ar    text NOT NULL CHECK (length(btrim(name_ar)) BETWEEN 1 AND 120),
  anchors    jsonb NOT NULL,
  sort       integer NOT NULL DEFAULT 0,
  retired_at timestamptz,
  created_by uuid REFERENCES org.users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Two to seven scale points.
  CHECK (scale_max BETWEEN scale_min + 1 AND least(scale_min + 6, 10)),
  CHECK (prevention.assessment_anchors_ok(anchors, scale_max - scale_min + 1)),
  UNIQUE (site_id, code, version),
  UNIQUE (id, site_id),
  -- The scores' foreign key: a score lies on its item's scale, at its site.
  UNIQUE (id, site_id, scale_min, scale_max),
  FOREIGN KEY (replaces, site_id) REFERENCES prevention.assessment_items (id, site_id)
);
-- One current version of a code per site: the one the form offers.
CREATE UNIQUE INDEX assessment_items_current_key ON prevention.assessment_items (site_id, code) WHERE retired_at IS NULL;

CREATE TABLE prevention.assessments (
  id             uuid PRIMARY KEY,
  participant_id uuid NOT NULL,
  site_id        uuid NOT NULL,
  occasion       text NOT NULL CHECK (occasion IN ('intake', 'review', 'closing')),
  assessed_on    date NOT NULL,
  comment_enc    text,
  created_by     uuid REFERENCES org.users(id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (participant_id, site_id) REFERENCES prevention.participants (id, site_id) ON DELETE CASCADE,
  UNIQUE (id, site_id)
);
-- A case's assessments in order; "no baseline yet" for the start page.
CREATE INDEX assessments_participant_idx ON prevention.assessments (participant_id, occasion, assessed_on);

-- One score per item of an assessment; NULL: not assessable.
CREATE TABLE prevention.assessment_scores (
  assessment_id uuid NOT NULL,
  item_id       uuid NOT NULL,
  site_id       uuid NOT NULL,
  scale_min     smallint NOT NULL,
  scale_max     smallint NOT NULL,
  score         smallint CHECK (score BETWEEN scale_min AND scale_max),
  PRIMARY KEY (assessment_id, item_id),
  FOREIGN KEY (assessment_id, site_id) REFERENCES prevention.assessments (id, site_id) ON DELETE CASCADE,
  FOREIGN KEY (item_id, site_id, scale_min, scale_max) REFERENCES prevention.assessment_items (id, site_id, scale_min, scale_max)
);
-- "Is the item scored anywhere?" (the trigger below).
CREATE INDEX assessment_scores_item_idx ON prevention.assessment_scores (item_id);

-- A scored item keeps its meaning: no change of kind, labels or anchors
-- (its scale is held by the scores' foreign key). Definer rights, because
-- "scored" counts every score, also those of cases the coordinator does
-- not see (erased ones); it reads whether one exists, nothing else.
-- +goose StatementBegin
CREATE FUNCTION prevention.assessment_item_meaning_kept() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF (NEW.kind, NEW.name_de, NEW.name_en, NEW.name_tr, NEW.name_ar) IS DISTINCT FROM (OLD.kind, OLD.name_de, OLD.name_en, OLD.name_tr, OLD.name_ar)
     OR NEW.anchors IS DISTINCT FROM OLD.anchors THEN
    IF EXISTS (SELECT 1 FROM prevention.assessment_scores s WHERE s.item_id = OLD.id) THEN
      RAISE EXCEPTION 'assessment item % version % has scores: a change of meaning needs a new version', OLD.code, OLD.version
        USING ERRCODE = 'object_in_use';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.assessment_item_meaning_kept() FROM PUBLIC;
CREATE TRIGGER assessment_items_meaning_kept BEFORE UPDATE ON prevention.assessment_items
  FOR EACH ROW EXECUTE FUNCTION prevention.assessment_item_meaning_kept();

-- Erasure (migration 00017) and retention destroy an assessment's comment;
-- the scores stay, anonymous, as every count the statistics keep. Like
-- prevention.erased_leaves_groups, it runs with the rights of
-- prevention.erase_participant(), a definer function.
-- +goose StatementBegin
CREATE FUNCTION prevention.erased_loses_assessment_comments() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  UPDATE prevention.assessments SET comment_enc = NULL WHERE participant_id = NEW.id AND comment_enc IS NOT NULL;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.erased_loses_assessment_comments() FROM PUBLIC;
CREATE TRIGGER participants_erased_assessment_comments AFTER UPDATE OF erased_at ON prevention.participants
  FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
  EXECUTE FUNCTION prevention.erased_loses_assessment_comments();

------------------------------------------------------------------------------
-- Grants: social workers and coordinators only (mediators, the police,
-- evaluators, the admin and the dpo get nothing here). Items are added,
-- retired and, while unscored, corrected; never moved to another site,
-- code or version, never deleted. Assessments and scores are appended,
-- never changed or deleted.
------------------------------------------------------------------------------
GRANT SELECT, INSERT ON prevention.assessment_items TO kurve_prevention;
GRANT UPDATE (kind, scale_min, scale_max, name_de, name_en, name_tr, name_ar, anchors, sort, retired_at)
  ON prevention.assessment_items TO kurve_prevention;
GRANT SELECT, INSERT ON prevention.assessments, prevention.assessment_scores TO kurve_prevention;

ALTER TABLE prevention.assessment_items ENABLE ROW LEVEL SECURITY;
-- Staff of a site read its instrument; its coordinators keep it.
CREATE POLICY assessment_items_read ON prevention.assessment_items FOR SELECT TO kurve_prevention
  USING (site_id = org.current_site_id());
CREATE POLICY assessment_items_insert ON prevention.assessment_items FOR INSERT TO kurve_prevention
  WITH CHECK (site_id = (SELECT prevention.coordinated_site()));
CREATE POLICY assessment_items_update ON prevention.assessment_items FOR UPDATE TO kurve_prevention
  USING (site_id = (SELECT prevention.coordinated_site()));

-- An assessment is visible, and written, with its case (the participants
-- policy decides: the coordinators of its site and its current social
-- workers, never for an erased case); its scores with it.
ALTER TABLE prevention.assessments ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessments_all ON prevention.assessments TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = assessments.participant_id));
ALTER TABLE prevention.assessment_scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_scores_all ON prevention.assessment_scores TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.assessments a WHERE a.id = assessment_scores.assessment_id));

------------------------------------------------------------------------------
-- Export (GDPR Art. 15): prevention.export_participant (migration 00019)
-- with the case's assessments, their scores by item code and version, and
-- the sealed comments, which the application decrypts.
------------------------------------------------------------------------------
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.export_participant(p_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  p prevention.participants;
  out jsonb;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN
    RAISE EXCEPTION 'only the data-protection officer exports' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO p FROM prevention.participants WHERE id = p_id AND erased_at IS NULL;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  SELECT jsonb_build_object(
    'participant', to_jsonb(p) - 'erased_at',
    'family', (SELECT to_jsonb(f) || jsonb_build_object('languages', coalesce((
        SELECT jsonb_agg(jsonb_build_object('language', fl.language, 'mode', fl.mode) ORDER BY fl.language)
        FROM prevention.family_languages fl WHERE fl.family_id = f.id), '[]'::jsonb))
      FROM prevention.families f WHERE f.id = p.family_id),
    'guardians', coalesce((SELECT jsonb_agg(to_jsonb(g) || jsonb_build_object('relationship', pg.relationship, 'has_custody', pg.has_custody) ORDER BY g.created_at, g.id)
      FROM prevention.participant_guardians pg JOIN prevention.guardians g ON g.id = pg.guardian_id
      WHERE pg.participant_id = p_id), '[]'::jsonb),
    'consents', coalesce((SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('events', coalesce((
        SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) FROM prevention.consent_events e WHERE e.consent_id = c.id), '[]'::jsonb)) ORDER BY c.created_at, c.id)
      FROM prevention.consents c WHERE c.participant_id = p_id), '[]'::jsonb),
    'assignments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'user_id', a.user_id, 'user_name', u.name, 'kind', a.kind,
        'from_on', a.from_on, 'until_on', a.until_on, 'created_at', a.created_at) ORDER BY a.from_on, a.id)
      FROM prevention.assignments a LEFT JOIN org.users u ON u.id = a.user_id WHERE a.participant_id = p_id), '[]'::jsonb),
    'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'status', s.status, 'started_at', s.started_at,
        'duration_minutes', s.duration_minutes, 'measure', m.code, 'module', mo.code, 'mediator_present', s.mediator_present,
        'attendance', sp.attendance, 'group', s.grp,
        'location_enc', CASE WHEN s.grp THEN NULL ELSE s.location_enc END,
        'notes_enc', CASE WHEN s.grp THEN NULL ELSE s.notes_enc END) ORDER BY s.started_at, s.id)
      FROM prevention.session_participants sp
      JOIN LATERAL (SELECT x.*, EXISTS (SELECT 1 FROM prevention.session_participants o
                                        WHERE o.session_id = x.id AND o.participant_id <> p_id) AS grp
                    FROM prevention.sessions x WHERE x.id = sp.session_id) s ON true
      LEFT JOIN prevention.measures m ON m.id = s.measure_id
      LEFT JOIN prevention.measures mo ON mo.id = s.module_id
      WHERE sp.participant_id = p_id), '[]'::jsonb),
    'withheld', coalesce((SELECT jsonb_agg(jsonb_build_object('session_id', sp.session_id, 'reason', 'group session') ORDER BY sp.session_id)
      FROM prevention.session_participants sp
      WHERE sp.participant_id = p_id
        AND EXISTS (SELECT 1 FROM prevention.session_participants o WHERE o.session_id = sp.session_id AND o.participant_id <> p_id)), '[]'::jsonb),
    'goals', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.goals x WHERE x.participant_id = p_id), '[]'::jsonb),
    'reviews', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.held_on, x.id) FROM prevention.reviews x WHERE x.participant_id = p_id), '[]'::jsonb),
    'assessments', coalesce((SELECT jsonb_agg(to_jsonb(asm) || jsonb_build_object('scores', coalesce((
        SELECT jsonb_agg(jsonb_build_object('item', i.code, 'version', i.version, 'kind', i.kind, 'score', sc.score) ORDER BY i.sort, i.code, i.version)
        FROM prevention.assessment_scores sc JOIN prevention.assessment_items i ON i.id = sc.item_id
        WHERE sc.assessment_id = asm.id), '[]'::jsonb)) ORDER BY asm.assessed_on, asm.created_at, asm.id)
      FROM prevention.assessments asm WHERE asm.participant_id = p_id), '[]'::jsonb),
    'extensions', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.extensions x WHERE x.participant_id = p_id), '[]'::jsonb),
    'closings', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.closings x WHERE x.participant_id = p_id), '[]'::jsonb),
    'status_changes', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM prevention.status_changes x WHERE x.participant_id = p_id), '[]'::jsonb),
    'visits', coalesce((SELECT jsonb_agg(to_jsonb(v) ORDER BY v.starts_at, v.id) FROM prevention.visits v WHERE v.participant_id = p_id), '[]'::jsonb),
    'referral', (SELECT jsonb_build_object('id', r.id, 'site_id', r.site_id, 'received_at', r.created_at,
        'first_name_enc', r.first_name_enc, 'last_name_enc', r.last_name_enc, 'date_of_birth_enc', r.date_of_birth_enc,
        'gender', r.gender, 'guardian_name_enc', r.guardian_name_enc, 'guardian_phone_enc', r.guardian_phone_enc,
        'reason_category', r.reason_category, 'decision', d.decision, 'decided_at', d.decided_at)
      FROM prevention.intake_decisions d JOIN enforcement.referrals r ON r.id = d.referral_id
      WHERE d.participant_id = p_id ORDER BY d.decided_at DESC LIMIT 1),
    'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'at', e.at, 'actor_role', e.actor_role, 'action', e.action,
        'details', e.details) ORDER BY e.at, e.id)
      FROM audit.events e WHERE e.object_id = p_id::text), '[]'::jsonb)
  ) INTO out;
  RETURN out;
END
$$;
-- +goose StatementEnd

------------------------------------------------------------------------------
-- Statistics (SPEC §6): the pairs, the cubes and the two functions.
------------------------------------------------------------------------------
CREATE MATERIALIZED VIEW stats_base.assessment_facts AS
WITH baseline AS (
  SELECT DISTINCT ON (a.participant_id) a.participant_id, a.id, a.assessed_on
  FROM prevention.assessments a WHERE a.occasion = 'intake'
  ORDER BY a.participant_id, a.assessed_on DESC, a.created_at DESC, a.id DESC
), final AS (
  SELECT DISTINCT ON (a.participant_id) a.participant_id, a.id, a.assessed_on
  FROM prevention.assessments a WHERE a.occasion = 'closing'
  ORDER BY a.participant_id, a.assessed_on DESC, a.created_at DESC, a.id DESC
)
SELECT b.participant_id, i.id AS item_id, i.code AS item, i.version, i.kind, i.scale_min, i.scale_max,
       sb.score AS baseline, se.score AS exit,
       -- Positive is better: a risk that falls, a resource that grows.
       CASE WHEN i.kind = 'risk' THEN sb.score - se.score ELSE se.score - sb.score END AS gain
FROM baseline b
JOIN final e ON e.participant_id = b.participant_id AND e.assessed_on >= b.assessed_on
JOIN prevention.assessment_scores sb ON sb.assessment_id = b.id
JOIN prevention.assessment_scores se ON se.assessment_id = e.id AND se.item_id = sb.item_id
JOIN prevention.assessment_items i ON i.id = sb.item_id
WHERE sb.score IS NOT NULL AND se.score IS NOT NULL;
CREATE UNIQUE INDEX assessment_facts_key ON stats_base.assessment_facts (participant_id, item_id);

-- Per combination of the dimensions: the people with at least one pair,
-- the sums of their mean gain and of their mean baseline and exit scores
-- on a scale where higher is better (a risk item's score mirrored on its
-- scale), and how many improved, stayed and got worse.
CREATE MATERIALIZED VIEW stats_base.assessment_cube AS
SELECT f.site, f.year, f.qnum, f.quarter, f.age_band, f.gender, f.interpreter, f.reason, f.evaluation,
       count(*) AS assessed,
       sum(p.gain) AS gain,
       sum(p.base) AS base,
       sum(p.exit) AS exit,
       count(*) FILTER (WHERE p.gain > 0) AS improved,
       count(*) FILTER (WHERE p.gain = 0) AS unchanged,
       count(*) FILTER (WHERE p.gain < 0) AS worse
FROM (SELECT participant_id, avg(gain) AS gain,
             avg(CASE WHEN kind = 'risk' THEN scale_min + scale_max - baseline ELSE baseline END) AS base,
             avg(CASE WHEN kind = 'risk' THEN scale_min + scale_max - exit ELSE exit END) AS exit
      FROM stats_base.assessment_facts GROUP BY participant_id) p
JOIN stats_base.participant_facts f ON f.participant_id = p.participant_id
GROUP BY f.site, f.year, f.qnum, f.quarter, f.age_band, f.gender, f.interpreter, f.reason, f.evaluation;
CREATE UNIQUE INDEX assessment_cube_key ON stats_base.assessment_cube (site, quarter, age_band, gender, interpreter, reason, evaluation);

-- Per item (code, version and scale: items of the same code and version
-- are pooled across sites) by site, entry quarter and the evaluation flag.
CREATE MATERIALIZED VIEW stats_base.assessment_item_cube AS
SELECT f.site, f.year, f.qnum, f.quarter, f.evaluation, a.item, a.version, a.kind, a.scale_min, a.scale_max,
       count(*) AS n,
       sum(a.baseline)::bigint AS baseline,
       sum(a.exit)::bigint AS exit,
       count(*) FILTER (WHERE a.gain > 0) AS improved,
       count(*) FILTER (WHERE a.gain = 0) AS unchanged,
       count(*) FILTER (WHERE a.gain < 0) AS worse
FROM stats_base.assessment_facts a
JOIN stats_base.participant_facts f ON f.participant_id = a.participant_id
GROUP BY f.site, f.year, f.qnum, f.quarter, f.evaluation, a.item, a.version, a.kind, a.scale_min, a.scale_max;
CREATE UNIQUE INDEX assessment_item_cube_key ON stats_base.assessment_item_cube
  (site, quarter, evaluation, item, version, kind, scale_min, scale_max);

-- The outcome table's assessment measures, grouped like statistics.outcomes
-- (same dimensions, filters, grouping sets and grp): the people with a
-- baseline and an exit (below k: NULL) and their mean gain (NULL for fewer
-- than k people). The application merges them into the outcome rows.
-- +goose StatementBegin
CREATE FUNCTION statistics.assessment_outcomes(p_by text[], p_sites text[], p_years integer[], p_quarters integer[],
                                               p_k integer, p_relaxed boolean)
RETURNS TABLE (grp integer, site text, year integer, quarter text, age_band text, gender text,
               interpreter boolean, reason text, assessed bigint, change numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  dims  constant text[] := ARRAY['site', 'year', 'quarter', 'age_band', 'gender', 'interpreter', 'reason'];
  types constant text[] := ARRAY['text', 'integer', 'text', 'text', 'text', 'boolean', 'text'];
  k     constant integer := greatest(coalesce(p_k, 5), 3);
  sel   text;
  sets  text[];
BEGIN
  SELECT g.sel, g.sets INTO sel, sets FROM stats_base.grouping_of(p_by, dims, types) g;
  RETURN QUERY EXECUTE format(
    'SELECT a.grp, a.site, a.year, a.quarter, a.age_band, a.gender, a.interpreter, a.reason,
            stats_base.small(a.assessed, %s),
            CASE WHEN a.assessed < %s THEN NULL ELSE round(a.gain / a.assessed, 3) END
     FROM (SELECT %s coalesce(sum(f.assessed), 0)::bigint AS assessed, sum(f.gain) AS gain
           FROM stats_base.assessment_cube f
           WHERE ($1 OR f.evaluation) AND ($2 IS NULL OR f.site = ANY ($2))
             AND ($3 IS NULL OR f.year = ANY ($3)) AND ($4 IS NULL OR f.qnum = ANY ($4))
           GROUP BY GROUPING SETS (%s)) a',
    k, k, sel, (SELECT string_agg('(' || s || ')', ', ') FROM unnest(sets) s))
    USING coalesce(p_relaxed, false), p_sites, p_years, p_quarters;
END
$$;
-- +goose StatementEnd

-- The evaluator's table per item: first the row of all items (item NULL:
-- people with at least one pair, means on the higher-is-better scale),
-- then one row per item and version with its labels (those of its first
-- site), the people with a pair for it, the mean baseline and exit scores
-- on the item's own scale, and how many improved, stayed and got worse.
-- Counts below k are NULL, and every value of a row of fewer than k people.
-- +goose StatementBegin
CREATE FUNCTION statistics.assessment_items(p_sites text[], p_years integer[], p_quarters integer[], p_k integer, p_relaxed boolean)
RETURNS TABLE (item text, version integer, kind text, scale_min integer, scale_max integer,
               name_de text, name_en text, name_tr text, name_ar text,
               assessed bigint, baseline numeric, exit numeric, improved bigint, unchanged bigint, worse bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  WITH p AS (
    SELECT greatest(coalesce(p_k, 5), 3) AS k, coalesce(p_relaxed, false) AS relaxed
  ), overall AS (
    SELECT NULL::text AS item, NULL::integer AS version, NULL::text AS kind, NULL::integer AS scale_min, NULL::integer AS scale_max,
           coalesce(sum(o.assessed), 0)::bigint AS n, sum(o.base) AS baseline, sum(o.exit) AS exit,
           coalesce(sum(o.improved), 0)::bigint AS improved, coalesce(sum(o.unchanged), 0)::bigint AS unchanged,
           coalesce(sum(o.worse), 0)::bigint AS worse
    FROM stats_base.assessment_cube o, p
    WHERE (p.relaxed OR o.evaluation) AND (p_sites IS NULL OR o.site = ANY (p_sites))
      AND (p_years IS NULL OR o.year = ANY (p_years)) AND (p_quarters IS NULL OR o.qnum = ANY (p_quarters))
  ), items AS (
    SELECT c.item, c.version, c.kind, c.scale_min::integer, c.scale_max::integer,
           sum(c.n)::bigint AS n, sum(c.baseline)::numeric AS baseline, sum(c.exit)::numeric AS exit,
           sum(c.improved)::bigint AS improved, sum(c.unchanged)::bigint AS unchanged, sum(c.worse)::bigint AS worse
    FROM stats_base.assessment_item_cube c, p
    WHERE (p.relaxed OR c.evaluation) AND (p_sites IS NULL OR c.site = ANY (p_sites))
      AND (p_years IS NULL OR c.year = ANY (p_years)) AND (p_quarters IS NULL OR c.qnum = ANY (p_quarters))
    GROUP BY c.item, c.version, c.kind, c.scale_min, c.scale_max
  ), r AS (
    SELECT x.*, x.n < p.k AS hide, p.k FROM (SELECT * FROM overall UNION ALL SELECT * FROM items) x, p
  )
  SELECT r.item, r.version, r.kind, r.scale_min, r.scale_max, l.name_de, l.name_en, l.name_tr, l.name_ar,
         stats_base.small(r.n, r.k),
         CASE WHEN r.hide THEN NULL ELSE round(r.baseline / r.n, 2) END,
         CASE WHEN r.hide THEN NULL ELSE round(r.exit / r.n, 2) END,
         CASE WHEN r.hide THEN NULL ELSE stats_base.small(r.improved, r.k) END,
         CASE WHEN r.hide THEN NULL ELSE stats_base.small(r.unchanged, r.k) END,
         CASE WHEN r.hide THEN NULL ELSE stats_base.small(r.worse, r.k) END
  FROM r
  LEFT JOIN LATERAL (SELECT i.name_de, i.name_en, i.name_tr, i.name_ar FROM prevention.assessment_items i
                     WHERE i.code = r.item AND i.version = r.version
                     ORDER BY i.created_at, i.id LIMIT 1) l ON true
  ORDER BY r.item NULLS FIRST, r.version
$$;
-- +goose StatementEnd

REVOKE ALL ON stats_base.assessment_facts, stats_base.assessment_cube, stats_base.assessment_item_cube FROM PUBLIC;
REVOKE ALL ON FUNCTION statistics.assessment_outcomes(text[], text[], integer[], integer[], integer, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION statistics.assessment_items(text[], integer[], integer[], integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION statistics.assessment_outcomes(text[], text[], integer[], integer[], integer, boolean) TO kurve_statistics;
GRANT EXECUTE ON FUNCTION statistics.assessment_items(text[], integer[], integer[], integer, boolean) TO kurve_statistics;

-- The refresh (migration 00021) refreshes the assessment views after the
-- participant facts they are joined with.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION statistics.refresh_views(p_older_than interval) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  -- Several instances refresh on their own clocks: a refresh that another
  -- one did within the interval is not repeated.
  IF EXISTS (SELECT FROM stats_base.refreshed WHERE at > now() - p_older_than) THEN
    RETURN false;
  END IF;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.participant_facts;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.cube;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.cube_months;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.referral_facts;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.referral_cube;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.assessment_facts;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.assessment_cube;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.assessment_item_cube;
  UPDATE stats_base.refreshed SET at = now();
  RETURN true;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION statistics.refresh_views(p_older_than interval) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  -- Several instances refresh on their own clocks: a refresh that another
  -- one did within the interval is not repeated.
  IF EXISTS (SELECT FROM stats_base.refreshed WHERE at > now() - p_older_than) THEN
    RETURN false;
  END IF;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.participant_facts;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.cube;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.cube_months;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.referral_facts;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.referral_cube;
  UPDATE stats_base.refreshed SET at = now();
  RETURN true;
END
$$;
-- +goose StatementEnd
DROP FUNCTION statistics.assessment_items(text[], integer[], integer[], integer, boolean);
DROP FUNCTION statistics.assessment_outcomes(text[], text[], integer[], integer[], integer, boolean);
DROP MATERIALIZED VIEW stats_base.assessment_item_cube;
DROP MATERIALIZED VIEW stats_base.assessment_cube;
DROP MATERIALIZED VIEW stats_base.assessment_facts;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.export_participant(p_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  p prevention.participants;
  out jsonb;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN
    RAISE EXCEPTION 'only the data-protection officer exports' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO p FROM prevention.participants WHERE id = p_id AND erased_at IS NULL;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  SELECT jsonb_build_object(
    'participant', to_jsonb(p) - 'erased_at',
    'family', (SELECT to_jsonb(f) || jsonb_build_object('languages', coalesce((
        SELECT jsonb_agg(jsonb_build_object('language', fl.language, 'mode', fl.mode) ORDER BY fl.language)
        FROM prevention.family_languages fl WHERE fl.family_id = f.id), '[]'::jsonb))
      FROM prevention.families f WHERE f.id = p.family_id),
    'guardians', coalesce((SELECT jsonb_agg(to_jsonb(g) || jsonb_build_object('relationship', pg.relationship, 'has_custody', pg.has_custody) ORDER BY g.created_at, g.id)
      FROM prevention.participant_guardians pg JOIN prevention.guardians g ON g.id = pg.guardian_id
      WHERE pg.participant_id = p_id), '[]'::jsonb),
    'consents', coalesce((SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('events', coalesce((
        SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) FROM prevention.consent_events e WHERE e.consent_id = c.id), '[]'::jsonb)) ORDER BY c.created_at, c.id)
      FROM prevention.consents c WHERE c.participant_id = p_id), '[]'::jsonb),
    'assignments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'user_id', a.user_id, 'user_name', u.name, 'kind', a.kind,
        'from_on', a.from_on, 'until_on', a.until_on, 'created_at', a.created_at) ORDER BY a.from_on, a.id)
      FROM prevention.assignments a LEFT JOIN org.users u ON u.id = a.user_id WHERE a.participant_id = p_id), '[]'::jsonb),
    'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'status', s.status, 'started_at', s.started_at,
        'duration_minutes', s.duration_minutes, 'measure', m.code, 'module', mo.code, 'mediator_present', s.mediator_present,
        'attendance', sp.attendance, 'group', s.grp,
        'location_enc', CASE WHEN s.grp THEN NULL ELSE s.location_enc END,
        'notes_enc', CASE WHEN s.grp THEN NULL ELSE s.notes_enc END) ORDER BY s.started_at, s.id)
      FROM prevention.session_participants sp
      JOIN LATERAL (SELECT x.*, EXISTS (SELECT 1 FROM prevention.session_participants o
                                        WHERE o.session_id = x.id AND o.participant_id <> p_id) AS grp
                    FROM prevention.sessions x WHERE x.id = sp.session_id) s ON true
      LEFT JOIN prevention.measures m ON m.id = s.measure_id
      LEFT JOIN prevention.measures mo ON mo.id = s.module_id
      WHERE sp.participant_id = p_id), '[]'::jsonb),
    'withheld', coalesce((SELECT jsonb_agg(jsonb_build_object('session_id', sp.session_id, 'reason', 'group session') ORDER BY sp.session_id)
      FROM prevention.session_participants sp
      WHERE sp.participant_id = p_id
        AND EXISTS (SELECT 1 FROM prevention.session_participants o WHERE o.session_id = sp.session_id AND o.participant_id <> p_id)), '[]'::jsonb),
    'goals', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.goals x WHERE x.participant_id = p_id), '[]'::jsonb),
    'reviews', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.held_on, x.id) FROM prevention.reviews x WHERE x.participant_id = p_id), '[]'::jsonb),
    'extensions', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.extensions x WHERE x.participant_id = p_id), '[]'::jsonb),
    'closings', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.closings x WHERE x.participant_id = p_id), '[]'::jsonb),
    'status_changes', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM prevention.status_changes x WHERE x.participant_id = p_id), '[]'::jsonb),
    'visits', coalesce((SELECT jsonb_agg(to_jsonb(v) ORDER BY v.starts_at, v.id) FROM prevention.visits v WHERE v.participant_id = p_id), '[]'::jsonb),
    'referral', (SELECT jsonb_build_object('id', r.id, 'site_id', r.site_id, 'received_at', r.created_at,
        'first_name_enc', r.first_name_enc, 'last_name_enc', r.last_name_enc, 'date_of_birth_enc', r.date_of_birth_enc,
        'gender', r.gender, 'guardian_name_enc', r.guardian_name_enc, 'guardian_phone_enc', r.guardian_phone_enc,
        'reason_category', r.reason_category, 'decision', d.decision, 'decided_at', d.decided_at)
      FROM prevention.intake_decisions d JOIN enforcement.referrals r ON r.id = d.referral_id
      WHERE d.participant_id = p_id ORDER BY d.decided_at DESC LIMIT 1),
    'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'at', e.at, 'actor_role', e.actor_role, 'action', e.action,
        'details', e.details) ORDER BY e.at, e.id)
      FROM audit.events e WHERE e.object_id = p_id::text), '[]'::jsonb)
  ) INTO out;
  RETURN out;
END
$$;
-- +goose StatementEnd
DROP TRIGGER participants_erased_assessment_comments ON prevention.participants;
DROP FUNCTION prevention.erased_loses_assessment_comments();
DROP TABLE prevention.assessment_scores, prevention.assessments;
DROP TRIGGER assessment_items_meaning_kept ON prevention.assessment_items;
DROP FUNCTION prevention.assessment_item_meaning_kept();
DROP TABLE prevention.assessment_items;
DROP FUNCTION prevention.assessment_anchors_ok(jsonb, integer);
