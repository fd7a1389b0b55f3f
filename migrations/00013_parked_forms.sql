-- The idle timeout never loses work (SPEC §9, issue "integrity"): a form
-- posted after the session expired is parked here, encrypted by the
-- application and bound to the user whose session it was, and offered to
-- that user alone after signing in again, for an hour. Only kurve_auth, the
-- role of the session lookup, reads and writes it.

-- +goose Up
CREATE TABLE auth.parked_forms (
  id         uuid PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES org.users(id) ON DELETE CASCADE,
  path       text NOT NULL CHECK (path LIKE '/%' AND length(path) <= 300),
  form_enc   text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parked_forms_created_idx ON auth.parked_forms (created_at);
GRANT SELECT, INSERT, DELETE ON auth.parked_forms TO kurve_auth;

-- +goose Down
DROP TABLE auth.parked_forms;
