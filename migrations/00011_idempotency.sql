-- Every create is idempotent (SPEC §9, §11): the first answer to a request
-- with an Idempotency-Key (API) or a form's one-time submission key (web)
-- is kept for 24 hours per user, and the same key with the same body gets
-- that answer again without writing anything.
--
-- The key is claimed in the request's own transaction before the handler
-- runs, so a second request with the same key waits on the unique index
-- until the first commits, then replays its answer; when the first fails,
-- its claim is rolled back with everything else and the second runs.

-- +goose Up
CREATE TABLE auth.idempotency_keys (
  id           uuid PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES org.users(id) ON DELETE CASCADE,
  key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash bytea NOT NULL,
  status       integer CHECK (status BETWEEN 100 AND 599),
  location     text,
  content_type text,
  -- The first answer, encrypted: it may carry names (a created case).
  answer_enc   text,
  -- The message the first answer left for the next page ("saved"), shown
  -- again after a replayed redirect.
  flash        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON auth.idempotency_keys (created_at);

-- Every signed-in side stores and reads its own keys only (row security by
-- kurve.user_id); kurve_auth, which serves the account pages and purges old
-- keys, sees all of them, as it sees all sessions.
-- Schema usage opens nothing else of auth: no other table there is granted
-- to these roles.
GRANT USAGE ON SCHEMA auth TO kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin;
GRANT SELECT, INSERT, UPDATE ON auth.idempotency_keys
  TO kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth;
GRANT DELETE ON auth.idempotency_keys TO kurve_auth;
ALTER TABLE auth.idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_own ON auth.idempotency_keys
  TO kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin
  USING (user_id = org.current_user_id()) WITH CHECK (user_id = org.current_user_id());
CREATE POLICY idempotency_keys_auth ON auth.idempotency_keys TO kurve_auth USING (true);

-- +goose Down
DROP TABLE auth.idempotency_keys;
REVOKE USAGE ON SCHEMA auth FROM kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin;
