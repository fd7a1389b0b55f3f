-- Export (GDPR Art. 15, issue 12): everything stored about a child and its
-- family, as one JSON document, for the data-protection officer.
--
-- kurve_dpo still reads no prevention or enforcement table: it reaches a
-- case's data through this one function only, which refuses every other
-- app role and is executable by kurve_dpo alone. Encrypted values leave as
-- they are stored; the application, which holds the key, decrypts them
-- with the same table, column and row binding as its own read paths.
--
-- Left out: notes and place of sessions other children attended (they
-- speak of those children; the export lists them as withheld), visits of
-- other cases, and of the referral everything but its intake fields
-- (police notes, officer, unit and police reference stay with the police).
-- An unknown or erased participant gives NULL.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION prevention.export_participant(p_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  p prevention.participants;
  out jsonb;
BEGIN
  IF org.current_app_role() IS DISTINCT FROM 'dpo' THEN
    RAISE EXCEPTION 'only the data-protection officer exports' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO p FROM prevention.participants WHERE id = p_id AND erased_at IS NULL;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;

  SELECT jsonb_build_object(
    'participant', to_jsonb(p) - 'erased_at',
    'family', (SELECT to_jsonb(f) || jsonb_build_object('languages', coalesce((
        SELECT jsonb_agg(jsonb_build_object('language', fl.language, 'mode', fl.mode) ORDER BY fl.language)
        FROM prevention.family_languages fl WHERE fl.family_id = f.id), '[]'::jsonb))
      FROM prevention.families f WHERE f.id = p.family_id),
    'guardians', coalesce((SELECT jsonb_agg(to_jsonb(g) || jsonb_build_object('relationship', pg.relationship, 'has_custody', pg.has_custody) ORDER BY g.created_at, g.id)
      FROM prevention.participant_guardians pg JOIN prevention.guardians g ON g.id = pg.guardian_id
      WHERE pg.participant_id = p_id), '[]'::jsonb),
    'consents', coalesce((SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object('events', coalesce((
        SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) FROM prevention.consent_events e WHERE e.consent_id = c.id), '[]'::jsonb)) ORDER BY c.created_at, c.id)
      FROM prevention.consents c WHERE c.participant_id = p_id), '[]'::jsonb),
    'assignments', coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'user_id', a.user_id, 'user_name', u.name, 'kind', a.kind,
        'from_on', a.from_on, 'until_on', a.until_on, 'created_at', a.created_at) ORDER BY a.from_on, a.id)
      FROM prevention.assignments a LEFT JOIN org.users u ON u.id = a.user_id WHERE a.participant_id = p_id), '[]'::jsonb),
    'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'status', s.status, 'started_at', s.started_at,
        'duration_minutes', s.duration_minutes, 'measure', m.code, 'module', mo.code, 'mediator_present', s.mediator_present,
        'attendance', sp.attendance, 'group', s.grp,
        'location_enc', CASE WHEN s.grp THEN NULL ELSE s.location_enc END,
        'notes_enc', CASE WHEN s.grp THEN NULL ELSE s.notes_enc END) ORDER BY s.started_at, s.id)
      FROM prevention.session_participants sp
      JOIN LATERAL (SELECT x.*, EXISTS (SELECT 1 FROM prevention.session_participants o
                                        WHERE o.session_id = x.id AND o.participant_id <> p_id) AS grp
                    FROM prevention.sessions x WHERE x.id = sp.session_id) s ON true
      LEFT JOIN prevention.measures m ON m.id = s.measure_id
      LEFT JOIN prevention.measures mo ON mo.id = s.module_id
      WHERE sp.participant_id = p_id), '[]'::jsonb),
    'withheld', coalesce((SELECT jsonb_agg(jsonb_build_object('session_id', sp.session_id, 'reason', 'group session') ORDER BY sp.session_id)
      FROM prevention.session_participants sp
      WHERE sp.participant_id = p_id
        AND EXISTS (SELECT 1 FROM prevention.session_participants o WHERE o.session_id = sp.session_id AND o.participant_id <> p_id)), '[]'::jsonb),
    'goals', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.goals x WHERE x.participant_id = p_id), '[]'::jsonb),
    'reviews', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.held_on, x.id) FROM prevention.reviews x WHERE x.participant_id = p_id), '[]'::jsonb),
    'extensions', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.extensions x WHERE x.participant_id = p_id), '[]'::jsonb),
    'closings', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM prevention.closings x WHERE x.participant_id = p_id), '[]'::jsonb),
    'status_changes', coalesce((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.id) FROM prevention.status_changes x WHERE x.participant_id = p_id), '[]'::jsonb),
    'visits', coalesce((SELECT jsonb_agg(to_jsonb(v) ORDER BY v.starts_at, v.id) FROM prevention.visits v WHERE v.participant_id = p_id), '[]'::jsonb),
    'referral', (SELECT jsonb_build_object('id', r.id, 'site_id', r.site_id, 'received_at', r.created_at,
        'first_name_enc', r.first_name_enc, 'last_name_enc', r.last_name_enc, 'date_of_birth_enc', r.date_of_birth_enc,
        'gender', r.gender, 'guardian_name_enc', r.guardian_name_enc, 'guardian_phone_enc', r.guardian_phone_enc,
        'reason_category', r.reason_category, 'decision', d.decision, 'decided_at', d.decided_at)
      FROM prevention.intake_decisions d JOIN enforcement.referrals r ON r.id = d.referral_id
      WHERE d.participant_id = p_id ORDER BY d.decided_at DESC LIMIT 1),
    'audit', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'at', e.at, 'actor_role', e.actor_role, 'action', e.action,
        'details', e.details) ORDER BY e.at, e.id)
      FROM audit.events e WHERE e.object_id = p_id::text), '[]'::jsonb)
  ) INTO out;
  RETURN out;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION prevention.export_participant(uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA prevention TO kurve_dpo;
GRANT EXECUTE ON FUNCTION prevention.export_participant(uuid) TO kurve_dpo;

-- +goose Down
DROP FUNCTION prevention.export_participant(uuid);
