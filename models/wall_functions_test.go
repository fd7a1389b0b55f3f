package models_test

import (
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestSmallCountFloor: stats_base.small, which hides every count of the
// statistics below k, hides counts below 3 whatever k its caller passes
// (SPEC §6: k is a setting, never below 3); the statistics functions floor
// k themselves too, and this floor holds for any caller that does not.
func TestSmallCountFloor(t *testing.T) {
	tdb := dbtest.New(t)
	for _, c := range []struct {
		n, k int
		want *int64
	}{
		{0, 5, ptr[int64](0)}, {1, 1, nil}, {2, 2, nil}, {2, 0, nil}, {3, 1, ptr[int64](3)}, {4, 5, nil}, {5, 5, ptr[int64](5)},
	} {
		var got *int64
		if err := tdb.Gorm.Raw("SELECT stats_base.small(?, ?)", c.n, c.k).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("small(%d, %d) = %v, want %v", c.n, c.k, deref(got), deref(c.want))
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return "hidden"
	}
	return *p
}

// TestWallFunctions: the security-definer functions the policies and the
// visit planner rely on answer only for the caller's own cases and site
// (make mutate-wall takes each of their filters out in turn).
func TestWallFunctions(t *testing.T) {
	w := newPolicyWorld(t)
	expect := func(what, user string, want int64, sql string, args ...any) {
		t.Helper()
		n, err := w.try(user, sql, args...)
		switch {
		case want == 0 && err != nil && !models.IsPermissionDenied(err):
			t.Errorf("%s: %s: not a refusal: %v", what, user, err)
		case want == 0 && err == nil && n != 0:
			t.Errorf("%s: %s got %d rows", what, user, n)
		case want > 0 && (err != nil || n != want):
			t.Errorf("%s: %s got %d rows, %v; want %d", what, user, n, err, want)
		}
	}
	// Whether a visit has consent is answered for one's own cases only.
	expect("visit consent of a case not one's own", "med", 0, "SELECT 1 WHERE prevention.visit_consent_ok(?, ?)", w.theirs.ID, today)
	expect("visit consent of one's own case", "med2", 1, "SELECT 1 WHERE prevention.visit_consent_ok(?, ?)", w.theirs.ID, today)

	// Withdrawing a child from planned sessions: only from one's own case.
	expect("withdrawing a colleague's case", "sw", 0, "SELECT prevention.withdraw_from_planned_sessions(?)", w.theirs.ID)
	expect("withdrawing one's own case", "sw2", 1, "SELECT prevention.withdraw_from_planned_sessions(?)", w.theirs.ID)

	// A double booking is reported only within the caller's site: the
	// mediator's visit in a Duisburg case (stored directly, as after a
	// move between sites) is Duisburg's to see, with its case number.
	at := today.AddDate(0, 0, 5).Add(10 * time.Hour)
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO prevention.visits (id, site_id, participant_id, starts_at, ends_at, purpose, mediator_id, status)
		VALUES (gen_random_uuid(), ?, ?, ?, ?, 'follow_up', ?, 'planned')`, w.du.SiteID, w.du.ID, at, at.Add(time.Hour), w.users["med"].ID)
	conflict := "SELECT 1 FROM prevention.visit_conflict(?, ?, ?, NULL)"
	expect("another site's visit", "sw", 0, conflict, w.users["med"].ID, at, at.Add(time.Hour))
	expect("one's own site's visit", "swDU", 1, conflict, w.users["med"].ID, at, at.Add(time.Hour))

	// A visit moved by half an hour overlaps its old time, not a visit.
	v := w.theirsVisit
	w.must("sw2", func(st *models.Store) error {
		_, err := st.UpdateVisit(v.ID, v.Version, models.VisitPatch{StartsAt: ptr(v.StartsAt.Add(30 * time.Minute)),
			EndsAt: ptr(v.EndsAt.Add(30 * time.Minute))}, today)
		return err
	})
}

// TestWallFunctionsWrite: the definer functions that write change only
// what they are for.
func TestWallFunctionsWrite(t *testing.T) {
	w := newPolicyWorld(t)
	db := w.db.Gorm
	// Withdrawing one child from a planned group session leaves the others
	// in it.
	var session string
	if err := db.Raw(`INSERT INTO prevention.sessions (id, site_id, measure_id, status, started_at, duration_minutes)
		SELECT gen_random_uuid(), site_id, measure_id, 'planned', ?, 60 FROM prevention.sessions WHERE id = ? RETURNING id`,
		today.AddDate(0, 0, 3), w.theirsSession).Scan(&session).Error; err != nil || session == "" {
		t.Fatalf("setup: %v", err)
	}
	dbtest.Exec(t, db, `INSERT INTO prevention.session_participants (session_id, participant_id) VALUES (?, ?), (?, ?)`,
		session, w.mine.ID, session, w.theirs.ID)
	w.commit("sw", "SELECT prevention.withdraw_from_planned_sessions(?)", w.mine.ID)
	var left []string
	db.Raw("SELECT participant_id FROM prevention.session_participants WHERE session_id = ?", session).Scan(&left)
	if len(left) != 1 || left[0] != w.theirs.ID {
		t.Errorf("after withdrawing one child the session holds %v, want only the other child", left)
	}
	// Expiry marks given consents only: a withdrawn one whose expiry date
	// has passed stays withdrawn.
	dbtest.Exec(t, db, `UPDATE prevention.consents SET state = 'withdrawn', withdrawn_on = ?, expires_on = ? WHERE id = ?`,
		today.AddDate(0, 0, -3), today.AddDate(0, 0, -1), w.theirsConsent)
	w.must("sw", func(st *models.Store) error { _, err := st.ExpireConsents(today); return err })
	var state string
	db.Raw("SELECT state FROM prevention.consents WHERE id = ?", w.theirsConsent).Scan(&state)
	if state != "withdrawn" {
		t.Errorf("a withdrawn consent became %q on expiry", state)
	}
}
