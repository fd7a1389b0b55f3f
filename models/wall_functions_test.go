package models_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

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

	// Whether a referral is still open to correction: its own liaison only
	// (issue 16).
	expect("another liaison's referral open", "police2", 0, "SELECT 1 WHERE crossing.referral_open(?) IS NOT NULL", w.openReferral)
	expect("one's own referral open", "police", 1, "SELECT 1 WHERE crossing.referral_open(?)", w.openReferral)
	expect("one's own decided referral open", "police", 0, "SELECT 1 WHERE crossing.referral_open(?)", w.referral)
	// Holding a referral for a decision: the coordinators of its site only.
	for _, user := range []string{"coordDU", "sw"} {
		expect("holding a referral not one's site's to decide", user, 0, "SELECT 1 WHERE crossing.intake_hold(?)", w.openReferral)
	}
	expect("holding one's site's referral to decide", "coord", 1, "SELECT 1 WHERE crossing.intake_hold(?)", w.openReferral)

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

	// A visit moved by half an hour overlaps its old time, not a visit;
	// moved onto another visit, the conflict names the other one, never
	// itself.
	v := w.theirsVisit
	move := func(by time.Duration) (err error) {
		return w.as("sw2", func(st *models.Store) error {
			v, err = st.UpdateVisit(v.ID, v.Version, models.VisitPatch{StartsAt: ptr(v.StartsAt.Add(by)), EndsAt: ptr(v.EndsAt.Add(by))}, today)
			return err
		})
	}
	if err := move(30 * time.Minute); err != nil {
		t.Fatalf("moving a visit by half an hour: %v", err)
	}
	other := v.EndsAt.Add(30 * time.Minute)
	w.must("sw2", func(st *models.Store) error {
		_, err := st.CreateVisit(models.VisitInput{ParticipantID: w.left.ID, StartsAt: other, EndsAt: other.Add(time.Hour),
			Purpose: "follow_up", SocialWorkerID: w.users["sw2"].ID}, today)
		return err
	})
	var clash *models.ConflictError
	if err := move(45 * time.Minute); !errors.As(err, &clash) {
		t.Fatalf("moving onto another visit: %v", err)
	}
	if clash.Slot.CaseNumber != w.left.CaseNumber || !clash.Slot.Start.Equal(other) {
		t.Errorf("the conflict names %s at %s, want the other visit %s at %s", clash.Slot.CaseNumber, clash.Slot.Start,
			w.left.CaseNumber, other)
	}
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
	dbtest.Exec(t, db, `INSERT INTO prevention.session_participants (session_id, participant_id, started_at)
		SELECT ?, unnest(?::uuid[]), started_at FROM prevention.sessions WHERE id = ?`, session, "{"+w.mine.ID+","+w.theirs.ID+"}", session)
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

// TestOutcomesHideSmallGroupsInDatabase: below k the database returns no
// measure of a group at all, sums included, and never takes k below 3
// (SPEC §6), whatever k the caller passes.
func TestOutcomesHideSmallGroupsInDatabase(t *testing.T) {
	tdb := dbtest.New(t)
	f := fact{site: "ES", entry: time.Date(2025, 2, 5, 0, 0, 0, 0, time.UTC), age: 12, gender: "male",
		reason: "violence", status: models.StatusActive, evaluation: true, sessions: 4, attended: 3}
	insertFacts(t, tdb.Gorm, repeat(2, f))
	for _, k := range []int{1, 5} {
		var rows []string
		err := tdb.Gorm.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL ROLE kurve_statistics").Error; err != nil {
				return err
			}
			return tx.Raw(`SELECT measures::text FROM statistics.outcomes('{site}', NULL, NULL, NULL, ?, true)`, k).Scan(&rows).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			t.Fatalf("k=%d: no rows", k)
		}
		for _, raw := range rows {
			var m map[string]any
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatal(err)
			}
			if len(m) < 10 {
				t.Fatalf("k=%d: only %d measures: %v", k, len(m), m)
			}
			for name, v := range m {
				if v != nil {
					t.Errorf("k=%d: a group of 2 shows %s = %v", k, name, v)
				}
			}
		}
	}
}
