-- Foundation: schemas, database roles, accounts, sessions, audit and the first
-- tables of each side so that the wall is enforced from the first migration on.

-- +goose Up

-- Roles are cluster-wide: several databases (tests, staging) share them, so
-- they are created only when missing. None of them can log in; the
-- application's login role switches to one of them per request with
-- SET LOCAL ROLE. kurve_auth is used only for login, session and token lookup
-- before the user's side is known.
-- +goose StatementBegin
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['kurve_prevention','kurve_enforcement','kurve_statistics','kurve_admin','kurve_auth'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
    END IF;
    -- SET ROLE requires membership of the connecting (session) user.
    EXECUTE format('GRANT %I TO %I', r, session_user);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- Nothing is reachable by default: functions are executable by PUBLIC unless
-- revoked, and the public schema is not used by Kurve.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE SCHEMA org;         -- sites and staff accounts
CREATE SCHEMA auth;        -- web sessions, API tokens, login throttling
CREATE SCHEMA audit;       -- append-only, hash-chained audit log
CREATE SCHEMA prevention;  -- social data (SPEC §3, §4): prevention role only
CREATE SCHEMA enforcement; -- police data (SPEC §5): enforcement role only
CREATE SCHEMA statistics;  -- aggregate views only (SPEC §6)

-- Sites are reference data every side may read (a referral names its site).
CREATE TABLE org.sites (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code       text NOT NULL UNIQUE CHECK (code ~ '^[A-Z]{2,3}$'),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE org.users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id       uuid NOT NULL REFERENCES org.sites(id),
  email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role          text NOT NULL CHECK (role IN ('social_worker','language_mediator','coordinator','evaluator','police_liaison','admin','dpo')),
  language      text NOT NULL DEFAULT 'de' CHECK (language IN ('de','en','tr','ar')),
  password_hash text NOT NULL,
  active        boolean NOT NULL DEFAULT true,
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON org.users (email);

-- A web session: the cookie carries "id.secret", only a hash of the secret is
-- stored. Anonymous sessions (user_id NULL) carry the CSRF token and the
-- chosen language of the login page; login replaces them (rotation).
CREATE TABLE auth.sessions (
  id           text PRIMARY KEY,
  secret_hash  bytea NOT NULL,
  user_id      uuid REFERENCES org.users(id) ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  language     text CHECK (language IN ('de','en','tr','ar')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON auth.sessions (user_id);
CREATE INDEX sessions_seen_idx ON auth.sessions (last_seen_at);

-- Bearer tokens for the JSON API, stored as SHA-256 of the token.
CREATE TABLE auth.api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES org.users(id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON auth.api_tokens (user_id);

-- Failed logins, keyed by a hash of the e-mail address or by client address,
-- so that throttling works across any number of app instances.
CREATE TABLE auth.login_failures (
  key          text NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_idx ON auth.login_failures (key, attempted_at);

-- Audit log. Rows are inserted by every app role and never updated or deleted
-- by them. At commit, a deferred trigger running as the owner gives each row
-- its place in the chain (seq) and the hash over the previous hash and its
-- own content; the advisory lock is held only from commit time on.
CREATE TABLE audit.events (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_id    uuid,
  actor_role  text,
  action      text NOT NULL CHECK (action ~ '^[a-z_.]+$'),
  object_type text,
  object_id   text,
  site_id     uuid,
  request_id  text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  seq         bigint UNIQUE,
  prev_hash   bytea,
  hash        bytea
);

-- +goose StatementBegin
CREATE FUNCTION audit.event_digest(e audit.events, prev bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog AS $$
  SELECT sha256(coalesce(prev, ''::bytea) || convert_to(concat_ws('|',
    e.seq::text, e.id::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    coalesce(e.actor_id::text, ''), coalesce(e.actor_role, ''), e.action,
    coalesce(e.object_type, ''), coalesce(e.object_id, ''), coalesce(e.site_id::text, ''),
    coalesce(e.request_id, ''), e.details::text), 'UTF8'))
$$;
-- +goose StatementEnd

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

-- First tables of each side. Later migrations extend them; they exist now so
-- that the grants, policies and the wall tests cover both sides from day one.
CREATE TABLE prevention.participants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id     uuid NOT NULL REFERENCES org.sites(id),
  case_number text NOT NULL UNIQUE,
  status      text NOT NULL DEFAULT 'referred',
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enforcement.referrals (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site_id      uuid NOT NULL REFERENCES org.sites(id),
  submitted_by uuid NOT NULL REFERENCES org.users(id),
  status       text NOT NULL DEFAULT 'received',
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Aggregates only; the view runs with its owner's rights, so the statistics
-- role never needs (and never gets) a privilege on a per-person table.
CREATE VIEW statistics.participants_by_site AS
  SELECT s.code AS site, count(p.id)::bigint AS participants
  FROM org.sites s LEFT JOIN prevention.participants p ON p.site_id = s.id
  GROUP BY s.code;

-- Per-request settings read by policies. current_setting(..., true) is NULL
-- when unset, which makes every policy below deny.
-- +goose StatementBegin
CREATE FUNCTION org.current_user_id() RETURNS uuid LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT nullif(current_setting('kurve.user_id', true), '')::uuid
$$;
CREATE FUNCTION org.current_site_id() RETURNS uuid LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT nullif(current_setting('kurve.site_id', true), '')::uuid
$$;
CREATE FUNCTION org.current_app_role() RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
  SELECT nullif(current_setting('kurve.role', true), '')
$$;
-- +goose StatementEnd

------------------------------------------------------------------------------
-- Grants. Each role gets exactly what its side needs; anything not granted
-- here is refused by PostgreSQL.
------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA org TO kurve_prevention, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;
GRANT EXECUTE ON FUNCTION org.current_user_id(), org.current_site_id(), org.current_app_role()
  TO kurve_prevention, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;
-- Site codes and names are not personal data; every side may list them.
GRANT SELECT ON org.sites TO kurve_prevention, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;
GRANT INSERT, UPDATE ON org.sites TO kurve_admin;
-- Staff directory: prevention needs colleagues for assignments; enforcement
-- and statistics must not learn who works a case, so they get nothing here.
-- No app role but kurve_auth and kurve_admin may touch password hashes.
GRANT SELECT (id, site_id, email, name, role, language, active) ON org.users TO kurve_prevention;
GRANT SELECT, INSERT, UPDATE ON org.users TO kurve_admin, kurve_auth;

GRANT USAGE ON SCHEMA auth TO kurve_auth;
GRANT SELECT, INSERT, UPDATE, DELETE ON auth.sessions, auth.api_tokens, auth.login_failures TO kurve_auth;

-- Everyone appends to the audit log; nobody but the owner changes it.
GRANT USAGE ON SCHEMA audit TO kurve_prevention, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;
GRANT INSERT (actor_id, actor_role, action, object_type, object_id, site_id, request_id, details) ON audit.events
  TO kurve_prevention, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;
GRANT USAGE ON SEQUENCE audit.events_id_seq TO kurve_prevention, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;

GRANT USAGE ON SCHEMA prevention TO kurve_prevention;
GRANT SELECT, INSERT, UPDATE ON prevention.participants TO kurve_prevention;

GRANT USAGE ON SCHEMA enforcement TO kurve_enforcement;
GRANT SELECT, INSERT ON enforcement.referrals TO kurve_enforcement;

GRANT USAGE ON SCHEMA statistics TO kurve_statistics;
GRANT SELECT ON statistics.participants_by_site TO kurve_statistics;

------------------------------------------------------------------------------
-- Row-level security. Requests never run as the table owner, so policies
-- apply to every request.
------------------------------------------------------------------------------
ALTER TABLE prevention.participants ENABLE ROW LEVEL SECURITY;
-- Coordinators see their site. Assignment-based access for social workers
-- and mediators arrives with the assignments table.
CREATE POLICY participants_coordinator ON prevention.participants TO kurve_prevention
  USING (org.current_app_role() = 'coordinator' AND site_id = org.current_site_id());

ALTER TABLE enforcement.referrals ENABLE ROW LEVEL SECURITY;
-- A police liaison sees and submits only their own referrals.
CREATE POLICY referrals_own ON enforcement.referrals TO kurve_enforcement
  USING (submitted_by = org.current_user_id())
  WITH CHECK (submitted_by = org.current_user_id());


-- +goose Down
DROP SCHEMA statistics, enforcement, prevention, audit, auth, org CASCADE;
