-- The audit log as a transparency log (issue 12, SPEC §9).
--
-- Until now a deferred trigger linked every entry into the hash chain at
-- commit, under one advisory lock: every audited request of every instance
-- waited for the one before it. Now appending is a plain INSERT (a number
-- from the sequence, no read of the previous entry, no lock), and a sealer
-- — one at a time across all instances, by advisory lock, about every
-- second — links the new entries into the chain in the order of their ids
-- and signs a checkpoint (tree size, head hash, time) with a key PostgreSQL
-- never holds. A superuser who deletes the last entries, or rewrites an
-- entry and re-hashes the chain, cannot sign a matching checkpoint: `kurve
-- audit verify --checkpoint FILE`, against a checkpoint kept outside the
-- database (the structured log has every one), names where.
--
-- Between append and seal (normally under two seconds) an entry is
-- protected by the grants alone: no application role may update or delete
-- it; only its place in the chain is still open.

-- +goose Up
DROP TRIGGER events_seal ON audit.events;
DROP FUNCTION audit.seal();

-- The sealer's role: reads the log, fills in the place in the chain of
-- entries that have none, writes checkpoints. Nothing else.
-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kurve_sealer') THEN
    CREATE ROLE kurve_sealer NOLOGIN NOINHERIT;
  END IF;
  EXECUTE format('GRANT kurve_sealer TO %I', session_user);
END
$$;
-- +goose StatementEnd

-- The entries still to be sealed, found without scanning the log.
CREATE INDEX events_unsealed_idx ON audit.events (id) WHERE seq IS NULL;

-- A sealed entry is final, for every role including the owner: only a
-- superuser who switches triggers off can change it, and then verify finds
-- it against a signed checkpoint.
-- +goose StatementBegin
CREATE FUNCTION audit.sealed_is_final() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF OLD.seq IS NOT NULL THEN
    RAISE EXCEPTION 'audit entry % is sealed', OLD.seq USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_sealed_final BEFORE UPDATE OR DELETE ON audit.events
  FOR EACH ROW EXECUTE FUNCTION audit.sealed_is_final();

-- Links up to p_limit unsealed entries, in the order of their ids, and
-- returns the size of the chain and the hash of its last entry. The caller
-- holds the sealer's advisory lock.
-- +goose StatementBegin
CREATE FUNCTION audit.link(p_limit integer) RETURNS TABLE (size bigint, head bytea)
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
  last_seq  bigint;
  last_hash bytea;
  e         audit.events;
BEGIN
  SELECT ev.seq, ev.hash INTO last_seq, last_hash FROM audit.events ev
  WHERE ev.seq IS NOT NULL ORDER BY ev.seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  FOR e IN SELECT * FROM audit.events ev WHERE ev.seq IS NULL ORDER BY ev.id LIMIT p_limit LOOP
    last_seq := last_seq + 1;
    e.seq := last_seq;
    e.prev_hash := last_hash;
    last_hash := audit.event_digest(e, e.prev_hash);
    UPDATE audit.events SET seq = e.seq, prev_hash = e.prev_hash, hash = last_hash WHERE id = e.id;
  END LOOP;
  RETURN QUERY SELECT last_seq, last_hash;
END
$$;
-- +goose StatementEnd

-- Signed checkpoints: the chain had size entries and its last entry the
-- hash head at signed_at. The signature (Ed25519) is made outside the
-- database; key_id names the key.
CREATE TABLE audit.checkpoints (
  size      bigint PRIMARY KEY CHECK (size > 0),
  head      bytea NOT NULL CHECK (length(head) = 32),
  signed_at timestamptz NOT NULL,
  key_id    text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
  signature bytea NOT NULL CHECK (length(signature) = 64)
);

GRANT USAGE ON SCHEMA audit TO kurve_sealer;
GRANT SELECT ON audit.events TO kurve_sealer;
GRANT UPDATE (seq, prev_hash, hash) ON audit.events TO kurve_sealer;
GRANT SELECT, INSERT ON audit.checkpoints TO kurve_sealer;
GRANT EXECUTE ON FUNCTION audit.link(integer), audit.event_digest(audit.events, bytea) TO kurve_sealer;

-- +goose Down
DROP TABLE audit.checkpoints;
DROP FUNCTION audit.link(integer);
DROP TRIGGER events_sealed_final ON audit.events;
DROP FUNCTION audit.sealed_is_final();
DROP INDEX audit.events_unsealed_idx;
REVOKE ALL ON audit.events FROM kurve_sealer;
REVOKE USAGE ON SCHEMA audit FROM kurve_sealer;

-- +goose StatementBegin
CREATE FUNCTION audit.seal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, audit AS $$
DECLARE
  last audit.events;
  e audit.events;
BEGIN
  PERFORM pg_advisory_xact_lock(7152026);
  SELECT * INTO last FROM audit.events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
  SELECT * INTO e FROM audit.events WHERE id = NEW.id;
  e.seq := coalesce(last.seq, 0) + 1;
  e.prev_hash := last.hash;
  UPDATE audit.events SET seq = e.seq, prev_hash = e.prev_hash, hash = audit.event_digest(e, last.hash)
  WHERE id = NEW.id;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER events_seal AFTER INSERT ON audit.events
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit.seal();
