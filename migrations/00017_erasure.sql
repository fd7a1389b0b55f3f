-- Erasure (GDPR Art. 17, issue 12): a participant's personal data are
-- destroyed, and what the statistics count stays, so that published
-- aggregates do not move.
--
-- Destroyed: every encrypted value about the child (name, date of birth,
-- school, notes), its family (address, phone, e-mail) and its guardians
-- (names, phone, e-mail) unless another child still needs them, its goals'
-- titles, reviews' and extensions' and closing's texts, status-change and
-- visit notes, the notes and place of sessions it alone attended, and the
-- personal fields of its referral (identity, guardian contact, police
-- notes, officer; the police reference becomes a meaningless token).
--
-- Kept, as anonymous rows: site, birth month, gender, status and its
-- dates, consents' purposes and dates (evaluation consent decides who is
-- counted), attendance, goals' progress, review dates, visits' times and
-- status, family languages (interpreter needed), the referral's reason and
-- month. Rows stay rather than go because the statistics and the consent
-- history refer to them; none of them identifies anyone any more.
--
-- An erased participant is invisible to every request role (row security
-- below): it answers 404 to everybody, and its export is empty. Only the
-- data-protection officer's role may erase, through this one function, and
-- only a case that has ended.

-- +goose Up
ALTER TABLE prevention.participants ADD COLUMN erased_at timestamptz;

-- Erased participants are nobody's any more.
ALTER POLICY participants_read ON prevention.participants
  USING (erased_at IS NULL AND (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today())))));
ALTER POLICY participants_update ON prevention.participants
  USING (erased_at IS NULL AND (prevention.is_coordinator_of(site_id) OR (org.current_app_role() = 'social_worker' AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'social_worker'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today())))));
ALTER POLICY participants_mediator ON prevention.participants
  USING (erased_at IS NULL AND EXISTS (
    SELECT 1 FROM prevention.assignments a
    WHERE a.participant_id = participants.id AND a.user_id = org.current_user_id() AND a.kind = 'language_mediator'
      AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today())));

-- +goose StatementBegin
CREATE FUNCTION prevention.erase_participant(p_id uuid) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  p prevention.participants;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN
    RAISE EXCEPTION 'only the data-protection officer erases' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO p FROM prevention.participants WHERE id = p_id AND erased_at IS NULL FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such participant' USING ERRCODE = 'no_data_found';
  END IF;
  IF p.status IN ('referred', 'contacted', 'consent_pending', 'active') THEN
    RAISE EXCEPTION 'case % is open', p.case_number USING ERRCODE = 'object_in_use';
  END IF;

  UPDATE prevention.participants SET first_name_enc = '', last_name_enc = '', date_of_birth_enc = '', school_enc = NULL,
    notes_enc = NULL, languages = '{}', erased_at = now(), version = version + 1, updated_at = now()
  WHERE id = p_id;
  UPDATE prevention.goals SET title_enc = '' WHERE participant_id = p_id;
  UPDATE prevention.reviews SET notes_enc = NULL WHERE participant_id = p_id;
  UPDATE prevention.extensions SET reason_enc = '' WHERE participant_id = p_id;
  UPDATE prevention.closings SET assessment_enc = NULL WHERE participant_id = p_id;
  UPDATE prevention.status_changes SET note_enc = NULL WHERE participant_id = p_id;
  UPDATE prevention.visits SET outcome_note_enc = NULL WHERE participant_id = p_id;
  -- Sessions the child alone attended; a group's notes belong to the group.
  UPDATE prevention.sessions s SET notes_enc = NULL, location_enc = NULL
  WHERE s.id IN (SELECT sp.session_id FROM prevention.session_participants sp WHERE sp.participant_id = p_id)
    AND NOT EXISTS (SELECT 1 FROM prevention.session_participants o WHERE o.session_id = s.id AND o.participant_id <> p_id);
  -- Guardians and the family, unless a child not erased still needs them.
  UPDATE prevention.guardians g SET first_name_enc = '', last_name_enc = '', phone_enc = NULL, email_enc = NULL,
    languages = '{}', version = version + 1, updated_at = now()
  WHERE g.id IN (SELECT pg.guardian_id FROM prevention.participant_guardians pg WHERE pg.participant_id = p_id)
    AND NOT EXISTS (SELECT 1 FROM prevention.participant_guardians o JOIN prevention.participants c ON c.id = o.participant_id
                    WHERE o.guardian_id = g.id AND o.participant_id <> p_id AND c.erased_at IS NULL);
  UPDATE prevention.families f SET address_enc = NULL, phone_enc = NULL, email_enc = NULL, version = version + 1, updated_at = now()
  WHERE f.id = p.family_id
    AND NOT EXISTS (SELECT 1 FROM prevention.participants c WHERE c.family_id = f.id AND c.id <> p_id AND c.erased_at IS NULL);
  -- The referral it came from.
  UPDATE enforcement.referrals r SET first_name_enc = '', last_name_enc = '', date_of_birth_enc = '', guardian_name_enc = NULL,
    guardian_phone_enc = NULL, officer_name_enc = NULL, notes_enc = NULL, police_reference = 'erased-' || r.id::text,
    referring_unit = ''
  WHERE r.id IN (SELECT d.referral_id FROM prevention.intake_decisions d WHERE d.participant_id = p_id);
  RETURN p.case_number;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.erase_participant(uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA prevention TO kurve_dpo;
GRANT EXECUTE ON FUNCTION prevention.erase_participant(uuid) TO kurve_dpo;

-- +goose Down
DROP FUNCTION prevention.erase_participant(uuid);
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
ALTER TABLE prevention.participants DROP COLUMN erased_at;
