-- Lists in pages (issue 15, SPEC §11): every list of the API reads one page
-- after a keyset cursor, in SQL, and never the whole list.
--
-- * The two crossings take the page themselves: a page of the intake queue
--   or of a liaison's feedback continues after a referral's id, and the
--   crossing looks up that referral's place. So the exact time a referral
--   was made stays behind the wall (the queue shows the day only) and the
--   keyset reads the referrals' indexes from the cursor on. The filters of
--   each crossing are unchanged; the reason category is a new filter of
--   the queue. Without arguments each answers as before. The feedback list
--   breaks ties of the same creation time by id, newest first, so that one
--   row comparison pages it.
-- * A coordinator's visit list reads the site's visits by start, from the
--   cursor on. Without an index that starts with the site and the start,
--   every page checked the row security of every visit of the program in
--   the time range: 300 ms for a site with no visit at the 100k synthetic
--   data set, 0.3 ms with it (models.Store.VisitsPage names the site).

-- +goose Up
DROP FUNCTION crossing.intake_queue();

-- +goose StatementBegin
CREATE FUNCTION crossing.intake_queue(p_reason text DEFAULT NULL, p_after uuid DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS TABLE (id uuid, site_id uuid, first_name_enc text, last_name_enc text, date_of_birth_enc text, gender text,
               guardian_name_enc text, guardian_phone_enc text, reason_category text, received_on date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT r.id, r.site_id, r.first_name_enc, r.last_name_enc, r.date_of_birth_enc, r.gender,
         r.guardian_name_enc, r.guardian_phone_enc, r.reason_category, (r.created_at AT TIME ZONE 'Europe/Berlin')::date
  FROM enforcement.referrals r
  WHERE org.current_app_role() = 'coordinator' AND r.site_id = org.current_site_id()
    AND NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id)
    AND (p_reason IS NULL OR r.reason_category = p_reason)
    AND (r.created_at, r.id) > (
      CASE WHEN p_after IS NULL THEN '-infinity'::timestamptz
           ELSE (SELECT a.created_at FROM enforcement.referrals a WHERE a.id = p_after AND a.site_id = org.current_site_id()) END,
      coalesce(p_after, '00000000-0000-0000-0000-000000000000'::uuid))
  ORDER BY r.created_at, r.id
  LIMIT p_limit
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.intake_queue(text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.intake_queue(text, uuid, integer) TO kurve_prevention;

DROP FUNCTION crossing.referral_feedback();

-- +goose StatementBegin
CREATE FUNCTION crossing.referral_feedback(p_after uuid DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS TABLE (id uuid, police_reference text, status text, since date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT r.id, r.police_reference,
    CASE WHEN NOT coalesce(f.consented, false) THEN 'received'
         WHEN p.status IN ('referred', 'contacted', 'consent_pending', 'active') THEN 'in_program'
         ELSE 'program_ended' END,
    CASE WHEN NOT coalesce(f.consented, false) THEN date_trunc('month', r.created_at AT TIME ZONE 'Europe/Berlin')::date
         ELSE date_trunc('month', p.status_changed_on)::date END
  FROM enforcement.referrals r
  LEFT JOIN prevention.intake_decisions d ON d.referral_id = r.id AND d.decision = 'accepted'
  LEFT JOIN prevention.participants p ON p.id = d.participant_id
  LEFT JOIN LATERAL (
    SELECT EXISTS (
      SELECT 1 FROM prevention.consents c
      JOIN prevention.participant_guardians pg ON pg.participant_id = c.participant_id AND pg.guardian_id = c.guardian_id
      WHERE c.participant_id = p.id AND pg.has_custody AND c.state = 'given' AND 'police_feedback' = ANY (c.purposes)
        AND c.given_on <= org.today()
        AND (c.withdrawn_on IS NULL OR c.withdrawn_on > org.today())
        AND (c.expires_on IS NULL OR c.expires_on > org.today())) AS consented
  ) f ON p.id IS NOT NULL
  WHERE org.current_app_role() = 'police_liaison' AND r.submitted_by = org.current_user_id()
    AND (r.created_at, r.id) < (
      CASE WHEN p_after IS NULL THEN 'infinity'::timestamptz
           ELSE (SELECT a.created_at FROM enforcement.referrals a WHERE a.id = p_after AND a.submitted_by = org.current_user_id()) END,
      coalesce(p_after, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
  ORDER BY r.created_at DESC, r.id DESC
  LIMIT p_limit
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.referral_feedback(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.referral_feedback(uuid, integer) TO kurve_enforcement;

CREATE INDEX visits_site_starts_idx ON prevention.visits (site_id, starts_at, id);

-- +goose Down
DROP INDEX prevention.visits_site_starts_idx;

DROP FUNCTION crossing.referral_feedback(uuid, integer);

-- +goose StatementBegin
CREATE FUNCTION crossing.referral_feedback()
RETURNS TABLE (id uuid, police_reference text, status text, since date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT r.id, r.police_reference,
    CASE WHEN NOT coalesce(f.consented, false) THEN 'received'
         WHEN p.status IN ('referred', 'contacted', 'consent_pending', 'active') THEN 'in_program'
         ELSE 'program_ended' END,
    CASE WHEN NOT coalesce(f.consented, false) THEN date_trunc('month', r.created_at AT TIME ZONE 'Europe/Berlin')::date
         ELSE date_trunc('month', p.status_changed_on)::date END
  FROM enforcement.referrals r
  LEFT JOIN prevention.intake_decisions d ON d.referral_id = r.id AND d.decision = 'accepted'
  LEFT JOIN prevention.participants p ON p.id = d.participant_id
  LEFT JOIN LATERAL (
    SELECT EXISTS (
      SELECT 1 FROM prevention.consents c
      JOIN prevention.participant_guardians pg ON pg.participant_id = c.participant_id AND pg.guardian_id = c.guardian_id
      WHERE c.participant_id = p.id AND pg.has_custody AND c.state = 'given' AND 'police_feedback' = ANY (c.purposes)
        AND c.given_on <= org.today()
        AND (c.withdrawn_on IS NULL OR c.withdrawn_on > org.today())
        AND (c.expires_on IS NULL OR c.expires_on > org.today())) AS consented
  ) f ON p.id IS NOT NULL
  WHERE org.current_app_role() = 'police_liaison' AND r.submitted_by = org.current_user_id()
  ORDER BY r.created_at DESC, r.id
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.referral_feedback() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.referral_feedback() TO kurve_enforcement;

DROP FUNCTION crossing.intake_queue(text, uuid, integer);

-- +goose StatementBegin
CREATE FUNCTION crossing.intake_queue()
RETURNS TABLE (id uuid, site_id uuid, first_name_enc text, last_name_enc text, date_of_birth_enc text, gender text,
               guardian_name_enc text, guardian_phone_enc text, reason_category text, received_on date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT r.id, r.site_id, r.first_name_enc, r.last_name_enc, r.date_of_birth_enc, r.gender,
         r.guardian_name_enc, r.guardian_phone_enc, r.reason_category, (r.created_at AT TIME ZONE 'Europe/Berlin')::date
  FROM enforcement.referrals r
  WHERE org.current_app_role() = 'coordinator' AND r.site_id = org.current_site_id()
    AND NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id)
  ORDER BY r.created_at, r.id
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION crossing.intake_queue() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION crossing.intake_queue() TO kurve_prevention;
