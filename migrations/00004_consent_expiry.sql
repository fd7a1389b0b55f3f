-- Consents past their expiry date get the state "expired", with a history
-- event, from a job that runs on every instance. Validity never waits for
-- it (models.Consent.ValidOn treats them as invalid already); the job keeps
-- the recorded state honest. The job acts for nobody, so row-level security
-- would show it nothing: it is a SECURITY DEFINER function that does this
-- one thing and returns only a count.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION prevention.expire_consents(p_today date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, prevention AS $$
DECLARE n integer;
BEGIN
  WITH expired AS (
    UPDATE prevention.consents SET state = 'expired', version = version + 1, updated_at = now()
    WHERE state = 'given' AND expires_on <= p_today
    RETURNING id, expires_on
  ), events AS (
    INSERT INTO prevention.consent_events (consent_id, state, effective_on)
    SELECT id, 'expired', expires_on FROM expired RETURNING 1
  )
  SELECT count(*) INTO n FROM events;
  RETURN n;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.expire_consents(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prevention.expire_consents(date) TO kurve_prevention;

-- +goose Down
DROP FUNCTION prevention.expire_consents(date);
