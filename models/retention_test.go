package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestRetention: a case that ended 25 months ago is erased, one that ended
// 23 months ago is kept, an open case is never touched; a referral declined
// 7 months ago loses its personal fields, one declined 5 months ago keeps
// them; expired tokens are purged. A dry run counts exactly and changes
// nothing; the daily run runs once a day however many instances try, and
// is recorded and audited.
func TestRetention(t *testing.T) {
	w := newWorld(t)
	db := w.db.Gorm
	now := time.Now()
	day := models.ProgramDay(now)
	old := w.newParticipant("coord", "Alt", time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC))
	recent := w.newParticipant("coord", "Neu", time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC))
	open := w.newParticipant("coord", "Offen", time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC))
	dbtest.Exec(t, db, "UPDATE prevention.participants SET status = 'ended_early', end_reason = 'moved', ended_on = ? WHERE id = ?", day.AddDate(0, -25, 0), old.ID)
	dbtest.Exec(t, db, "UPDATE prevention.participants SET status = 'ended_early', end_reason = 'moved', ended_on = ? WHERE id = ?", day.AddDate(0, -23, 0), recent.ID)
	dbtest.Exec(t, db, "UPDATE prevention.participants SET status_changed_on = ? WHERE id = ?", day.AddDate(0, -30, 0), open.ID)
	oldRef, newRef, accepted := w.refer("Abgelehnt").ID, w.refer("Frisch").ID, w.refer("Angenommen").ID
	w.must("coord", func(st *models.Store) error {
		if err := st.DeclineReferral(oldRef, "duplicate"); err != nil {
			return err
		}
		if _, _, err := st.AcceptReferral(accepted, models.AcceptInput{}, today); err != nil {
			return err
		}
		return st.DeclineReferral(newRef, "duplicate")
	})
	dbtest.Exec(t, db, "UPDATE prevention.intake_decisions SET decided_at = ? WHERE referral_id IN (?, ?)", now.AddDate(0, -7, 0), oldRef, accepted)
	dbtest.Exec(t, db, "UPDATE prevention.intake_decisions SET decided_at = ? WHERE referral_id = ?", now.AddDate(0, -5, 0), newRef)
	dbtest.Exec(t, db, `INSERT INTO auth.api_tokens (id, user_id, name, token_hash, expires_at) VALUES (gen_random_uuid(), ?, 'alt', '\x01', ?)`,
		w.users["sw"].ID, now.Add(-time.Hour))

	erased := func(id string) bool {
		var n int
		db.Raw("SELECT count(*) FROM prevention.participants WHERE id = ? AND erased_at IS NOT NULL AND first_name_enc = ''", id).Scan(&n)
		return n == 1
	}
	retired := func(id string) bool {
		var n int
		db.Raw("SELECT count(*) FROM enforcement.referrals WHERE id = ? AND first_name_enc = '' AND notes_enc IS NULL AND police_reference LIKE 'erased-%'", id).Scan(&n)
		return n == 1
	}
	want := func(rep *models.RetentionReport) {
		t.Helper()
		if rep.CasesErased != 1 || rep.ReferralsRetired != 1 || rep.TokensPurged != 1 {
			t.Errorf("report %+v", rep)
		}
	}

	dry, err := models.RunRetention(context.Background(), db, models.DefaultRetention, now, true, false)
	if err != nil {
		t.Fatal(err)
	}
	want(dry)
	var runs int
	db.Raw("SELECT count(*) FROM audit.retention_runs").Scan(&runs)
	if erased(old.ID) || retired(oldRef) || runs != 0 {
		t.Fatal("the dry run changed something")
	}

	// Three instances try the daily run at once: one runs.
	var wg sync.WaitGroup
	reports := make([]*models.RetentionReport, 3)
	errs := make([]error, 3)
	for i := range reports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = models.RunRetention(context.Background(), db, models.DefaultRetention, now, false, true)
		}()
	}
	wg.Wait()
	ran := 0
	for i, rep := range reports {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if rep.Ran {
			ran++
			want(rep)
		}
	}
	if ran != 1 {
		t.Fatalf("%d instances ran the day's retention", ran)
	}
	if !erased(old.ID) || erased(recent.ID) || erased(open.ID) {
		t.Errorf("erased: old %v, recent %v, open %v", erased(old.ID), erased(recent.ID), erased(open.ID))
	}
	if !retired(oldRef) || retired(newRef) || retired(accepted) {
		t.Errorf("retired: old %v, new %v, accepted %v", retired(oldRef), retired(newRef), retired(accepted))
	}
	var audited int
	db.Raw(`SELECT count(*) FROM audit.events WHERE (action = 'participant.erase' AND object_id = ? AND details->>'reason' = 'retention_period')
		OR action = 'retention.run'`, old.ID).Scan(&audited)
	if audited != 2 {
		t.Errorf("%d audit entries of the run", audited)
	}
	var last *models.RetentionRun
	err = models.InTx(context.Background(), db, models.DBDPO, models.Actor{Role: models.RoleDPO}, func(st *models.Store) (err error) {
		last, err = st.LastRetentionRun()
		return err
	})
	if err != nil || last == nil || last.FinishedAt == nil || last.Report.CasesErased != 1 || !last.Day.Equal(day) {
		t.Errorf("last run %+v %v", last, err)
	}
	// Only the retention run's settings may use its functions.
	for _, role := range []models.DBRole{models.DBPrevention, models.DBEnforcement, models.DBAdmin} {
		if err := asRole(db, role, models.Actor{Role: models.RoleDPO}, "SELECT prevention.retention_due(now()::date)"); !models.IsPermissionDenied(err) {
			t.Errorf("%s lists the cases due: %v", role, err)
		}
	}
	if err := asRole(db, models.DBDPO, models.Actor{Role: models.RoleAdmin}, "SELECT enforcement.retire_declined_referrals(now())"); !models.IsPermissionDenied(err) {
		t.Errorf("another app role retires referrals: %v", err)
	}
	var n int
	if err := db.Transaction(func(tx *gorm.DB) error {
		tx.Exec("SET LOCAL ROLE kurve_dpo")
		tx.Exec("SELECT set_config('kurve.role', 'coordinator', true)")
		return tx.Raw("SELECT count(*) FROM prevention.retention_due('2100-01-01')").Scan(&n).Error
	}); err != nil || n != 0 {
		t.Errorf("retention_due answers another app role: %d %v", n, err)
	}
}
