package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// Police see their own referral (issue 16, item 4): a police liaison reads
// each referral they submitted, as submitted, and corrects it while intake
// has not decided; nobody else reads or changes it, and the database itself
// refuses a correction once intake decided.

// addPolice adds a police liaison of site code as name.
func (w *world) addPolice(name, site string) *models.User {
	w.t.Helper()
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) (err error) {
		w.users[name], err = st.CreateUser(models.NewUserInput{Email: name + "@police.test", Name: "Verbindung " + name,
			Role: models.RolePoliceLiaison, SiteCode: site, Password: "long enough password"})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.users[name]
}

// correction is the referral w.refer(first) submits, with changes.
func correction(first string, change func(in *models.ReferralInput)) models.ReferralInput {
	in := models.ReferralInput{FirstName: first, LastName: "Meldung", DateOfBirth: ptr(time.Date(2014, 5, 5, 0, 0, 0, 0, time.UTC)),
		Gender: "male", SiteCode: "ES", ReasonCategory: "property", PoliceReference: "PP-ES-2026-" + first, ReferringUnit: "PI Test",
		OfficerName: "Kommissarin Test", GuardianName: "Vater " + first, GuardianPhone: "0201 999", Notes: "Polizeiliche Notiz " + first}
	if change != nil {
		change(&in)
	}
	return in
}

func (w *world) ownReferral(user, id string) (*models.Referral, error) {
	var r *models.Referral
	err := w.as(user, func(st *models.Store) (err error) {
		r, err = st.ReferralByID(id)
		return err
	})
	return r, err
}

func (w *world) correct(user, id string, version int, in models.ReferralInput) (*models.Referral, error) {
	var r *models.Referral
	err := w.as(user, func(st *models.Store) (err error) {
		r, err = st.UpdateReferral(id, version, in, today)
		return err
	})
	return r, err
}

// sqlAs runs sql under the database role of the user's side with actor's
// settings (the app role may differ from the user's, as a bug could set
// it), and scans its one value into dst.
func sqlAs(w *world, role models.DBRole, actor models.Actor, dst any, sql string, args ...any) error {
	return w.db.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL ROLE " + string(role)).Error; err != nil {
			return err
		}
		day := ""
		if !actor.Today.IsZero() {
			day = actor.Today.Format(time.DateOnly)
		}
		if err := tx.Exec(`SELECT set_config('kurve.user_id', ?, true), set_config('kurve.site_id', ?, true),
			set_config('kurve.role', ?, true), set_config('kurve.today', ?, true)`, actor.UserID, actor.SiteID, string(actor.Role), day).Error; err != nil {
			return err
		}
		if dst == nil {
			return tx.Exec(sql, args...).Error
		}
		return tx.Raw(sql, args...).Scan(dst).Error
	})
}

func actorOf(u *models.User) models.Actor {
	return models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role}
}

// TestReferralCorrection: the liaison reads their referral as submitted and
// corrects it, validated like a new one, with optimistic locking; another
// liaison (same site or another) gets not found; once intake decided the
// correction is refused, by the store and by the database.
func TestReferralCorrection(t *testing.T) {
	w := newWorld(t)
	r := w.refer("Jonas")
	w.addPolice("police2", "ES")
	w.addPolice("policeDU", "DU")

	got, err := w.ownReferral("police", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Open || got.Version != 1 || got.SiteCode != "ES" || got.FirstName != "Jonas" || got.OfficerName != "Kommissarin Test" ||
		got.Notes != "Polizeiliche Notiz Jonas" || got.ReferringUnit != "PI Test" || got.GuardianPhone != "0201 999" ||
		!got.DateOfBirth.Equal(time.Date(2014, 5, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("own referral as read: %+v", got)
	}
	if in := got.Input(); in.FirstName != "Jonas" || in.SiteCode != "ES" || in.Notes != got.Notes || in.DateOfBirth == nil ||
		!in.DateOfBirth.Equal(got.DateOfBirth) {
		t.Errorf("input of the referral %+v", in)
	}

	// Validation as when submitting: nothing changes.
	_, err = w.correct("police", r.ID, 1, correction("", func(in *models.ReferralInput) { in.SiteCode, in.ReasonCategory = "ZZ", "riot" }))
	var ve *models.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Errorf("invalid correction: %v", err)
	}
	_, err = w.correct("police", r.ID, 1, correction("Jonas", func(in *models.ReferralInput) { in.SiteCode = "ZZ" }))
	if !errors.As(err, &ve) || ve.Fields[0].Field != "site" {
		t.Errorf("unknown site: %v", err)
	}

	// Nobody else reads or corrects it: not found, as for any unknown id.
	for _, other := range []string{"police2", "policeDU"} {
		if _, err := w.ownReferral(other, r.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s reads another liaison's referral: %v", other, err)
		}
		if _, err := w.correct(other, r.ID, 1, correction("Fremd", nil)); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s corrects another liaison's referral: %v", other, err)
		}
		var n int64
		if err := sqlAs(w, models.DBEnforcement, actorOf(w.users[other]), &n,
			"WITH u AS (UPDATE enforcement.referrals SET police_reference = 'FORGED' WHERE id = ? RETURNING 1) SELECT count(*) FROM u", r.ID); err != nil || n != 0 {
			t.Errorf("%s updates another liaison's referral in SQL: %d rows, %v", other, n, err)
		}
	}
	if _, err := w.ownReferral("police", "not-an-id"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a malformed id: %v", err)
	}

	// A correction: every field, the version counted up by the database.
	fixed, err := w.correct("police", r.ID, 1, correction("Jonah", func(in *models.ReferralInput) {
		in.LastName, in.SiteCode, in.ReasonCategory, in.Notes, in.GuardianPhone = "Korrigiert", "DU", "violence", "", ""
	}))
	if err != nil {
		t.Fatal(err)
	}
	if fixed.Version != 2 || fixed.FirstName != "Jonah" || fixed.LastName != "Korrigiert" || fixed.SiteCode != "DU" ||
		fixed.ReasonCategory != "violence" || fixed.Notes != "" || fixed.GuardianPhone != "" || !fixed.Open {
		t.Errorf("corrected %+v", fixed)
	}
	// A second tab still at version 1 overwrites nothing.
	if _, err := w.correct("police", r.ID, 1, correction("Veraltet", nil)); !errors.Is(err, models.ErrConflict) ||
		errors.Is(err, models.ErrReferralDecided) {
		t.Errorf("stale correction: %v", err)
	}
	// The corrected referral is what intake reads, now at Duisburg's.
	w.must("coordDU", func(st *models.Store) error {
		ir, err := st.IntakeReferralByID(r.ID)
		if err == nil && (ir.FirstName != "Jonah" || ir.LastName != "Korrigiert" || ir.ReasonCategory != "violence") {
			t.Errorf("intake reads %+v", ir)
		}
		return err
	})
	w.must("coord", func(st *models.Store) error {
		if _, err := st.IntakeReferralByID(r.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Essen still has the referral moved to Duisburg: %v", err)
		}
		return nil
	})
	// Only the submitted fields may change, never who submitted it.
	for _, sql := range []string{"UPDATE enforcement.referrals SET submitted_by = submitted_by WHERE id = ?",
		"UPDATE enforcement.referrals SET created_at = now() WHERE id = ?", "UPDATE enforcement.referrals SET version = 7 WHERE id = ?"} {
		if err := sqlAs(w, models.DBEnforcement, actorOf(w.users["police"]), nil, sql, r.ID); !models.IsPermissionDenied(err) {
			t.Errorf("%s: %v", sql, err)
		}
	}
	// A deactivated site takes no referral moved to it either.
	dbtest.Exec(t, w.db.Gorm, "INSERT INTO org.sites (code, name, active) VALUES ('XX', 'Geschlossen', false)")
	if _, err := w.correct("police", r.ID, 2, correction("Jonah", func(in *models.ReferralInput) { in.SiteCode = "XX" })); !models.IsSiteInactive(err) {
		t.Errorf("moved to a deactivated site: %v", err)
	}

	// Intake decides: from then on the referral is read-only.
	other := w.refer("Kai")
	w.must("coordDU", func(st *models.Store) error {
		_, _, err := st.AcceptReferral(r.ID, models.AcceptInput{}, today)
		return err
	})
	w.must("coord", func(st *models.Store) error { return st.DeclineReferral(other.ID, "outside_area") })
	for _, id := range []string{r.ID, other.ID} {
		got, err := w.ownReferral("police", id)
		if err != nil || got.Open {
			t.Errorf("decided referral: open %v, %v", got != nil && got.Open, err)
		}
		if _, err := w.correct("police", id, got.Version, correction("Spaet", nil)); !errors.Is(err, models.ErrReferralDecided) {
			t.Errorf("correction after the decision: %v", err)
		}
		// The database refuses it too, whatever the code in front of it.
		err = sqlAs(w, models.DBEnforcement, actorOf(w.users["police"]), nil,
			"UPDATE enforcement.referrals SET police_reference = 'SPAET' WHERE id = ?", id)
		if err == nil || models.IsPermissionDenied(err) {
			t.Errorf("SQL correction after the decision: %v", err)
		}
	}
	// The feedback crossing is unchanged: "received", no consent.
	if f := w.feedback(r.ID); f.Status != models.FeedbackReceived {
		t.Errorf("feedback %+v", f)
	}
}

// TestReferralCorrectionOpenAnswersOwnOnly: crossing.referral_open answers
// only the liaison who submitted the referral, and only as a police
// liaison; for anyone else it is NULL, for a decided referral false.
func TestReferralCorrectionOpenAnswersOwnOnly(t *testing.T) {
	w := newWorld(t)
	r, decided := w.refer("Offen"), w.refer("Entschieden")
	w.must("coord", func(st *models.Store) error { return st.DeclineReferral(decided.ID, "duplicate") })
	police, police2 := w.police(), w.addPolice("police2", "ES")
	asCoord := actorOf(police)
	asCoord.Role = models.RoleCoordinator
	for _, c := range []struct {
		what  string
		actor models.Actor
		id    string
		want  *bool
	}{
		{"own, undecided", actorOf(police), r.ID, ptr(true)},
		{"own, decided", actorOf(police), decided.ID, ptr(false)},
		{"another liaison's", actorOf(police2), r.ID, nil},
		{"own user id under another app role", asCoord, r.ID, nil},
	} {
		var got *bool
		if err := sqlAs(w, models.DBEnforcement, c.actor, &got, "SELECT crossing.referral_open(?)", c.id); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%s: open %v, want %v", c.what, fmtBool(got), fmtBool(c.want))
		}
	}
}

func fmtBool(b *bool) any {
	if b == nil {
		return "NULL"
	}
	return *b
}

// waitForLock waits until some statement of the test database waits on a
// lock.
func waitForLock(t *testing.T, db *gorm.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int64
		if err := db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).
			Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing ever waited")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReferralCorrectionRaces: a decision and a correction at the same
// moment never cross. A correction sent while a decision is being taken
// waits for it and is refused by the database (the store's own check saw
// the referral still undecided); a decision taken while a correction is
// being saved waits for it and decides on the corrected referral.
func TestReferralCorrectionRaces(t *testing.T) {
	w := newWorld(t)

	// The decision first.
	r := w.refer("Zuerst")
	held, release, decided := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		decided <- w.as("coord", func(st *models.Store) error {
			_, _, err := st.AcceptReferral(r.ID, models.AcceptInput{}, today)
			close(held)
			<-release
			return err
		})
	}()
	<-held
	corrected := make(chan error, 1)
	go func() {
		_, err := w.correct("police", r.ID, 1, correction("Zuspaet", nil))
		corrected <- err
	}()
	waitForLock(t, w.db.Gorm)
	close(release)
	if err := <-decided; err != nil {
		t.Fatal(err)
	}
	if err := <-corrected; !errors.Is(err, models.ErrReferralDecided) {
		t.Errorf("a correction that waited for the decision: %v", err)
	}

	// The correction first.
	r = w.refer("Vorher")
	held, release, corrected = make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		corrected <- w.as("police", func(st *models.Store) error {
			_, err := st.UpdateReferral(r.ID, 1, correction("Nachher", nil), today)
			close(held)
			<-release
			return err
		})
	}()
	<-held
	accepted := make(chan *models.Participant, 1)
	go func() {
		var p *models.Participant
		err := w.as("coord", func(st *models.Store) (err error) {
			p, _, err = st.AcceptReferral(r.ID, models.AcceptInput{}, today)
			return err
		})
		if err != nil {
			t.Errorf("accept after the correction: %v", err)
		}
		accepted <- p
	}()
	waitForLock(t, w.db.Gorm)
	close(release)
	if err := <-corrected; err != nil {
		t.Fatal(err)
	}
	if p := <-accepted; p == nil || p.FirstName != "Nachher" {
		t.Errorf("intake decided on the referral before its correction")
	}
}

// TestReferralChangedFields: a correction's audit entry names the fields
// changed, by their form names, and nothing else; white space around a
// value is no change (it is trimmed when stored).
func TestReferralChangedFields(t *testing.T) {
	base := correction("Jonas", nil)
	for _, c := range []struct {
		what   string
		change func(in *models.ReferralInput)
		want   string
	}{
		{"nothing", func(in *models.ReferralInput) {}, ""},
		{"trimmed only", func(in *models.ReferralInput) { in.FirstName = " Jonas " }, ""},
		{"name and notes", func(in *models.ReferralInput) { in.FirstName, in.Notes = "Jonah", "" }, "first_name notes"},
		{"birth date", func(in *models.ReferralInput) { in.DateOfBirth = ptr(in.DateOfBirth.AddDate(0, 0, 1)) }, "date_of_birth"},
		{"birth date gone", func(in *models.ReferralInput) { in.DateOfBirth = nil }, "date_of_birth"},
		{"site, reason, reference", func(in *models.ReferralInput) {
			in.SiteCode, in.ReasonCategory, in.PoliceReference = "DU", "other", "PP-NEU"
		}, "site reason_category police_reference"},
		{"police only", func(in *models.ReferralInput) {
			in.ReferringUnit, in.OfficerName, in.GuardianName, in.GuardianPhone, in.Gender, in.LastName = "U", "O", "G", "1", "female", "L"
		}, "last_name gender referring_unit officer_name guardian_name guardian_phone"},
	} {
		next := base
		c.change(&next)
		if got := strings.Join(next.ChangedFields(base), " "); got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
}
