package models_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
)

// TestRowPoliciesHideOtherCases runs SQL as the request roles, with the
// settings of a real user, against every table of a case: a social worker
// and a mediator see no row of a colleague's case, a coordinator and a
// social worker of another site none of this site's cases. Each of the
// row-level-security policies of those tables is needed for it (a policy
// made permissive, USING (true), fails here).
func TestRowPoliciesHideOtherCases(t *testing.T) {
	w := newWorld(t)
	w.catalogue()
	mine := w.activeCaseOf("sw", "Eigen", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	theirs := w.activeCaseOf("sw2", "Fremd", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	w.assign(mine, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	w.assign(theirs, "med2", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	// The colleague's case has something in every table.
	w.must("sw2", func(st *models.Store) error {
		if _, err := st.CreateGoal(theirs.ID, "Fremdes Ziel", nil, today); err != nil {
			return err
		}
		if _, err := st.RecordReview(theirs.ID, today, "Fremde Besprechung", today); err != nil {
			return err
		}
		if _, err := st.CreateSession(models.SessionInput{ParticipantIDs: []string{theirs.ID}, MeasureCode: "social_skills",
			StartedAt: today.Add(-2 * time.Hour), DurationMinutes: 60, Attendance: map[string]models.Attendance{theirs.ID: models.Attended}}, today); err != nil {
			return err
		}
		_, err := st.CreateVisit(models.VisitInput{ParticipantID: theirs.ID, StartsAt: today.AddDate(0, 0, 2).Add(9 * time.Hour),
			EndsAt: today.AddDate(0, 0, 2).Add(10 * time.Hour), Purpose: "follow_up", SocialWorkerID: w.users["sw2"].ID}, today)
		return err
	})
	w.group("sw2", "Fremdgruppe", theirs.ID)
	tables := map[string]string{
		"prevention.participants":          "id = ?",
		"prevention.families":              "id = (SELECT family_id FROM prevention.participants WHERE id = ?)",
		"prevention.family_languages":      "family_id = (SELECT family_id FROM prevention.participants WHERE id = ?)",
		"prevention.guardians":             "family_id = (SELECT family_id FROM prevention.participants WHERE id = ?)",
		"prevention.participant_guardians": "participant_id = ?",
		"prevention.consents":              "participant_id = ?",
		"prevention.consent_events":        "consent_id IN (SELECT id FROM prevention.consents WHERE participant_id = ?)",
		"prevention.status_changes":        "participant_id = ?",
		"prevention.assignments":           "participant_id = ?",
		"prevention.goals":                 "participant_id = ?",
		"prevention.reviews":               "participant_id = ?",
		"prevention.session_participants":  "participant_id = ?",
		"prevention.sessions":              "id IN (SELECT session_id FROM prevention.session_participants WHERE participant_id = ?)",
		"prevention.visits":                "participant_id = ?",
		"prevention.group_members":         "participant_id = ?",
	}
	// The owner sees the rows: the queries find what they look for.
	for table, where := range tables {
		var n int
		if err := w.db.Gorm.Raw("SELECT count(*) FROM "+table+" WHERE "+where, theirs.ID).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("setup: %s has no row of the colleague's case", table)
		}
	}
	for _, viewer := range []struct {
		user  string
		case_ *models.Participant
	}{{"sw", theirs}, {"med", theirs}, {"coordDU", theirs}, {"swDU", theirs}, {"coordDU", mine}} {
		u := w.users[viewer.user]
		actor := models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role, Today: today}
		for table, where := range tables {
			n, err := countAs(w, u.Role.DBRole(), actor, "SELECT count(*) FROM "+table+" WHERE "+where, viewer.case_.ID)
			switch {
			case models.IsPermissionDenied(err):
			case err != nil:
				t.Errorf("%s on %s: %v", viewer.user, table, err)
			case n != 0:
				t.Errorf("%s sees %d rows of %s of a case not theirs", viewer.user, n, table)
			}
		}
	}
}

// countAs runs a count as role with the actor's settings (as a request
// sets them, kurve.today included).
func countAs(w *world, role models.DBRole, actor models.Actor, sql string, args ...any) (int, error) {
	var n int
	err := w.db.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE " + string(role)).Error; err != nil {
			return err
		}
		if err := tx.Exec(`SELECT set_config('kurve.user_id', ?, true), set_config('kurve.site_id', ?, true),
			set_config('kurve.role', ?, true), set_config('kurve.today', ?, true)`,
			actor.UserID, actor.SiteID, string(actor.Role), actor.Today.Format(time.DateOnly)).Error; err != nil {
			return err
		}
		return tx.Raw(sql, args...).Scan(&n).Error
	})
	return n, err
}

// TestRowPoliciesOwnSessions: the start page's sessions are those the user
// leads (prevention.my_sessions_between), not every session row security
// lets them see: a colleague's session with one of the user's own cases is
// visible on the case, but not the user's own.
func TestRowPoliciesOwnSessions(t *testing.T) {
	w := newWorld(t)
	w.catalogue()
	shared := w.activeCaseOf("sw", "Geteilt", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	w.assign(shared, "sw2", models.AssignSocialWorker, today.AddDate(0, -1, 0), nil)
	var led string
	w.must("sw2", func(st *models.Store) error {
		s, err := st.CreateSession(models.SessionInput{ParticipantIDs: []string{shared.ID}, MeasureCode: "social_skills",
			StartedAt: today.Add(-2 * time.Hour), DurationMinutes: 60, Attendance: map[string]models.Attendance{shared.ID: models.Attended}}, today)
		if s != nil {
			led = s.ID
		}
		return err
	})
	from, to := today.AddDate(0, 0, -7), today.AddDate(0, 0, 7)
	for user, want := range map[string]int{"sw2": 1, "sw": 0, "coord": 0} {
		w.must(user, func(st *models.Store) error {
			ss, err := st.SessionsBetween(from, to)
			if err != nil {
				return err
			}
			if len(ss) != want || want == 1 && ss[0].ID != led {
				t.Errorf("%s: %d sessions on the start page, want %d", user, len(ss), want)
			}
			// The colleague's session itself is visible on the shared case.
			if user == "sw" {
				if _, err := st.SessionByID(led); err != nil {
					t.Errorf("sw: the shared case's session: %v", err)
				}
			}
			return nil
		})
	}
}

// TestSessionStaffCarriesStart: a staff row carries its session's start
// (migration 00035), which my_sessions_between walks, and so does an
// attendance row (migration 00036), which a child's sessions walk. Moving the session
// moves its staff rows (ON UPDATE CASCADE, past row security), and a staff
// row with another start is refused.
func TestSessionStaffCarriesStart(t *testing.T) {
	w := newWorld(t)
	w.catalogue()
	p := w.activeCaseOf("sw", "Verschoben", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	var id string
	w.must("sw", func(st *models.Store) error {
		s, err := st.CreateSession(models.SessionInput{ParticipantIDs: []string{p.ID}, MeasureCode: "social_skills",
			StartedAt: today.Add(-2 * time.Hour), DurationMinutes: 60, Attendance: map[string]models.Attendance{p.ID: models.Attended}}, today)
		if s != nil {
			id = s.ID
		}
		return err
	})
	led := func(from, to time.Time) int {
		var n int
		w.must("sw", func(st *models.Store) error {
			ss, err := st.SessionsBetween(from, to)
			n = len(ss)
			return err
		})
		return n
	}
	thisWeek, weeksAgo := [2]time.Time{today.AddDate(0, 0, -3), today.AddDate(0, 0, 3)}, [2]time.Time{today.AddDate(0, 0, -30), today.AddDate(0, 0, -20)}
	if a, b := led(thisWeek[0], thisWeek[1]), led(weeksAgo[0], weeksAgo[1]); a != 1 || b != 0 {
		t.Fatalf("before the move: %d sessions this week, %d weeks ago; want 1 and 0", a, b)
	}
	if err := w.db.Gorm.Exec("UPDATE prevention.sessions SET started_at = started_at - interval '25 days' WHERE id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	if a, b := led(thisWeek[0], thisWeek[1]), led(weeksAgo[0], weeksAgo[1]); a != 0 || b != 1 {
		t.Errorf("after the move: %d sessions this week, %d weeks ago; want 0 and 1", a, b)
	}
	err := w.db.Gorm.Exec(`INSERT INTO prevention.session_staff (session_id, user_id, started_at)
		SELECT id, ?, started_at + interval '1 hour' FROM prevention.sessions WHERE id = ?`, w.users["sw2"].ID, id).Error
	if err == nil || !strings.Contains(err.Error(), "session_staff_session_started_fkey") {
		t.Errorf("a staff row with another start than its session's: %v", err)
	}
	// The child's attendance row likewise (migration 00036): it moved with
	// the session, so the child's sessions, newest first, list it on its
	// new day, and another start is refused.
	var moved []string
	w.must("sw", func(st *models.Store) error {
		ss, err := st.SessionsPage(p.ID, models.Page{Limit: 5}, models.SessionAll)
		for _, s := range ss {
			moved = append(moved, s.StartedAt.Format(time.DateOnly))
		}
		return err
	})
	if want := today.Add(-2*time.Hour).AddDate(0, 0, -25).Format(time.DateOnly); len(moved) != 1 || moved[0] != want {
		t.Errorf("the child's sessions after the move: %v, want [%s]", moved, want)
	}
	var stale int
	w.db.Gorm.Raw(`SELECT count(*) FROM prevention.session_participants sp JOIN prevention.sessions s ON s.id = sp.session_id
		WHERE s.id = ? AND sp.started_at <> s.started_at`, id).Scan(&stale)
	if stale != 0 {
		t.Errorf("%d attendance rows kept the old start", stale)
	}
	err = w.db.Gorm.Exec(`UPDATE prevention.session_participants SET started_at = started_at + interval '1 hour' WHERE session_id = ?`, id).Error
	if err == nil || !strings.Contains(err.Error(), "session_participants_session_started_fkey") {
		t.Errorf("an attendance row with another start than its session's: %v", err)
	}
}

// TestRowPoliciesAssignmentKindAndRole: only an assignment of the user's
// own kind, while their role is that kind, gives a case. A social worker
// recorded as a case's language mediator and a coordinator of another site
// recorded as a case's social worker (rows the application does not make,
// written here as the owner) see nothing of it.
func TestRowPoliciesAssignmentKindAndRole(t *testing.T) {
	w := newWorld(t)
	x := w.activeCaseOf("sw2", "Sprachfall", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	y := w.activeCaseOf("sw2", "Fremdstandort", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	from := today.AddDate(0, -1, 0)
	for _, a := range []struct {
		p          *models.Participant
		user, kind string
	}{{x, "sw", models.AssignMediator}, {y, "coordDU", models.AssignSocialWorker}} {
		if err := w.db.Gorm.Exec(`INSERT INTO prevention.assignments (id, participant_id, site_id, user_id, kind, from_on)
			VALUES (gen_random_uuid(), ?, ?, ?, ?, ?)`, a.p.ID, a.p.SiteID, w.users[a.user].ID, a.kind, from).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		user string
		p    *models.Participant
	}{{"sw", x}, {"coordDU", y}} {
		u := w.users[c.user]
		n, err := countAs(w, u.Role.DBRole(), models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role, Today: today},
			"SELECT count(*) FROM prevention.participants WHERE id = ?", c.p.ID)
		if err != nil || n != 0 {
			t.Errorf("%s sees the case of an assignment not of their kind or role: %d, %v", c.user, n, err)
		}
	}
}
