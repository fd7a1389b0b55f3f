package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// wantInvalid checks that err is a validation error naming field with
// message id.
func wantInvalid(t *testing.T, err error, field, id string) {
	t.Helper()
	var v *models.ValidationError
	if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != field || v.Fields[0].MessageID != id {
		t.Errorf("want %s refused with %s, got %v (%+v)", field, id, err, v)
	}
}

// TestPoliceContacts: the liaison who submitted a referral records its
// later police contacts and lists them; no other liaison reads or records
// any, and no other side may touch the table (issue 17, item 3).
func TestPoliceContacts(t *testing.T) {
	w := newPolicyWorld(t)
	db := w.db.Gorm
	ref := w.openReferral
	// The referral arrived three weeks before the test's today.
	dbtest.Exec(t, db, "UPDATE enforcement.referrals SET created_at = ? WHERE id = ?", today.AddDate(0, 0, -21).Add(9*time.Hour), ref)
	record := func(user string, day *time.Time, category string) (*models.PoliceContact, error) {
		var c *models.PoliceContact
		err := models.InTx(context.Background(), db, models.DBEnforcement, models.Actor{UserID: w.users[user].ID,
			SiteID: w.users[user].SiteID, Role: models.RolePoliceLiaison, Today: today}, func(st *models.Store) (err error) {
			c, err = st.CreatePoliceContact(ref, models.PoliceContactInput{OccurredOn: day, Category: category}, today)
			return err
		})
		return c, err
	}

	// Valid: the day of the referral, and today.
	var made []string
	for _, d := range []int{-21, 0, -10, -10} {
		c, err := record("police", ptr(today.AddDate(0, 0, d)), "violence")
		if err != nil {
			t.Fatalf("contact %d days from today: %v", d, err)
		}
		if !c.OccurredOn.Equal(today.AddDate(0, 0, d)) || c.Category != "violence" || c.RecordedBy != w.users["police"].ID || c.ReferralID != ref {
			t.Errorf("contact %+v", c)
		}
		made = append(made, c.ID)
	}
	// Invalid: localised message ids at the field, nothing stored.
	_, err := record("police", ptr(today.AddDate(0, 0, 1)), "violence")
	wantInvalid(t, err, "occurred_on", "validation.not_future")
	_, err = record("police", ptr(today.AddDate(0, 0, -22)), "violence")
	wantInvalid(t, err, "occurred_on", "validation.before_referral")
	_, err = record("police", nil, "violence")
	wantInvalid(t, err, "occurred_on", "validation.required")
	_, err = record("police", ptr(today), "drugs")
	wantInvalid(t, err, "category", "validation.oneof")

	// Another liaison, of the same site: the referral does not exist.
	if _, err := record("police2", ptr(today), "other"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another liaison records a contact: %v", err)
	}
	// The list: newest first (by day, then by when recorded), its own
	// liaison's only, in pages.
	var all []models.PoliceContact
	w.must("police", func(st *models.Store) (err error) {
		all, err = st.PoliceContactsOf(ref)
		return err
	})
	var ids []string
	for _, c := range all {
		ids = append(ids, c.ID)
	}
	want := []string{made[1], made[3], made[2], made[0]}
	if !slices.Equal(ids, want) {
		t.Errorf("contacts %v, want %v", ids, want)
	}
	w.must("police", func(st *models.Store) error {
		first, err := st.PoliceContactsPage(ref, models.Page{Limit: 2})
		if err != nil || len(first) != 2 {
			t.Fatalf("first page %d %v", len(first), err)
		}
		rest, err := st.PoliceContactsPage(ref, models.Page{After: first[1].Cursor()})
		if err != nil || len(rest) != 2 || rest[0].ID != want[2] || rest[1].ID != want[3] {
			t.Errorf("second page %+v %v", rest, err)
		}
		if _, err := st.PoliceContactsPage(ref, models.Page{After: "kaputt"}); err == nil {
			t.Error("a cursor the store did not make")
		}
		return nil
	})
	err = w.as("police2", func(st *models.Store) error {
		_, err := st.PoliceContactsOf(ref)
		return err
	})
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another liaison lists the contacts: %v", err)
	}
	// Written directly by another liaison in their own name, on a referral
	// not theirs, or by the referral's liaison in another's name: refused
	// by the policy.
	for user, recorder := range map[string]string{"police2": "police2", "police": "police2"} {
		n, err := w.try(user, `INSERT INTO enforcement.police_contacts (id, referral_id, occurred_on, category, recorded_by)
			VALUES (gen_random_uuid(), ?, ?, 'other', ?)`, ref, today, w.users[recorder].ID)
		if err == nil && n > 0 {
			t.Errorf("%s stored a contact recorded by %s", user, recorder)
		}
	}
	// The database keeps the dates itself, whatever path writes.
	for name, day := range map[string]time.Time{"before the referral": today.AddDate(0, 0, -22),
		"in the future": models.ProgramDay(time.Now()).AddDate(0, 0, 2)} {
		if err := db.Exec(`INSERT INTO enforcement.police_contacts (id, referral_id, occurred_on, category, recorded_by)
			VALUES (gen_random_uuid(), ?, ?, 'other', ?)`, ref, day, w.users["police"].ID).Error; err == nil {
			t.Errorf("a contact %s was stored", name)
		}
	}
	// Contacts are never changed or deleted by the police side, and no
	// other side reads or writes them (TestWallSelect, TestWallWrite).
	for _, sql := range []string{"UPDATE enforcement.police_contacts SET category = 'other'", "DELETE FROM enforcement.police_contacts"} {
		if _, err := w.try("police", sql); !models.IsPermissionDenied(err) {
			t.Errorf("police: %s: %v", sql, err)
		}
	}
	for _, user := range []string{"coord", "sw", "med"} {
		if _, err := w.try(user, "SELECT 1 FROM enforcement.police_contacts"); !models.IsPermissionDenied(err) {
			t.Errorf("%s reads police contacts: %v", user, err)
		}
	}
	for _, role := range []models.DBRole{models.DBStatistics, models.DBAdmin, models.DBDPO, models.DBMediation, models.DBPrevention} {
		if err := asRole(db, role, models.Actor{}, "SELECT 1 FROM enforcement.police_contacts"); !models.IsPermissionDenied(err) {
			t.Errorf("%s reads police contacts: %v", role, err)
		}
	}
}
