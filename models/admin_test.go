package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// asAdminUser runs fn as the demo admin, under kurve_admin.
func (w *world) asAdmin(fn func(st *models.Store) error) error {
	var admin *models.User
	if err := models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) (err error) {
		admin, err = st.UserByEmail("admin@es.kurve.example")
		return err
	}); err != nil {
		return err
	}
	return models.InTx(context.Background(), w.db.Gorm, models.DBAdmin,
		models.Actor{UserID: admin.ID, SiteID: admin.SiteID, Role: models.RoleAdmin}, fn)
}

// access is what a user can sign in with: a session cookie, an API token
// and a calendar feed URL.
type access struct{ cookie, token, feed string }

func (w *world) giveAccess(t *testing.T, name string) access {
	t.Helper()
	var a access
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) (err error) {
		st.UseCipher(w.cipher)
		u := w.users[name]
		if _, a.cookie, err = st.NewSession(u.ID, "de", true); err != nil {
			return err
		}
		if _, a.token, err = st.CreateAPIToken(u.ID, "test", time.Hour); err != nil {
			return err
		}
		a.feed, err = st.ResetCalendarFeed(u.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// works reports which of the three still identify a user.
func (w *world) works(t *testing.T, a access) (cookie, token, feed bool) {
	t.Helper()
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		st.UseCipher(w.cipher)
		_, err := st.SessionByCookie(a.cookie)
		cookie = err == nil
		_, err = st.UserByAPIToken(a.token)
		token = err == nil
		_, err = st.UserByCalendarToken(a.feed)
		feed = err == nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

// TestAccessEndsWithTheChange: deactivation, a role change and a site
// change each end the user's session, API tokens and calendar feed in the
// same transaction (issue 13); a change of name or language does not.
func TestAccessEndsWithTheChange(t *testing.T) {
	w := newWorld(t)
	bystander := w.giveAccess(t, "sw")
	for _, tc := range []struct {
		what string
		ch   func(u *models.User) models.UserChange
		ends bool
	}{
		{"language", func(u *models.User) models.UserChange {
			return models.UserChange{Language: ptr("tr"), Version: u.Version}
		}, false},
		{"deactivation", func(u *models.User) models.UserChange {
			return models.UserChange{Active: ptr(false), Version: u.Version}
		}, true},
		{"role", func(u *models.User) models.UserChange {
			return models.UserChange{Role: ptr(models.RoleEvaluator), Version: u.Version}
		}, true},
		{"site", func(u *models.User) models.UserChange {
			return models.UserChange{SiteCode: ptr("DU"), Version: u.Version}
		}, true},
	} {
		t.Run(tc.what, func(t *testing.T) {
			var u *models.User
			err := w.asAdmin(func(st *models.Store) (err error) {
				u, err = st.CreateUser(models.NewUserInput{Email: tc.what + "@es.test", Name: "Wechsel " + tc.what,
					Role: models.RoleSocialWorker, SiteCode: "ES"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			w.users[tc.what] = u
			a := w.giveAccess(t, tc.what)
			if c, k, f := w.works(t, a); !c || !k || !f {
				t.Fatalf("before: cookie %v token %v feed %v", c, k, f)
			}
			if err := w.asAdmin(func(st *models.Store) error {
				_, err := st.UpdateUser(u.ID, tc.ch(u))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			c, k, f := w.works(t, a)
			if tc.ends && (c || k || f) || !tc.ends && (!c || !k || !f) {
				t.Errorf("after %s: cookie %v token %v feed %v, want all %v", tc.what, c, k, f, !tc.ends)
			}
			if c, k, f := w.works(t, bystander); !c || !k || !f {
				t.Errorf("a colleague lost access with the %s change: cookie %v token %v feed %v", tc.what, c, k, f)
			}
		})
	}
}

// TestOpenAssignmentsNeedConfirmation: a social worker with a case is not
// deactivated until the admin confirms that the assignment ends; then it
// ends at once, and PostgreSQL refuses the change made without ending it.
func TestOpenAssignmentsNeedConfirmation(t *testing.T) {
	w := newWorld(t)
	p := w.activeCaseOf("sw2", "Zuweisung", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	other := w.activeCaseOf("sw", "Kollegin", time.Date(2014, 3, 1, 0, 0, 0, 0, time.UTC))
	sw2 := w.users["sw2"]
	// Straight SQL as the admin's role, without ending: refused.
	err := asRole(w.db.Gorm, models.DBAdmin, models.Actor{Role: models.RoleAdmin}, "UPDATE org.users SET active = false WHERE id = ?", sw2.ID)
	if err == nil {
		t.Fatal("deactivation with an open assignment accepted by the database")
	}
	var oa *models.OpenAssignmentsError
	err = w.asAdmin(func(st *models.Store) error {
		n, err := st.OpenAssignmentsOf(sw2.ID)
		if err != nil || n != 1 {
			t.Errorf("open assignments %d, %v; want 1", n, err)
		}
		_, err = st.UpdateUser(sw2.ID, models.UserChange{Active: ptr(false), Version: sw2.Version})
		return err
	})
	if !errors.As(err, &oa) || oa.Count != 1 {
		t.Fatalf("unconfirmed deactivation: %v, want 1 open assignment", err)
	}
	err = w.asAdmin(func(st *models.Store) error {
		res, err := st.UpdateUser(sw2.ID, models.UserChange{Active: ptr(false), Version: sw2.Version, EndAssignments: true})
		if err == nil && (res.AssignmentsEnded != 1 || res.User.Active) {
			t.Errorf("ended %d, active %v", res.AssignmentsEnded, res.User.Active)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.asAdmin(func(st *models.Store) error {
		n, err := st.OpenAssignmentsOf(sw2.ID)
		if err == nil && n != 0 {
			t.Errorf("open assignments after ending: %d", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The coordinator now sees the case without a social worker; the
	// colleague's case keeps hers.
	day := models.ProgramDay(time.Now())
	w.must("coord", func(st *models.Store) error {
		for _, tc := range []struct {
			p    *models.Participant
			want bool
		}{{p, false}, {other, true}} {
			as, err := st.AssignmentsOf(tc.p.ID)
			if err != nil {
				return err
			}
			current := false
			for _, a := range as {
				current = current || a.Kind == models.AssignSocialWorker && a.CurrentOn(day)
			}
			if current != tc.want {
				t.Errorf("case %s has a current social worker: %v, want %v", tc.p.CaseNumber, current, tc.want)
			}
		}
		return nil
	})
}

// TestRoleChangeToPoliceLeavesNothing: a social worker who becomes a
// police liaison reads nothing of the prevention side, and their ended
// assignments would not show them the case even under the old role.
func TestRoleChangeToPoliceLeavesNothing(t *testing.T) {
	w := newWorld(t)
	p := w.activeCaseOf("sw2", "Wechsel", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	sw2 := w.users["sw2"]
	if err := w.asAdmin(func(st *models.Store) error {
		_, err := st.UpdateUser(sw2.ID, models.UserChange{Role: ptr(models.RolePoliceLiaison), Version: sw2.Version, EndAssignments: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	actor := models.Actor{UserID: sw2.ID, SiteID: sw2.SiteID, Role: models.RolePoliceLiaison}
	for _, table := range []string{"prevention.participants", "prevention.sessions", "prevention.consents", "prevention.assignments"} {
		err := asRole(w.db.Gorm, models.RolePoliceLiaison.DBRole(), actor, "SELECT 1 FROM "+table+" LIMIT 1")
		if !models.IsPermissionDenied(err) {
			t.Errorf("%s as the new police liaison: %v, want permission denied", table, err)
		}
	}
	old := models.Actor{UserID: sw2.ID, SiteID: sw2.SiteID, Role: models.RoleSocialWorker}
	err := models.InTx(context.Background(), w.db.Gorm, models.DBPrevention, old, func(st *models.Store) error {
		st.UseCipher(w.cipher)
		_, err := st.ParticipantByID(p.ID)
		return err
	})
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("case under the old role after the change: %v, want not found", err)
	}
}

// TestLastAdminStays: the only admin cannot be deactivated or demoted, an
// admin never deactivates themselves, and of two admins demoting each
// other at the same moment exactly one succeeds.
func TestLastAdminStays(t *testing.T) {
	w := newWorld(t)
	var admin *models.User
	err := w.asAdmin(func(st *models.Store) (err error) {
		admin, err = st.UserByEmail("admin@es.kurve.example")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var ve *models.ValidationError
	err = w.asAdmin(func(st *models.Store) error {
		_, err := st.UpdateUser(admin.ID, models.UserChange{Active: ptr(false), Version: admin.Version})
		return err
	})
	if !errors.As(err, &ve) || ve.Fields[0].MessageID != "validation.admin_self" {
		t.Fatalf("self-deactivation: %v", err)
	}
	// Anybody else (here a script without a user) may not remove the last
	// admin either.
	err = models.InTx(context.Background(), w.db.Gorm, models.DBAdmin, models.Actor{Role: models.RoleAdmin}, func(st *models.Store) error {
		_, err := st.UpdateUser(admin.ID, models.UserChange{Role: ptr(models.RoleCoordinator), Version: admin.Version})
		return err
	})
	if !errors.As(err, &ve) || ve.Fields[0].MessageID != "validation.last_admin" {
		t.Fatalf("last admin demoted: %v", err)
	}
	// Two admins demote each other at once.
	var second *models.User
	if err := w.asAdmin(func(st *models.Store) (err error) {
		second, err = st.CreateUser(models.NewUserInput{Email: "admin2@es.test", Name: "Zweite Administration", Role: models.RoleAdmin, SiteCode: "ES"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, pair := range [][2]*models.User{{admin, second}, {second, admin}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor, target := pair[0], pair[1]
			errs[i] = models.InTx(context.Background(), w.db.Gorm, models.DBAdmin,
				models.Actor{UserID: actor.ID, SiteID: actor.SiteID, Role: models.RoleAdmin}, func(st *models.Store) error {
					_, err := st.UpdateUser(target.ID, models.UserChange{Active: ptr(false), Version: target.Version})
					if err == nil {
						time.Sleep(200 * time.Millisecond) // hold the lock while the other tries
					}
					return err
				})
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two admins demoting each other: %v / %v; want exactly one to succeed", errs[0], errs[1])
	}
	var active int
	dbtest.Exec(t, w.db.Gorm, "SELECT 1") // the pool is still usable
	if err := w.db.Gorm.Raw("SELECT count(*) FROM org.users WHERE role = 'admin' AND active").Scan(&active).Error; err != nil || active != 1 {
		t.Fatalf("active admins %d, %v", active, err)
	}
}

// TestInactiveSiteTakesNoCases: a deactivated site refuses new cases and
// referrals; its data stays readable.
func TestInactiveSiteTakesNoCases(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coordDU", "Bleibt", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	if err := w.asAdmin(func(st *models.Store) error {
		site, err := st.SiteByCode("DU")
		if err != nil {
			return err
		}
		_, err = st.UpdateSite("DU", models.SiteChange{Active: ptr(false), Version: site.Version})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err := w.as("coordDU", func(st *models.Store) error {
		_, err := st.CreateParticipant(models.ParticipantInput{FirstName: ptr("Neu"), LastName: ptr("Fall"),
			DateOfBirth: ptr(time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)), Gender: ptr("male")}, "", models.FamilyInput{}, today)
		return err
	})
	if !models.IsSiteInactive(err) {
		t.Errorf("new case at a deactivated site: %v", err)
	}
	if ok, _ := visible(w, "coordDU", p.ID); !ok {
		t.Error("the deactivated site's case is gone")
	}
	// A stale version is refused.
	err = w.asAdmin(func(st *models.Store) error {
		_, err := st.UpdateSite("DU", models.SiteChange{Active: ptr(true), Version: 1})
		return err
	})
	if !errors.Is(err, models.ErrConflict) {
		t.Errorf("stale site version: %v", err)
	}
}

// TestPasswordLinkOnce: a set-password link sets a password that passes
// the rule, once; a new link withdraws the old; an expired link is dead.
func TestPasswordLinkOnce(t *testing.T) {
	w := newWorld(t)
	var u *models.User
	var first, second string
	now := time.Now()
	if err := w.asAdmin(func(st *models.Store) (err error) {
		if u, err = st.CreateUser(models.NewUserInput{Email: "lina.link@es.test", Name: "Lina Link", Role: models.RoleSocialWorker, SiteCode: "ES"}); err != nil {
			return err
		}
		if first, _, err = st.IssuePasswordLink(u.ID, "", now); err != nil {
			return err
		}
		second, _, err = st.IssuePasswordLink(u.ID, "", now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	auth := func(fn func(st *models.Store) error) error {
		return models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, fn)
	}
	// A session from before (a user who lost their password) ends with
	// the new password.
	var cookie string
	if err := auth(func(st *models.Store) (err error) {
		_, cookie, err = st.NewSession(u.ID, "de", false)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		token, password string
		at              time.Time
		want            string // "" ok, "gone", or a message ID
	}{
		{first, "Lerche-Tapete-Nordwind-47", now, "gone"},
		{second, "aaaaaaaaaaaa", now, "validation.password_weak"},
		{second, "Lina-Link-Rakete-2026", now, "validation.password_personal"},
		{second, "kurve-demo-2026-xyz", now, "validation.password_demo"},
		{second, "Lerche-Tapete-Nordwind-47", now.Add(models.PasswordLinkTTL + time.Minute), "gone"},
		{second, "Lerche-Tapete-Nordwind-47", now, ""},
		{second, "Lerche-Tapete-Nordwind-48", now, "gone"},
	} {
		err := auth(func(st *models.Store) error {
			_, err := st.SetPasswordByLink(tc.token, tc.password, tc.password, tc.at)
			return err
		})
		var ve *models.ValidationError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.password, err)
		case tc.want == "gone" && !errors.Is(err, models.ErrNotFound):
			t.Errorf("%s: %v, want a dead link", tc.password, err)
		case tc.want != "" && tc.want != "gone" && (!errors.As(err, &ve) || ve.Fields[0].MessageID != tc.want):
			t.Errorf("%s: %v, want %s", tc.password, err, tc.want)
		}
	}
	if err := auth(func(st *models.Store) error {
		got, err := st.UserByEmail("lina.link@es.test")
		if err == nil && !models.CheckPassword("Lerche-Tapete-Nordwind-47", got.PasswordHash) {
			t.Error("password not set")
		}
		if _, err := st.SessionByCookie(cookie); err == nil {
			t.Error("the session from before the new password survived")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Retention purges both links once they have expired, not before.
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{{now.Add(time.Hour), 0}, {now.Add(models.PasswordLinkTTL + 24*time.Hour), 2}} {
		rep, err := models.RunRetention(context.Background(), w.db.Gorm, models.DefaultRetention, tc.at, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.PasswordLinksPurged != tc.want {
			t.Errorf("retention at %s: %d links purged, want %d", tc.at.Format(time.DateTime), rep.PasswordLinksPurged, tc.want)
		}
	}
}

// TestAdminFunctionsAdminOnly: the functions that reach into the
// prevention side and the sessions for the admin work for the admin only.
func TestAdminFunctionsAdminOnly(t *testing.T) {
	w := newWorld(t)
	w.activeCaseOf("sw2", "Funktion", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	sw2 := w.users["sw2"]
	for _, call := range []string{"SELECT org.open_assignments_of(?)", "SELECT org.end_assignments_of(?)", "SELECT auth.end_sessions_of(?)"} {
		for _, role := range models.DBRoles {
			if role == models.DBAdmin {
				continue
			}
			err := asRole(w.db.Gorm, role, models.Actor{UserID: sw2.ID, Role: models.RoleAdmin}, call, sw2.ID)
			if !models.IsPermissionDenied(err) {
				t.Errorf("%s as %s: %v, want permission denied", call, role, err)
			}
		}
	}
	// kurve_admin with another application role (a bug's request): nothing.
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAdmin, models.Actor{Role: models.RoleSocialWorker}, func(st *models.Store) error {
		n, err := st.OpenAssignmentsOf(sw2.ID)
		if err == nil && n != 0 {
			t.Errorf("open assignments counted for a non-admin: %d", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range []string{"SELECT org.end_assignments_of(?)", "SELECT auth.end_sessions_of(?)"} {
		err := asRole(w.db.Gorm, models.DBAdmin, models.Actor{Role: models.RoleSocialWorker}, call, sw2.ID)
		if !models.IsPermissionDenied(err) {
			t.Errorf("%s as kurve_admin for a social worker: %v", call, err)
		}
	}
}

// TestTOTPResetEndsSessions: the admin's reset of a second factor clears
// it and ends that user's sessions, nobody else's.
func TestTOTPResetEndsSessions(t *testing.T) {
	w := newWorld(t)
	user, bystander := w.giveAccess(t, "sw2"), w.giveAccess(t, "sw")
	dbtest.Exec(t, w.db.Gorm, "UPDATE org.users SET totp_secret = 'x', totp_enabled_at = now() WHERE id = ?", w.users["sw2"].ID)
	if err := w.asAdmin(func(st *models.Store) error { return st.ResetTOTP(w.users["sw2"].ID) }); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := w.works(t, user); c {
		t.Error("the session survived the reset of the second factor")
	}
	if c, _, _ := w.works(t, bystander); !c {
		t.Error("a colleague's session ended with the reset")
	}
	var enabled bool
	if err := w.db.Gorm.Raw("SELECT totp_enabled_at IS NOT NULL OR totp_secret IS NOT NULL FROM org.users WHERE id = ?", w.users["sw2"].ID).
		Scan(&enabled).Error; err != nil || enabled {
		t.Errorf("second factor still set: %v %v", enabled, err)
	}
}

// TestPasswordLinkOnceConcurrently: two submissions of one link at the
// same moment (a double tap, two tabs) set the password once; the other
// finds the link spent.
func TestPasswordLinkOnceConcurrently(t *testing.T) {
	w := newWorld(t)
	var token string
	if err := w.asAdmin(func(st *models.Store) error {
		u, err := st.CreateUser(models.NewUserInput{Email: "doppelt@es.test", Name: "Doppel Klick", Role: models.RoleSocialWorker, SiteCode: "ES"})
		if err != nil {
			return err
		}
		token, _, err = st.IssuePasswordLink(u.ID, "", time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
					_, err := st.SetPasswordByLink(token, "Lerche-Tapete-Nordwind-47", "Lerche-Tapete-Nordwind-47", time.Now())
					return err
				})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, models.ErrNotFound):
				t.Fatalf("second submission: %v, want a spent link", err)
			}
		}
		want := 0
		if round == 0 {
			want = 1
		}
		if ok != want {
			t.Fatalf("round %d: %d submissions set the password, want %d", round, ok, want)
		}
	}
}
