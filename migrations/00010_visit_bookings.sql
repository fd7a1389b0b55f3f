-- Nobody is booked twice, by construction (SPEC §8: 409 when a person is
-- double-booked).
--
-- The check in Go read the person's visits and then inserted: 50
-- simultaneous requests for one mediator and one hour stored up to 9
-- visits. Now each planned or held visit books its mediator and its social
-- worker in prevention.visit_bookings, kept by a trigger, and an exclusion
-- constraint refuses two bookings of one person whose half-open time
-- ranges overlap. A cancelled visit books nobody. The application turns the
-- refusal (SQLSTATE 23P01) into 409 naming the other visit.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE prevention.visit_bookings (
  visit_id  uuid NOT NULL REFERENCES prevention.visits(id) ON DELETE CASCADE,
  person_id uuid NOT NULL,
  during    tstzrange NOT NULL,
  PRIMARY KEY (visit_id, person_id),
  CONSTRAINT visit_bookings_no_overlap EXCLUDE USING gist (person_id WITH =, during WITH &&)
);
-- No application role reads or writes bookings; the trigger (owned by the
-- migrating role) keeps them and visit_conflict() reads them.
REVOKE ALL ON prevention.visit_bookings FROM PUBLIC;

-- +goose StatementBegin
CREATE FUNCTION prevention.book_visit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.starts_at = OLD.starts_at AND NEW.ends_at = OLD.ends_at AND NEW.status = OLD.status
       AND NEW.mediator_id IS NOT DISTINCT FROM OLD.mediator_id
       AND NEW.social_worker_id IS NOT DISTINCT FROM OLD.social_worker_id THEN
      RETURN NEW;
    END IF;
    DELETE FROM prevention.visit_bookings WHERE visit_id = NEW.id;
  END IF;
  IF NEW.status <> 'cancelled' THEN
    INSERT INTO prevention.visit_bookings (visit_id, person_id, during)
    SELECT DISTINCT NEW.id, person, tstzrange(NEW.starts_at, NEW.ends_at, '[)')
    FROM unnest(ARRAY[NEW.mediator_id, NEW.social_worker_id]) AS person
    WHERE person IS NOT NULL;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.book_visit() FROM PUBLIC;
CREATE TRIGGER visits_book AFTER INSERT OR UPDATE ON prevention.visits
  FOR EACH ROW EXECUTE FUNCTION prevention.book_visit();

-- Existing visits book their people, earliest first; a visit that overlaps
-- one booked before it stays as it is but books nobody (it was a double
-- booking already), so that the migration never fails on old data.
-- +goose StatementBegin
DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT id, starts_at, ends_at, mediator_id, social_worker_id FROM prevention.visits
           WHERE status <> 'cancelled' ORDER BY created_at, id LOOP
    BEGIN
      INSERT INTO prevention.visit_bookings (visit_id, person_id, during)
      SELECT DISTINCT v.id, person, tstzrange(v.starts_at, v.ends_at, '[)')
      FROM unnest(ARRAY[v.mediator_id, v.social_worker_id]) AS person WHERE person IS NOT NULL;
    EXCEPTION WHEN exclusion_violation THEN
      RAISE NOTICE 'visit % overlaps an earlier booking and books nobody', v.id;
    END;
  END LOOP;
END
$$;
-- +goose StatementEnd

-- The conflict a refused booking names: time and case number only, also
-- of families the caller cannot see.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.visit_conflict(p_person uuid, p_starts timestamptz, p_ends timestamptz, p_except uuid)
RETURNS TABLE (starts_at timestamptz, ends_at timestamptz, case_number text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT v.starts_at, v.ends_at, p.case_number
  FROM prevention.visit_bookings b
  JOIN prevention.visits v ON v.id = b.visit_id
  JOIN prevention.participants p ON p.id = v.participant_id
  WHERE b.person_id = p_person AND b.during && tstzrange(p_starts, p_ends, '[)')
    AND b.visit_id IS DISTINCT FROM p_except
    AND p.site_id = org.current_site_id()
  ORDER BY v.starts_at LIMIT 1
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION prevention.visit_conflict(p_person uuid, p_starts timestamptz, p_ends timestamptz, p_except uuid)
RETURNS TABLE (starts_at timestamptz, ends_at timestamptz, case_number text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT v.starts_at, v.ends_at, p.case_number
  FROM prevention.visits v JOIN prevention.participants p ON p.id = v.participant_id
  WHERE (v.mediator_id = p_person OR v.social_worker_id = p_person)
    AND v.status <> 'cancelled' AND v.id IS DISTINCT FROM p_except
    AND v.starts_at < p_ends AND p_starts < v.ends_at
    AND p.site_id = org.current_site_id()
  ORDER BY v.starts_at LIMIT 1
$$;
-- +goose StatementEnd
DROP TRIGGER visits_book ON prevention.visits;
DROP FUNCTION prevention.book_visit();
DROP TABLE prevention.visit_bookings;
