package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"gorm.io/gorm"

	"kurve/models"
)

// TestEraseDemoParticipant erases a participant of the demo data, then
// searches a pg_dump of the whole database for every value that was stored
// about the child, its family, guardians and referral: none is left, and
// the statistics' totals are what they were (issue 12, GDPR Art. 17).
func TestEraseDemoParticipant(t *testing.T) {
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Fatal("pg_dump not found: install postgresql-client (CI's .ci/run does)")
	}
	tdb, _ := demoDatabase(t)
	db := tdb.Gorm
	// An ended demo case whose family has no other child, that came in as
	// a referral if one did.
	var id string
	db.Raw(`SELECT p.id FROM prevention.participants p WHERE p.status IN ('completed', 'ended_early')
		AND NOT EXISTS (SELECT 1 FROM prevention.participants o WHERE o.family_id = p.family_id AND o.id <> p.id)
		ORDER BY p.case_number LIMIT 1`).Scan(&id)
	if id == "" {
		t.Fatal("no ended demo case of a one-child family")
	}
	stored := storedValues(t, db, id)
	if len(stored) < 8 {
		t.Fatalf("setup: only %d values stored about the child", len(stored))
	}
	before := outcomeTotals(t, db)

	var dpo *models.User
	if err := models.InTx(context.Background(), db, models.DBAuth, models.Actor{}, func(st *models.Store) (err error) {
		dpo, err = st.UserByEmail("datenschutz@es.kurve.example")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := models.InTx(context.Background(), db, models.DBDPO, models.Actor{UserID: dpo.ID, SiteID: dpo.SiteID, Role: dpo.Role},
		func(st *models.Store) error {
			_, err := st.EraseParticipant(id, "data_subject_request")
			return err
		}); err != nil {
		t.Fatal(err)
	}

	dump, err := exec.Command(pgDump, "--data-only", "--dbname", tdb.URL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !strings.Contains(string(dump), "COPY prevention.participants") {
		t.Fatal("the dump holds no participants")
	}
	for _, v := range stored {
		if strings.Contains(string(dump), v) {
			t.Errorf("the dump still holds a value stored about the erased child (%d characters)", len(v))
		}
	}
	if after := outcomeTotals(t, db); after != before {
		t.Errorf("statistics totals moved:\n before %s\n after  %s", before, after)
	}

	// Retention by hand: a dry run changes nothing; the demo's cases ended
	// within the last months, so with one month of retention they are due.
	t.Setenv("KURVE_RETENTION_MONTHS", "0")
	if _, err := kurve(t, "", "retention", "run"); err == nil {
		t.Error("retention of 0 months accepted")
	}
	t.Setenv("KURVE_RETENTION_MONTHS", "600")
	if out, err := kurve(t, "", "retention", "run", "--dry-run"); err != nil || !strings.Contains(out, "nothing changed") ||
		!strings.Contains(out, "cases erased:              0") {
		t.Fatalf("retention dry run: %q %v", out, err)
	}
	if out, err := kurve(t, "", "retention", "run"); err != nil || !strings.Contains(out, "retention done") {
		t.Fatalf("retention run: %q %v", out, err)
	}
	var runs int
	db.Raw("SELECT count(*) FROM audit.retention_runs WHERE finished_at IS NOT NULL").Scan(&runs)
	if runs != 1 {
		t.Errorf("%d retention runs recorded", runs)
	}
}

// storedValues are the encrypted values stored about participant id and
// its family, guardians, casework and referral (the ciphertexts are all a
// dump can hold: names and dates never reach the database in the clear).
func storedValues(t *testing.T, db *gorm.DB, id string) []string {
	t.Helper()
	var vals []string
	err := db.Raw(`SELECT DISTINCT v FROM (
		SELECT unnest(ARRAY[first_name_enc, last_name_enc, date_of_birth_enc, school_enc, notes_enc]) FROM prevention.participants WHERE id = @id
		UNION ALL SELECT unnest(ARRAY[address_enc, phone_enc, email_enc]) FROM prevention.families
			WHERE id = (SELECT family_id FROM prevention.participants WHERE id = @id)
		UNION ALL SELECT unnest(ARRAY[g.first_name_enc, g.last_name_enc, g.phone_enc, g.email_enc]) FROM prevention.guardians g
			JOIN prevention.participant_guardians pg ON pg.guardian_id = g.id WHERE pg.participant_id = @id
		UNION ALL SELECT title_enc FROM prevention.goals WHERE participant_id = @id
		UNION ALL SELECT notes_enc FROM prevention.reviews WHERE participant_id = @id
		UNION ALL SELECT reason_enc FROM prevention.extensions WHERE participant_id = @id
		UNION ALL SELECT assessment_enc FROM prevention.closings WHERE participant_id = @id
		UNION ALL SELECT note_enc FROM prevention.status_changes WHERE participant_id = @id
		UNION ALL SELECT outcome_note_enc FROM prevention.visits WHERE participant_id = @id
		UNION ALL SELECT unnest(ARRAY[s.notes_enc, s.location_enc]) FROM prevention.sessions s
			WHERE s.id IN (SELECT session_id FROM prevention.session_participants WHERE participant_id = @id)
			AND NOT EXISTS (SELECT 1 FROM prevention.session_participants o WHERE o.session_id = s.id AND o.participant_id <> @id)
		UNION ALL SELECT unnest(ARRAY[r.first_name_enc, r.last_name_enc, r.date_of_birth_enc, r.guardian_name_enc, r.guardian_phone_enc,
			r.officer_name_enc, r.notes_enc, r.police_reference]) FROM enforcement.referrals r
			JOIN prevention.intake_decisions d ON d.referral_id = r.id WHERE d.participant_id = @id
	) x(v) WHERE v IS NOT NULL AND v <> ''`, map[string]any{"id": id}).Scan(&vals).Error
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// outcomeTotals is the statistics' whole outcome table by site (relaxed:
// every child counted), as text, after a refresh.
func outcomeTotals(t *testing.T, db *gorm.DB) string {
	t.Helper()
	if _, err := models.RefreshStatistics(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	var rows []string
	if err := db.Raw(`SELECT coalesce(site, '*') || ' ' || measures::text FROM statistics.outcomes('{site}', NULL, NULL, NULL, 3, true)
		ORDER BY 1`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no statistics")
	}
	return strings.Join(rows, "\n")
}
