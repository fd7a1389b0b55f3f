-- Administration (issue 13, SPEC §2, §9, §11): users and sites managed in
-- Kurve by the admin, who reads no case content.
--
-- What PostgreSQL itself guarantees here, whatever the code path:
-- * a user who is deactivated, changes role or changes site loses every
--   session, API token, calendar feed and unused set-password link in the
--   same statement (trigger org.users_end_access);
-- * such a change is refused while the user still has current assignments;
--   the admin ends them first, through org.end_assignments_of, after
--   confirming how many cases lose their worker (trigger
--   org.users_keep_assignments);
-- * the last active admin cannot be deactivated or demoted, and an admin
--   never deactivates or demotes themselves (trigger org.users_keep_admin,
--   serialised by an advisory lock so that two admins demoting each other
--   at once cannot both succeed);
-- * a deactivated site takes no new case and no new referral.

-- +goose Up

ALTER TABLE org.sites
  ADD COLUMN active boolean NOT NULL DEFAULT true,
  ADD COLUMN version integer NOT NULL DEFAULT 1 CHECK (version > 0),
  ADD COLUMN controller_name text NOT NULL DEFAULT '' CHECK (length(controller_name) <= 200),
  ADD COLUMN controller_address text NOT NULL DEFAULT '' CHECK (length(controller_address) <= 500),
  ADD COLUMN privacy_contact text NOT NULL DEFAULT '' CHECK (length(privacy_contact) <= 200),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- +goose StatementBegin
CREATE FUNCTION org.site_takes_cases() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM org.sites s WHERE s.id = NEW.site_id AND s.active) THEN
    RAISE EXCEPTION 'site % is deactivated', NEW.site_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'site_active';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER participants_site_active BEFORE INSERT ON prevention.participants
  FOR EACH ROW EXECUTE FUNCTION org.site_takes_cases();
CREATE TRIGGER referrals_site_active BEFORE INSERT ON enforcement.referrals
  FOR EACH ROW EXECUTE FUNCTION org.site_takes_cases();

-- One-time set-password links: the token travels in the URL and is kept
-- only as its SHA-256. The admin issues them (and withdraws earlier ones);
-- kurve_auth finds and spends them, and retention purges them.
CREATE TABLE auth.password_links (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES org.users(id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_by uuid REFERENCES org.users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX password_links_user_idx ON auth.password_links (user_id);
CREATE INDEX password_links_expires_idx ON auth.password_links (expires_at);
GRANT SELECT, INSERT, UPDATE (used_at) ON auth.password_links TO kurve_admin;
GRANT SELECT, DELETE, UPDATE (used_at) ON auth.password_links TO kurve_auth;

-- Ending access. SECURITY DEFINER: the admin has no privilege on sessions,
-- tokens or feeds, and needs none.
-- +goose StatementBegin
CREATE FUNCTION org.users_end_access() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  IF (OLD.active AND NOT NEW.active) OR OLD.role <> NEW.role OR OLD.site_id <> NEW.site_id THEN
    DELETE FROM auth.sessions WHERE user_id = NEW.id;
    DELETE FROM auth.api_tokens WHERE user_id = NEW.id;
    DELETE FROM auth.calendar_feeds WHERE user_id = NEW.id;
    UPDATE auth.password_links SET used_at = now() WHERE user_id = NEW.id AND used_at IS NULL;
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_end_access AFTER UPDATE OF active, role, site_id ON org.users
  FOR EACH ROW EXECUTE FUNCTION org.users_end_access();

-- The assignments a user holds from today on (current or still to come).
-- +goose StatementBegin
CREATE FUNCTION org.open_assignments_of(p_user uuid) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT count(*)::integer FROM prevention.assignments a
  WHERE a.user_id = p_user AND (a.until_on IS NULL OR a.until_on >= org.today())
    AND org.current_app_role() = 'admin'
$$;
-- +goose StatementEnd

-- Ends them at once: an assignment that began before today ends yesterday,
-- one that begins today or later never takes effect. Returns how many.
-- +goose StatementBegin
CREATE FUNCTION org.end_assignments_of(p_user uuid) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE ended integer; dropped integer;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'admin' THEN
    RAISE EXCEPTION 'only the admin ends all assignments of a user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE prevention.assignments SET until_on = org.today() - 1
  WHERE user_id = p_user AND from_on < org.today() AND (until_on IS NULL OR until_on >= org.today());
  GET DIAGNOSTICS ended = ROW_COUNT;
  DELETE FROM prevention.assignments WHERE user_id = p_user AND from_on >= org.today();
  GET DIAGNOSTICS dropped = ROW_COUNT;
  RETURN ended + dropped;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION org.open_assignments_of(uuid), org.end_assignments_of(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION org.open_assignments_of(uuid), org.end_assignments_of(uuid) TO kurve_admin;

-- +goose StatementBegin
CREATE FUNCTION org.users_keep_assignments() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE n integer;
BEGIN
  IF (OLD.active AND NOT NEW.active) OR OLD.role <> NEW.role OR OLD.site_id <> NEW.site_id THEN
    SELECT count(*) INTO n FROM prevention.assignments a
    WHERE a.user_id = NEW.id AND (a.until_on IS NULL OR a.until_on >= org.today());
    IF n > 0 THEN
      RAISE EXCEPTION 'user % still has % open assignments', NEW.id, n
        USING ERRCODE = 'check_violation', CONSTRAINT = 'user_assignments_open';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_keep_assignments BEFORE UPDATE OF active, role, site_id ON org.users
  FOR EACH ROW EXECUTE FUNCTION org.users_keep_assignments();

-- +goose StatementBegin
CREATE FUNCTION org.users_keep_admin() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  IF OLD.role = 'admin' AND OLD.active AND (NEW.role <> 'admin' OR NOT NEW.active) THEN
    IF NEW.id = org.current_user_id() THEN
      RAISE EXCEPTION 'an admin does not deactivate or demote themselves'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'admin_not_self';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('kurve.active_admins'));
    IF NOT EXISTS (SELECT FROM org.users u WHERE u.role = 'admin' AND u.active AND u.id <> NEW.id) THEN
      RAISE EXCEPTION 'the last active admin stays'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'last_admin';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_keep_admin BEFORE UPDATE OF active, role ON org.users
  FOR EACH ROW EXECUTE FUNCTION org.users_keep_admin();

-- A second factor reset by the admin ends the user's sessions: the next
-- sign-in asks for a new enrolment.
-- +goose StatementBegin
CREATE FUNCTION auth.end_sessions_of(p_user uuid) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE n integer;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'admin' THEN
    RAISE EXCEPTION 'only the admin ends the sessions of another user' USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM auth.sessions WHERE user_id = p_user;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION auth.end_sessions_of(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth.end_sessions_of(uuid) TO kurve_admin;

-- +goose Down
REVOKE EXECUTE ON FUNCTION org.open_assignments_of(uuid), org.end_assignments_of(uuid) FROM kurve_admin;
DROP FUNCTION auth.end_sessions_of(uuid);
DROP TRIGGER users_keep_admin ON org.users;
DROP FUNCTION org.users_keep_admin();
DROP TRIGGER users_keep_assignments ON org.users;
DROP FUNCTION org.users_keep_assignments();
DROP FUNCTION org.end_assignments_of(uuid);
DROP FUNCTION org.open_assignments_of(uuid);
DROP TRIGGER users_end_access ON org.users;
DROP FUNCTION org.users_end_access();
DROP TABLE auth.password_links;
DROP TRIGGER referrals_site_active ON enforcement.referrals;
DROP TRIGGER participants_site_active ON prevention.participants;
DROP FUNCTION org.site_takes_cases();
ALTER TABLE org.sites DROP COLUMN active, DROP COLUMN version, DROP COLUMN controller_name,
  DROP COLUMN controller_address, DROP COLUMN privacy_contact, DROP COLUMN updated_at;
