-- Police see their own referral (issue 16, item 4; SPEC §5).
--
-- A police liaison reads each referral they submitted, as submitted, and
-- corrects it while intake has not decided on it. What PostgreSQL itself
-- guarantees here, whatever the code path:
--
-- * Own referrals only: reading and changing go through the policy
--   referrals_own of the first migration (FOR ALL: USING and WITH CHECK
--   submitted_by = the acting user), unchanged. Another liaison, of the
--   same unit and site or of another, reads and changes nothing of it.
-- * Only the fields the liaison submitted may change (a column grant):
--   never the id, the submitter or the time it arrived.
-- * Undecided only: a correction by the police side is refused once intake
--   has accepted or declined the referral (trigger referrals_correction).
--   A trigger and not a policy: a BEFORE ROW trigger runs after the row is
--   locked, and its query sees a decision committed while the update
--   waited, where a policy is evaluated on the statement's snapshot, before
--   the wait. The intake side locks the referral before it reads it for a
--   decision (crossing.intake_hold), so a decision and a correction never
--   cross: either the correction commits first and intake decides on the
--   corrected referral, or the decision does and the correction is refused.
-- * Two corrections never overwrite each other silently: every correction
--   counts the referral's version up (the same trigger); a correction is
--   sent with the version it was based on.
--
-- What the police learn of the prevention side by this: one bit per own
-- referral, whether intake has decided (crossing.referral_open) — not
-- whether it accepted or declined, not when, not who. A correction that
-- the police could not be told was refused would be lost without a word;
-- the feedback status stays the only other thing that crosses (crossing 2).

-- +goose Up

ALTER TABLE enforcement.referrals ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0);

-- The police side corrects what it submitted, nothing else.
GRANT UPDATE (site_id, first_name_enc, last_name_enc, date_of_birth_enc, gender, guardian_name_enc, guardian_phone_enc,
  reason_category, police_reference, referring_unit, officer_name_enc, notes_enc) ON enforcement.referrals TO kurve_enforcement;

-- Whether the calling police liaison's own referral is still open to
-- correction (no intake decision yet); NULL for any other referral or
-- caller. VOLATILE: called from the trigger below after the row lock, it
-- must see a decision committed meanwhile, not the statement's snapshot.
-- +goose StatementBegin
CREATE FUNCTION crossing.referral_open(p_id uuid) RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id)
  FROM enforcement.referrals r
  WHERE r.id = p_id AND org.current_app_role() = 'police_liaison' AND r.submitted_by = org.current_user_id()
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.referral_open(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.referral_open(uuid) TO kurve_enforcement;

-- A correction by the police side: refused once intake decided, and the
-- version counted up. The owner's own updates of a referral (erasure,
-- retention, key re-encryption) change no content the police could be
-- correcting at the same time and pass unchanged.
-- +goose StatementBegin
CREATE FUNCTION enforcement.referral_correction() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF current_user = 'kurve_enforcement' THEN
    IF NOT coalesce(crossing.referral_open(OLD.id), false) THEN
      RAISE EXCEPTION 'referral % is decided by intake', OLD.id
        USING ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'referral_undecided';
    END IF;
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION enforcement.referral_correction() FROM PUBLIC;
CREATE TRIGGER referrals_correction BEFORE UPDATE ON enforcement.referrals
  FOR EACH ROW EXECUTE FUNCTION enforcement.referral_correction();

-- A referral moved to another site goes to that site's intake queue: a
-- deactivated site takes none, as for a new referral (migration 00020).
CREATE TRIGGER referrals_site_active_update BEFORE UPDATE OF site_id ON enforcement.referrals
  FOR EACH ROW WHEN (NEW.site_id IS DISTINCT FROM OLD.site_id) EXECUTE FUNCTION org.site_takes_cases();

-- The intake side locks the referral it is about to decide on, before it
-- reads it: a correction under way finishes first and is what intake
-- reads; a correction after it waits for the decision and is refused.
-- Only a coordinator of the referral's site; true when it locked one.
-- +goose StatementBegin
CREATE FUNCTION crossing.intake_hold(p_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  PERFORM 1 FROM enforcement.referrals r
  WHERE r.id = p_id AND org.current_app_role() = 'coordinator' AND r.site_id = org.current_site_id()
  FOR SHARE;
  RETURN FOUND;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.intake_hold(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.intake_hold(uuid) TO kurve_prevention;

-- +goose Down
DROP FUNCTION crossing.intake_hold(uuid);
DROP TRIGGER referrals_site_active_update ON enforcement.referrals;
DROP TRIGGER referrals_correction ON enforcement.referrals;
DROP FUNCTION enforcement.referral_correction();
DROP FUNCTION crossing.referral_open(uuid);
REVOKE UPDATE (site_id, first_name_enc, last_name_enc, date_of_birth_enc, gender, guardian_name_enc, guardian_phone_enc,
  reason_category, police_reference, referring_unit, officer_name_enc, notes_enc) ON enforcement.referrals FROM kurve_enforcement;
ALTER TABLE enforcement.referrals DROP COLUMN version;
