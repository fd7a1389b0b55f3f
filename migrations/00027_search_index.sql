-- +goose Up
-- Issue 16: one child, one case.
--
-- Blind-index search. Names, dates of birth and phone numbers are sealed by
-- the application (SPEC §3), so PostgreSQL cannot compare them. Beside each
-- sealed value the application stores keyed hashes (HMAC-SHA-256 under a
-- key derived from the data key, cut to 16 bytes) of its normalised tokens
-- and of their phonetic keys; a search hashes its words the same way and
-- looks the hashes up here. No name is stored: a hash without the data key
-- names nobody. What the table does reveal is equality: two rows with the
-- same hash share a token (see README, "Search").
--
-- A token belongs to exactly one participant, guardian or family and is
-- visible, written and deleted only with its owner. Its site is the
-- owner's (set by a trigger, whatever the writer says), so that the
-- policies can answer "coordinated site" and "my cases" from the index,
-- as the participants' policies do (migration 00023).
CREATE TABLE prevention.search_tokens (
  site_id        uuid NOT NULL REFERENCES org.sites(id),
  participant_id uuid REFERENCES prevention.participants(id) ON DELETE CASCADE,
  guardian_id    uuid REFERENCES prevention.guardians(id) ON DELETE CASCADE,
  family_id      uuid REFERENCES prevention.families(id) ON DELETE CASCADE,
  key_id         text NOT NULL CHECK (key_id ~ '^k[0-9a-f]{16}$'),
  hash           bytea NOT NULL CHECK (length(hash) = 16),
  CHECK (num_nonnulls(participant_id, guardian_id, family_id) = 1)
);
CREATE INDEX search_tokens_hash_idx ON prevention.search_tokens (hash) INCLUDE (site_id, participant_id, guardian_id, family_id);
CREATE INDEX search_tokens_participant_idx ON prevention.search_tokens (participant_id) WHERE participant_id IS NOT NULL;
CREATE INDEX search_tokens_guardian_idx ON prevention.search_tokens (guardian_id) WHERE guardian_id IS NOT NULL;
CREATE INDEX search_tokens_family_idx ON prevention.search_tokens (family_id) WHERE family_id IS NOT NULL;

GRANT SELECT, INSERT, DELETE ON prevention.search_tokens TO kurve_prevention;
GRANT SELECT ON prevention.search_tokens TO kurve_mediation;
ALTER TABLE prevention.search_tokens ENABLE ROW LEVEL SECURITY;
-- Read and delete: the coordinator's site, the user's own cases, or a
-- guardian or family the user sees. The first two are InitPlans the
-- planner checks per row without a query; the EXISTS run only for the
-- rows of a guardian or family of another site.
CREATE POLICY search_tokens_read ON prevention.search_tokens FOR SELECT TO kurve_prevention, kurve_mediation
  USING (site_id = (SELECT prevention.coordinated_site())
    OR participant_id = ANY ((SELECT prevention.my_cases('social_worker'))::uuid[])
    OR participant_id = ANY ((SELECT prevention.my_cases('language_mediator'))::uuid[])
    OR (guardian_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.guardians g WHERE g.id = search_tokens.guardian_id))
    OR (family_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.families f WHERE f.id = search_tokens.family_id)));
CREATE POLICY search_tokens_insert ON prevention.search_tokens FOR INSERT TO kurve_prevention
  WITH CHECK ((participant_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = search_tokens.participant_id))
    OR (guardian_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.guardians g WHERE g.id = search_tokens.guardian_id))
    OR (family_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.families f WHERE f.id = search_tokens.family_id)));
CREATE POLICY search_tokens_delete ON prevention.search_tokens FOR DELETE TO kurve_prevention
  USING (site_id = (SELECT prevention.coordinated_site())
    OR participant_id = ANY ((SELECT prevention.my_cases('social_worker'))::uuid[])
    OR (guardian_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.guardians g WHERE g.id = search_tokens.guardian_id))
    OR (family_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.families f WHERE f.id = search_tokens.family_id)));

-- A token's site is its owner's.
-- +goose StatementBegin
CREATE FUNCTION prevention.search_token_site() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  NEW.site_id := CASE
    WHEN NEW.participant_id IS NOT NULL THEN (SELECT p.site_id FROM prevention.participants p WHERE p.id = NEW.participant_id)
    WHEN NEW.guardian_id IS NOT NULL THEN (SELECT f.site_id FROM prevention.guardians g JOIN prevention.families f ON f.id = g.family_id WHERE g.id = NEW.guardian_id)
    ELSE (SELECT f.site_id FROM prevention.families f WHERE f.id = NEW.family_id) END;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.search_token_site() FROM PUBLIC;
CREATE TRIGGER search_tokens_site BEFORE INSERT OR UPDATE ON prevention.search_tokens
  FOR EACH ROW EXECUTE FUNCTION prevention.search_token_site();

-- A token never outlives the value it indexes: when a sealed name, date
-- of birth or phone changes (an edit, an erasure, a re-encryption), the
-- owner's tokens go in the same statement; the application writes the new
-- ones after its update. Erasure (prevention.erase_participant) so leaves
-- no hash of an erased name behind.
-- +goose StatementBegin
CREATE FUNCTION prevention.drop_search_tokens() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  CASE TG_TABLE_NAME
    WHEN 'participants' THEN DELETE FROM prevention.search_tokens WHERE participant_id = OLD.id;
    WHEN 'guardians' THEN DELETE FROM prevention.search_tokens WHERE guardian_id = OLD.id;
    ELSE DELETE FROM prevention.search_tokens WHERE family_id = OLD.id;
  END CASE;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.drop_search_tokens() FROM PUBLIC;
CREATE TRIGGER participants_search_tokens BEFORE UPDATE OF first_name_enc, last_name_enc, date_of_birth_enc ON prevention.participants
  FOR EACH ROW WHEN (OLD.first_name_enc IS DISTINCT FROM NEW.first_name_enc OR OLD.last_name_enc IS DISTINCT FROM NEW.last_name_enc
    OR OLD.date_of_birth_enc IS DISTINCT FROM NEW.date_of_birth_enc)
  EXECUTE FUNCTION prevention.drop_search_tokens();
CREATE TRIGGER guardians_search_tokens BEFORE UPDATE OF first_name_enc, last_name_enc, phone_enc ON prevention.guardians
  FOR EACH ROW WHEN (OLD.first_name_enc IS DISTINCT FROM NEW.first_name_enc OR OLD.last_name_enc IS DISTINCT FROM NEW.last_name_enc
    OR OLD.phone_enc IS DISTINCT FROM NEW.phone_enc)
  EXECUTE FUNCTION prevention.drop_search_tokens();
CREATE TRIGGER families_search_tokens BEFORE UPDATE OF phone_enc ON prevention.families
  FOR EACH ROW WHEN (OLD.phone_enc IS DISTINCT FROM NEW.phone_enc)
  EXECUTE FUNCTION prevention.drop_search_tokens();

-- Guardians carried over from a referral: the police named them, staff
-- have not yet confirmed relationship and custody. Until they do, the
-- guardian counts as having custody (the consent rule then asks for their
-- consent too: the safe side).
ALTER TABLE prevention.participant_guardians ADD COLUMN custody_confirmed boolean NOT NULL DEFAULT true;

-- How intake decided: a new case in a new family, a new case in an
-- existing family (a sibling), or the referral attached to an existing
-- case (a re-referral, no second case).
ALTER TABLE prevention.intake_decisions ADD COLUMN kind text
  CONSTRAINT intake_decisions_kind_values CHECK (kind IN ('new_case', 'sibling', 're_referral'));
UPDATE prevention.intake_decisions SET kind = 'new_case' WHERE decision = 'accepted';
ALTER TABLE prevention.intake_decisions ADD CONSTRAINT intake_decisions_kind_check
  CHECK ((decision = 'accepted') = (kind IS NOT NULL));

-- Whoever sees a case sees the referrals it came from, as intake decided
-- them (kind and date, nothing of the police side): a re-referral is part
-- of the case's history.
CREATE POLICY intake_decisions_case ON prevention.intake_decisions FOR SELECT TO kurve_prevention
  USING (participant_id IS NOT NULL AND EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = intake_decisions.participant_id));

-- +goose Down
DROP POLICY intake_decisions_case ON prevention.intake_decisions;
ALTER TABLE prevention.intake_decisions DROP CONSTRAINT intake_decisions_kind_check;
ALTER TABLE prevention.intake_decisions DROP COLUMN kind;
ALTER TABLE prevention.participant_guardians DROP COLUMN custody_confirmed;
DROP TRIGGER families_search_tokens ON prevention.families;
DROP TRIGGER guardians_search_tokens ON prevention.guardians;
DROP TRIGGER participants_search_tokens ON prevention.participants;
DROP FUNCTION prevention.drop_search_tokens();
DROP TABLE prevention.search_tokens;
DROP FUNCTION prevention.search_token_site();
