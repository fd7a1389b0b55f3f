-- A login role with no privilege of its own (issue 14, SPEC §10).
--
-- Until now the application connected as the owner of the tables, so a
-- request that missed its SET LOCAL ROLE would have bypassed every policy.
-- In production it connects as a login role that owns nothing, is no
-- superuser, cannot bypass row security and inherits nothing: it may only
-- switch to the kurve_* roles (README, "Least privilege"; `kurve check`).
-- What the owner still did for it becomes a narrow role of its own:
--
-- * refreshing the statistics views, which only their owner may do, runs
--   through statistics.refresh_views(interval), a definer function that only the
--   role kurve_jobs may execute;
-- * reading the schema version (readiness, the start-up check) runs as
--   kurve_jobs too, which may read goose's table of version numbers (and
--   nothing else of the public schema).

-- +goose Up

-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kurve_jobs') THEN
    CREATE ROLE kurve_jobs NOLOGIN NOINHERIT;
  END IF;
  EXECUTE format('GRANT kurve_jobs TO %I', session_user);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION statistics.refresh_views(p_older_than interval) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  -- Several instances refresh on their own clocks: a refresh that another
  -- one did within the interval is not repeated.
  IF EXISTS (SELECT FROM stats_base.refreshed WHERE at > now() - p_older_than) THEN
    RETURN false;
  END IF;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.participant_facts;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.cube;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.cube_months;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.referral_facts;
  REFRESH MATERIALIZED VIEW CONCURRENTLY stats_base.referral_cube;
  UPDATE stats_base.refreshed SET at = now();
  RETURN true;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION statistics.refresh_views(interval) FROM PUBLIC;
GRANT USAGE ON SCHEMA statistics TO kurve_jobs;
GRANT EXECUTE ON FUNCTION statistics.refresh_views(interval) TO kurve_jobs;

-- Which data keys the newest encrypted values name (key ids only, no
-- value): a server started with a key that reads none of them refuses in
-- production (`kurve check`, issue 14's restore drill).
-- +goose StatementBegin
CREATE FUNCTION org.data_key_ids() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT DISTINCT split_part(v, ':', 2) FROM (
    (SELECT first_name_enc AS v FROM prevention.participants WHERE first_name_enc LIKE 'v1:%' ORDER BY created_at DESC LIMIT 50)
    UNION ALL
    (SELECT first_name_enc FROM enforcement.referrals WHERE first_name_enc LIKE 'v1:%' ORDER BY created_at DESC LIMIT 50)
  ) s
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION org.data_key_ids() FROM PUBLIC;
GRANT USAGE ON SCHEMA org TO kurve_jobs;
GRANT EXECUTE ON FUNCTION org.data_key_ids() TO kurve_jobs;

GRANT USAGE ON SCHEMA public TO kurve_jobs;
GRANT SELECT ON public.goose_db_version TO kurve_jobs;

-- +goose Down
DROP FUNCTION org.data_key_ids();
REVOKE USAGE ON SCHEMA org FROM kurve_jobs;
REVOKE SELECT ON public.goose_db_version FROM kurve_jobs;
REVOKE USAGE ON SCHEMA public FROM kurve_jobs;
DROP FUNCTION statistics.refresh_views(interval);
REVOKE USAGE ON SCHEMA statistics FROM kurve_jobs;
