-- Account protection: TOTP second factor (SPEC §9): optional for everyone, required for admin
-- and dpo. The secret is encrypted by the application (models.Cipher);
-- totp_last_step rejects a code that was already used (replay).

-- +goose Up
ALTER TABLE org.users
  ADD COLUMN totp_secret     text,
  ADD COLUMN totp_enabled_at timestamptz,
  ADD COLUMN totp_last_step  bigint NOT NULL DEFAULT 0;

-- A session whose user needs a second factor is only partly signed in
-- until the code is checked: it may reach the TOTP pages and nothing else.
ALTER TABLE auth.sessions ADD COLUMN second_factor boolean NOT NULL DEFAULT false;

-- A one-time message for the next page (post/redirect/get), as a message
-- ID, never free text.
ALTER TABLE auth.sessions ADD COLUMN flash text CHECK (flash ~ '^[a-z_.]+$');

-- +goose Down
ALTER TABLE auth.sessions DROP COLUMN second_factor, DROP COLUMN flash;
ALTER TABLE org.users DROP COLUMN totp_secret, DROP COLUMN totp_enabled_at, DROP COLUMN totp_last_step;
