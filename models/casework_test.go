package models_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// world is a seeded database with users at two sites and a cipher.
type world struct {
	t      *testing.T
	db     *dbtest.DB
	key    models.DataKey
	cipher *models.Cipher
	users  map[string]*models.User // by short name
}

func newWorld(t *testing.T) *world {
	t.Helper()
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	key := models.EphemeralDataKey()
	c, _ := models.NewCipher(key)
	w := &world{t: t, db: tdb, key: key, cipher: c, users: map[string]*models.User{}}
	err := models.InTx(context.Background(), tdb.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		for _, extra := range []models.NewUserInput{
			{Email: "sw2@es.test", Name: "Zweite Fachkraft", Role: models.RoleSocialWorker, SiteCode: "ES", Password: "long enough password"},
			{Email: "med2@es.test", Name: "Zweite Sprachmittlung", Role: models.RoleMediator, SiteCode: "ES", Password: "long enough password"},
			{Email: "coord@du.test", Name: "Koordination Duisburg", Role: models.RoleCoordinator, SiteCode: "DU", Password: "long enough password"},
			{Email: "sw@du.test", Name: "Fachkraft Duisburg", Role: models.RoleSocialWorker, SiteCode: "DU", Password: "long enough password"},
		} {
			if _, err := st.CreateUser(extra); err != nil {
				return err
			}
		}
		for name, email := range map[string]string{"coord": logins[models.RoleCoordinator], "sw": logins[models.RoleSocialWorker],
			"med": logins[models.RoleMediator], "sw2": "sw2@es.test", "med2": "med2@es.test", "coordDU": "coord@du.test", "swDU": "sw@du.test"} {
			u, err := st.UserByEmail(email)
			if err != nil {
				return err
			}
			w.users[name] = u
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// as runs fn as the named user, under the database role of their side.
func (w *world) as(name string, fn func(st *models.Store) error) error {
	u := w.users[name]
	return models.InTx(context.Background(), w.db.Gorm, u.Role.DBRole(), models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role},
		func(st *models.Store) error {
			st.UseCipher(w.cipher)
			return fn(st)
		})
}

func (w *world) must(name string, fn func(st *models.Store) error) {
	w.t.Helper()
	if err := w.as(name, fn); err != nil {
		w.t.Fatalf("as %s: %v", name, err)
	}
}

var today = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func (w *world) newParticipant(coord, first string, dob time.Time) *models.Participant {
	w.t.Helper()
	var p *models.Participant
	w.must(coord, func(st *models.Store) (err error) {
		p, err = st.CreateParticipant(models.ParticipantInput{FirstName: ptr(first), LastName: ptr("Testfall"),
			DateOfBirth: ptr(dob), Gender: ptr("female"), Languages: ptr([]string{"ar", "de"}), Notes: ptr("Notiz " + first)},
			"", models.FamilyInput{Address: ptr("Teststraße 1, 45127 Essen"), Phone: ptr("0201 000000"),
				Languages: &[]models.FamilyLanguage{{Language: "ar", Mode: models.ModeInterpreter}, {Language: "de", Mode: models.ModeBasic}}}, today)
		return err
	})
	return p
}

func (w *world) assign(p *models.Participant, user, kind string, from time.Time, until *time.Time) {
	w.t.Helper()
	w.must("coord", func(st *models.Store) error {
		_, err := st.Assign(p.ID, models.AssignmentInput{UserID: w.users[user].ID, Kind: kind, FromOn: &from, UntilOn: until}, today)
		return err
	})
}

func visible(w *world, user, id string) (bool, *models.Participant) {
	var p *models.Participant
	err := w.as(user, func(st *models.Store) (err error) {
		p, err = st.ParticipantByID(id)
		return err
	})
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		w.t.Fatalf("%s reading %s: %v", user, id, err)
	}
	return true, p
}

// TestNeedToKnow: each role × assigned / unassigned / other site (SPEC §2).
func TestNeedToKnow(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Aylin", time.Date(2014, 3, 10, 0, 0, 0, 0, time.UTC))
	other := w.newParticipant("coordDU", "Boris", time.Date(2013, 5, 1, 0, 0, 0, 0, time.UTC))
	if !strings.HasPrefix(p.CaseNumber, "ES-2026-") || !strings.HasPrefix(other.CaseNumber, "DU-2026-") {
		t.Fatalf("case numbers %s %s", p.CaseNumber, other.CaseNumber)
	}
	w.assign(p, "sw", models.AssignSocialWorker, today.AddDate(0, -1, 0), nil)
	w.assign(p, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	w.assign(p, "sw2", models.AssignSocialWorker, today.AddDate(0, -2, 0), ptr(today.AddDate(0, 0, -1))) // ended yesterday

	cases := []struct {
		user    string
		id      string
		want    bool
		limited bool
	}{
		{"coord", p.ID, true, false},
		{"coord", other.ID, false, false},
		{"coordDU", other.ID, true, false},
		{"coordDU", p.ID, false, false},
		{"sw", p.ID, true, false},
		{"sw2", p.ID, false, false}, // assignment ended
		{"swDU", p.ID, false, false},
		{"swDU", other.ID, false, false}, // same site, not assigned
		{"med", p.ID, true, true},
		{"med2", p.ID, false, false},
	}
	for _, tc := range cases {
		got, part := visible(w, tc.user, tc.id)
		if got != tc.want {
			t.Errorf("%s sees %s: %v, want %v", tc.user, tc.id, got, tc.want)
			continue
		}
		if got && part.Limited != tc.limited {
			t.Errorf("%s: limited=%v", tc.user, part.Limited)
		}
		if got && tc.limited && (part.DateOfBirth != nil || part.Notes != "" || part.School != "" || part.Gender != "") {
			t.Errorf("%s sees more than names and languages: %+v", tc.user, part)
		}
		if got && !tc.limited && (part.Notes != "Notiz "+part.FirstName || part.DateOfBirth == nil) {
			t.Errorf("%s: notes/date of birth missing", tc.user)
		}
	}
	// Lists follow the same rule.
	for user, want := range map[string]int{"coord": 1, "sw": 1, "sw2": 0, "med": 1, "med2": 0, "coordDU": 1, "swDU": 0} {
		w.must(user, func(st *models.Store) error {
			ps, err := st.Participants(models.ParticipantFilter{})
			if len(ps) != want {
				t.Errorf("%s lists %d participants, want %d", user, len(ps), want)
			}
			return err
		})
	}
	// The family follows its children: the mediator sees the address.
	w.must("med", func(st *models.Store) error {
		f, err := st.FamilyByID(p.FamilyID)
		if err != nil {
			return err
		}
		if f.Address != "Teststraße 1, 45127 Essen" || len(f.InterpreterLanguages()) != 1 {
			t.Errorf("mediator's family view: %+v", f)
		}
		return nil
	})
	if err := w.as("med2", func(st *models.Store) error { _, err := st.FamilyByID(p.FamilyID); return err }); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("unassigned mediator reads the family: %v", err)
	}
	// Mediators' role cannot read consents at all.
	if err := w.as("med", func(st *models.Store) error { _, err := st.ConsentsOf(p.ID); return err }); !models.IsPermissionDenied(err) {
		t.Errorf("mediator reads consents: %v", err)
	}
	// Only coordinators create participants and assignments.
	if err := w.as("sw", func(st *models.Store) error {
		_, err := st.CreateParticipant(models.ParticipantInput{FirstName: ptr("X"), LastName: ptr("Y"),
			DateOfBirth: ptr(time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)), Gender: ptr("male")}, "", models.FamilyInput{}, today)
		return err
	}); !models.IsPermissionDenied(err) {
		t.Errorf("social worker created a participant, or was refused for another reason: %v", err)
	}
	if err := w.as("sw", func(st *models.Store) error {
		_, err := st.Assign(p.ID, models.AssignmentInput{UserID: w.users["sw2"].ID, Kind: models.AssignSocialWorker}, today)
		return err
	}); !models.IsPermissionDenied(err) {
		t.Errorf("social worker assigned a colleague, or was refused for another reason: %v", err)
	}
	// A coordinator cannot assign staff of another site or the wrong role.
	if err := w.as("coord", func(st *models.Store) error {
		_, err := st.Assign(p.ID, models.AssignmentInput{UserID: w.users["swDU"].ID, Kind: models.AssignSocialWorker}, today)
		return err
	}); !isFieldError(err, "user_id") {
		t.Errorf("assigned a social worker of another site, or was refused for another reason: %v", err)
	}
	if err := w.as("coord", func(st *models.Store) error {
		_, err := st.Assign(p.ID, models.AssignmentInput{UserID: w.users["med2"].ID, Kind: models.AssignSocialWorker}, today)
		return err
	}); !isFieldError(err, "user_id") {
		t.Errorf("assigned a mediator as social worker, or was refused for another reason: %v", err)
	}
}

// isFieldError reports whether err is a validation error of field.
func isFieldError(err error, field string) bool {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for _, f := range ve.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestOptimisticLocking(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Can", time.Date(2013, 1, 2, 0, 0, 0, 0, time.UTC))
	w.must("coord", func(st *models.Store) error {
		up, err := st.UpdateParticipant(p.ID, p.Version, models.ParticipantInput{School: ptr("Grundschule Test")}, today)
		if err != nil {
			return err
		}
		if up.Version != p.Version+1 || up.School != "Grundschule Test" {
			t.Errorf("update: %+v", up)
		}
		return nil
	})
	err := w.as("coord", func(st *models.Store) error {
		_, err := st.UpdateParticipant(p.ID, p.Version, models.ParticipantInput{School: ptr("stale")}, today)
		return err
	})
	if !errors.Is(err, models.ErrConflict) {
		t.Fatalf("stale update: %v", err)
	}
	w.must("coord", func(st *models.Store) error {
		got, err := st.ParticipantByID(p.ID)
		if err == nil && got.School != "Grundschule Test" {
			t.Errorf("stale update overwrote: %q", got.School)
		}
		return err
	})
}

func TestStatusAndConsentLifecycle(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Deniz", time.Date(2011, 6, 1, 0, 0, 0, 0, time.UTC)) // 15: needs own assent
	w.assign(p, "sw", models.AssignSocialWorker, today, nil)
	step := func(to models.Status, reason string) error {
		return w.as("sw", func(st *models.Store) error {
			cur, err := st.ParticipantByID(p.ID)
			if err != nil {
				return err
			}
			_, err = st.ChangeStatus(p.ID, cur.Version, to, reason, today)
			return err
		})
	}
	var ve *models.ValidationError
	if err := step(models.StatusActive, ""); !errors.As(err, &ve) {
		t.Fatalf("referred → active: %v", err)
	}
	for _, s := range []models.Status{models.StatusContacted, models.StatusConsentPending} {
		if err := step(s, ""); err != nil {
			t.Fatalf("→ %s: %v", s, err)
		}
	}
	var ce *models.ConsentError
	if err := step(models.StatusActive, ""); !errors.As(err, &ce) || len(ce.Missing) != 3 || !ce.Missing[0].NoCustodian {
		t.Fatalf("active without guardians: %v", err)
	}
	var mother, father *models.Guardian
	w.must("sw", func(st *models.Store) (err error) {
		mother, err = st.AddGuardian(p.ID, models.GuardianInput{FirstName: "Mutter", LastName: "Testfall", Phone: "0201 1111", Relationship: "mother", HasCustody: true, Languages: []string{"ar"}})
		if err != nil {
			return err
		}
		father, err = st.AddGuardian(p.ID, models.GuardianInput{FirstName: "Vater", LastName: "Testfall", Relationship: "father", HasCustody: true})
		return err
	})
	consent := func(guardianID string, purposes ...models.Purpose) *models.Consent {
		var c *models.Consent
		w.must("sw", func(st *models.Store) (err error) {
			c, err = st.RecordConsent(p.ID, models.ConsentInput{GuardianID: guardianID, Purposes: purposes, FormVersion: "2026-1",
				FormLanguage: "ar", GivenOn: ptr(today.AddDate(0, 0, -1)), MediatorID: w.users["med"].ID}, today)
			return err
		})
		return c
	}
	all := []models.Purpose{models.PurposeParticipation, models.PurposeDataProcessing, models.PurposeEvaluation}
	consent(mother.ID, all...)
	if err := step(models.StatusActive, ""); !errors.As(err, &ce) || len(ce.Missing) != 4 {
		t.Fatalf("active with one of two custodians and no assent: %v (%+v)", err, ce)
	}
	fathers := consent(father.ID, all...)
	consent("", models.PurposeParticipation, models.PurposeDataProcessing)
	if err := step(models.StatusActive, ""); err != nil {
		t.Fatalf("active with full consent: %v", err)
	}
	// Withdrawal: one action with a date; the participant leaves.
	w.must("sw", func(st *models.Store) error {
		c, err := st.WithdrawConsent(fathers.ID, today, today)
		if err != nil {
			return err
		}
		if c.State != models.ConsentWithdrawn || c.WithdrawnOn == nil {
			t.Errorf("withdrawn consent: %+v", c)
		}
		cur, err := st.ParticipantByID(p.ID)
		if err != nil {
			return err
		}
		if cur.Status != models.StatusWithdrawn || cur.EndedOn == nil {
			t.Errorf("status after withdrawal: %s", cur.Status)
		}
		hist, err := st.ConsentHistory(fathers.ID)
		if err != nil || len(hist) != 2 || hist[0].State != models.ConsentGiven || hist[1].State != models.ConsentWithdrawn {
			t.Errorf("consent history: %+v %v", hist, err)
		}
		sh, err := st.StatusHistory(p.ID)
		if err != nil || len(sh) != 5 {
			t.Errorf("status history has %d entries: %v", len(sh), err)
		}
		if _, err := st.WithdrawConsent(fathers.ID, today, today); err == nil {
			t.Error("withdrew twice")
		}
		return nil
	})
	if err := step(models.StatusActive, ""); err == nil {
		t.Error("withdrawn participant reactivated")
	}
}

// TestEncryptionAtRest dumps the whole database with pg_dump and finds no
// name, address, phone, date of birth or note in it, while the clear
// columns statistics need are there.
func TestEncryptionAtRest(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Elif", time.Date(2014, 7, 19, 0, 0, 0, 0, time.UTC))
	w.assign(p, "sw", models.AssignSocialWorker, today, nil)
	w.must("sw", func(st *models.Store) error {
		_, err := st.AddGuardian(p.ID, models.GuardianInput{FirstName: "Gülay", LastName: "Vormundtest", Phone: "0170 5550123",
			Email: "guelay@example.org", Relationship: "mother", HasCustody: true})
		return err
	})
	out, err := exec.Command("pg_dump", "--no-owner", "--data-only", w.db.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v: %s", err, out)
	}
	dump := string(out)
	// The search index holds hashes only: no folded word, phone or date
	// in the clear either (issue 16).
	var tokens int64
	w.db.Gorm.Raw("SELECT count(*) FROM prevention.search_tokens WHERE participant_id = ?", p.ID).Scan(&tokens)
	if tokens < 5 {
		t.Errorf("the participant has %d search tokens", tokens)
	}
	for _, secret := range []string{"Elif", "Testfall", "testfall", "Teststraße", "45127", "0201 000000", "02010000", "2014-07-19", "Notiz",
		"Gülay", "gulay", "Vormundtest", "vormundtest", "0170 5550123", "01705550123", "guelay@example.org"} {
		if strings.Contains(dump, secret) {
			t.Errorf("database dump contains %q", secret)
		}
	}
	for _, clear := range []string{p.CaseNumber, "2014-07-01", "female"} {
		if !strings.Contains(dump, clear) {
			t.Errorf("dump lacks clear column value %q", clear)
		}
	}
}

func TestConsentExpiry(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Fadi", time.Date(2015, 2, 2, 0, 0, 0, 0, time.UTC))
	var k *models.Consent
	w.must("coord", func(st *models.Store) error {
		g, err := st.AddGuardian(p.ID, models.GuardianInput{FirstName: "M", LastName: "T", Relationship: "mother", HasCustody: true})
		if err != nil {
			return err
		}
		k, err = st.RecordConsent(p.ID, models.ConsentInput{GuardianID: g.ID, Purposes: []models.Purpose{models.PurposeParticipation, models.PurposeDataProcessing},
			FormVersion: "1", FormLanguage: "de", GivenOn: ptr(today.AddDate(0, -6, 0)), ExpiresOn: ptr(today)}, today)
		if err != nil {
			return err
		}
		missing, err := st.MissingConsent(p, today)
		if err != nil || len(missing) != 2 {
			t.Errorf("expired consent still valid: %v %v", missing, err)
		}
		return nil
	})
	// The job runs without an actor and still reaches every site.
	err := models.InTx(context.Background(), w.db.Gorm, models.DBPrevention, models.Actor{}, func(st *models.Store) error {
		n, err := st.ExpireConsents(today)
		if n != 1 {
			t.Errorf("expired %d consents, want 1", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w.must("coord", func(st *models.Store) error {
		got, err := st.ConsentByID(k.ID)
		if err == nil && got.State != models.ConsentExpired {
			t.Errorf("state %s", got.State)
		}
		hist, _ := st.ConsentHistory(k.ID)
		if len(hist) != 2 || hist[1].State != models.ConsentExpired {
			t.Errorf("history %+v", hist)
		}
		return err
	})
}
