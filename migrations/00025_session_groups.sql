-- Groups for sessions (issue 15): social-skills training runs in fixed
-- groups ("Dienstagsgruppe"), so coordinators and social workers keep
-- named groups of children, and the quick session form offers a group
-- instead of the whole site.
--
-- A group's name is an organisational label, stored in clear so that it
-- can be unique per site; the form asks for no child's name in it. Who is
-- in a group is case data: a member row is visible only with its child
-- (the participants policy decides), so a social worker sees, of a group
-- shared with colleagues, only their own cases. Mediators, the police,
-- evaluators, the admin and the dpo get nothing here.

-- +goose Up
CREATE TABLE prevention.groups (
  id          uuid PRIMARY KEY,
  site_id     uuid NOT NULL REFERENCES org.sites(id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80 AND name = btrim(name)),
  owner_id    uuid NOT NULL REFERENCES org.users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz
);
-- One current group of a name per site (an archived one frees its name);
-- also the index of a site's current groups.
CREATE UNIQUE INDEX groups_site_name_key ON prevention.groups (site_id, lower(name)) WHERE archived_at IS NULL;
CREATE INDEX groups_owner_idx ON prevention.groups (owner_id);

CREATE TABLE prevention.group_members (
  group_id       uuid NOT NULL REFERENCES prevention.groups(id) ON DELETE CASCADE,
  participant_id uuid NOT NULL REFERENCES prevention.participants(id) ON DELETE CASCADE,
  added_by       uuid REFERENCES org.users(id),
  added_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, participant_id)
);
CREATE INDEX group_members_participant_idx ON prevention.group_members (participant_id);

-- The session form finds active children by the start of their case
-- number, in case-number order, at most a few. Written as starts_with():
-- under row security a LIKE (not leakproof) is checked only after the
-- policy, row by row, so PostgreSQL cannot use an index for it;
-- starts_with() is leakproof and becomes a range of this index (under the
-- C collation, whatever the database's).
CREATE INDEX participants_status_case_number_idx ON prevention.participants (status, case_number COLLATE "C");

------------------------------------------------------------------------------
-- Grants: social workers and coordinators only. A group is renamed or
-- archived, never moved to another site or owner, and never deleted
-- (sessions recorded with it stay explained by the audit log).
------------------------------------------------------------------------------
GRANT SELECT, INSERT ON prevention.groups TO kurve_prevention;
GRANT UPDATE (name, archived_at) ON prevention.groups TO kurve_prevention;
GRANT SELECT, INSERT, DELETE ON prevention.group_members TO kurve_prevention;

ALTER TABLE prevention.groups ENABLE ROW LEVEL SECURITY;
-- The site's coordinator and social workers see the site's groups (the
-- names only: members follow their children, below).
CREATE POLICY groups_read ON prevention.groups FOR SELECT TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id)
    OR (org.current_app_role() = 'social_worker' AND site_id = org.current_site_id()));
-- Staff create groups at their own site, in their own name.
CREATE POLICY groups_insert ON prevention.groups FOR INSERT TO kurve_prevention
  WITH CHECK (site_id = org.current_site_id() AND owner_id = org.current_user_id());
-- The coordinator and the group's owner rename and archive it.
CREATE POLICY groups_update ON prevention.groups FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id) OR (owner_id = org.current_user_id() AND site_id = org.current_site_id()));

ALTER TABLE prevention.group_members ENABLE ROW LEVEL SECURITY;
-- A member is visible with its child and its group.
CREATE POLICY group_members_read ON prevention.group_members FOR SELECT TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = group_members.participant_id)
    AND EXISTS (SELECT 1 FROM prevention.groups g WHERE g.id = group_members.group_id));
-- Only a visible child joins a visible group of the child's own site.
CREATE POLICY group_members_insert ON prevention.group_members FOR INSERT TO kurve_prevention
  WITH CHECK (EXISTS (SELECT 1 FROM prevention.participants p JOIN prevention.groups g ON g.site_id = p.site_id
    WHERE p.id = group_members.participant_id AND g.id = group_members.group_id));
CREATE POLICY group_members_delete ON prevention.group_members FOR DELETE TO kurve_prevention
  USING (EXISTS (SELECT 1 FROM prevention.participants p WHERE p.id = group_members.participant_id)
    AND EXISTS (SELECT 1 FROM prevention.groups g WHERE g.id = group_members.group_id));

-- Erasure (migration 00017) and retention leave nothing of a child in any
-- group: its member rows go when it is erased. The trigger runs with the
-- rights of whoever erases, which is prevention.erase_participant(), a
-- definer function; so it needs no definer rights of its own.
-- +goose StatementBegin
CREATE FUNCTION prevention.erased_leaves_groups() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  DELETE FROM prevention.group_members WHERE participant_id = NEW.id;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.erased_leaves_groups() FROM PUBLIC;
CREATE TRIGGER participants_erased_leave_groups AFTER UPDATE OF erased_at ON prevention.participants
  FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
  EXECUTE FUNCTION prevention.erased_leaves_groups();

-- +goose Down
DROP TRIGGER participants_erased_leave_groups ON prevention.participants;
DROP FUNCTION prevention.erased_leaves_groups();
DROP INDEX prevention.participants_status_case_number_idx;
DROP TABLE prevention.group_members, prevention.groups;
