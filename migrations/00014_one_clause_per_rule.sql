-- Each rule of the wall says it once (issue 19, make mutate-wall): the
-- policy that lets a coordinator end an assignment named the same check
-- twice, as USING and as WITH CHECK. Only until_on may be updated (column
-- grant), so the two could never differ, and neither clause could be
-- tested apart from the other. Without WITH CHECK, PostgreSQL checks the
-- updated row with USING: the same rule, stated once.

-- +goose Up
DROP POLICY assignments_update ON prevention.assignments;
CREATE POLICY assignments_update ON prevention.assignments FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id));

-- +goose Down
DROP POLICY assignments_update ON prevention.assignments;
CREATE POLICY assignments_update ON prevention.assignments FOR UPDATE TO kurve_prevention
  USING (prevention.is_coordinator_of(site_id)) WITH CHECK (prevention.is_coordinator_of(site_id));
