-- The enforcement side (SPEC §5): referrals by police liaisons, and the two
-- crossings of the wall, each a narrow SECURITY DEFINER function in schema
-- "crossing" that only one side may execute:
--   1. intake:   coordinators read the referrals of their site (identity,
--                guardian contact, reason category; never police notes,
--                officer, unit or reference), and decide on them;
--   2. feedback: police liaisons read, for their own referrals, only a
--                status (received / in_program / program_ended) and a month.
-- The intake decision is prevention data and lives on the prevention side;
-- nothing of it flows back except through the feedback function.

-- +goose Up

-- The referral is police data only; its first migration gave it a status
-- column, which would have invited writing the intake decision back into
-- the enforcement side. The status the police see comes from the feedback
-- crossing alone.
ALTER TABLE enforcement.referrals
  DROP COLUMN status,
  ADD COLUMN first_name_enc     text NOT NULL,
  ADD COLUMN last_name_enc      text NOT NULL,
  ADD COLUMN date_of_birth_enc  text NOT NULL,
  ADD COLUMN gender             text NOT NULL CHECK (gender IN ('female', 'male', 'diverse', 'unspecified')),
  ADD COLUMN guardian_name_enc  text,
  ADD COLUMN guardian_phone_enc text,
  ADD COLUMN reason_category    text NOT NULL CHECK (reason_category IN ('violence', 'property', 'other')),
  ADD COLUMN police_reference   text NOT NULL CHECK (length(police_reference) BETWEEN 1 AND 60),
  ADD COLUMN referring_unit     text NOT NULL DEFAULT '' CHECK (length(referring_unit) <= 120),
  ADD COLUMN officer_name_enc   text,
  ADD COLUMN notes_enc          text;
ALTER TABLE enforcement.referrals ALTER COLUMN id DROP DEFAULT;
CREATE INDEX referrals_submitter_idx ON enforcement.referrals (submitted_by);
CREATE INDEX referrals_site_idx ON enforcement.referrals (site_id, created_at);

-- The coordinator's decision on a referral, on the prevention side.
CREATE TABLE prevention.intake_decisions (
  referral_id    uuid PRIMARY KEY,
  site_id        uuid NOT NULL REFERENCES org.sites(id),
  decision       text NOT NULL CHECK (decision IN ('accepted', 'declined')),
  decline_reason text CHECK (decline_reason IN ('not_eligible', 'outside_area', 'family_unreachable', 'duplicate', 'other')),
  participant_id uuid REFERENCES prevention.participants(id) ON DELETE SET NULL,
  decided_by     uuid NOT NULL REFERENCES org.users(id),
  decided_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (decision <> 'declined' OR decline_reason IS NOT NULL)
);
GRANT SELECT, INSERT ON prevention.intake_decisions TO kurve_prevention;
ALTER TABLE prevention.intake_decisions ENABLE ROW LEVEL SECURITY;
CREATE POLICY intake_decisions_coordinator ON prevention.intake_decisions TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id));

CREATE SCHEMA crossing;
GRANT USAGE ON SCHEMA crossing TO kurve_prevention, kurve_enforcement;

-- Crossing 1: the intake queue of the calling coordinator's site. Referrals
-- already decided are gone from it.
-- +goose StatementBegin
CREATE FUNCTION crossing.intake_queue()
RETURNS TABLE (id uuid, site_id uuid, first_name_enc text, last_name_enc text, date_of_birth_enc text, gender text,
               guardian_name_enc text, guardian_phone_enc text, reason_category text, received_on date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT r.id, r.site_id, r.first_name_enc, r.last_name_enc, r.date_of_birth_enc, r.gender,
         r.guardian_name_enc, r.guardian_phone_enc, r.reason_category, (r.created_at AT TIME ZONE 'Europe/Berlin')::date
  FROM enforcement.referrals r
  WHERE org.current_app_role() = 'coordinator' AND r.site_id = org.current_site_id()
    AND NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id)
  ORDER BY r.created_at, r.id
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.intake_queue() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.intake_queue() TO kurve_prevention;

-- Crossing 2: what a police liaison learns about their own referrals. The
-- police_feedback consent rule here mirrors models.PurposeConsented: a
-- guardian with custody, consent given on or before today, not withdrawn
-- or expired by today. Without it the answer is "received", whatever
-- happened; no date finer than a month, no staff, no sessions.
-- +goose StatementBegin
CREATE FUNCTION crossing.referral_feedback()
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
REVOKE ALL ON FUNCTION crossing.referral_feedback() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.referral_feedback() TO kurve_enforcement;

-- The police side: own referrals only (policy of the first migration), no
-- updates, no deletes; identity, officer and notes are encrypted.
GRANT SELECT, INSERT ON enforcement.referrals TO kurve_enforcement;

-- +goose Down
DROP SCHEMA crossing CASCADE;
DROP TABLE prevention.intake_decisions;
ALTER TABLE enforcement.referrals DROP COLUMN first_name_enc, DROP COLUMN last_name_enc, DROP COLUMN date_of_birth_enc,
  DROP COLUMN gender, DROP COLUMN guardian_name_enc, DROP COLUMN guardian_phone_enc, DROP COLUMN reason_category,
  DROP COLUMN police_reference, DROP COLUMN referring_unit, DROP COLUMN officer_name_enc, DROP COLUMN notes_enc,
  ADD COLUMN status text NOT NULL DEFAULT 'received';
