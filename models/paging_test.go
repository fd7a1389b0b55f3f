package models_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// walk reads a list in pages of n as user, each after the last row of the
// one before, and returns the rows' ids.
func walk[T any](w *world, user string, n int, read func(*models.Store, models.Page) ([]T, error), id, cursor func(*T) string) []string {
	w.t.Helper()
	var ids []string
	after := ""
	for pages := 0; pages < 20; pages++ {
		var rows []T
		w.must(user, func(st *models.Store) (err error) {
			rows, err = read(st, models.Page{After: after, Limit: n})
			return err
		})
		for i := range rows {
			ids = append(ids, id(&rows[i]))
		}
		if len(rows) < n {
			return ids
		}
		after = cursor(&rows[len(rows)-1])
	}
	w.t.Fatal("more than 20 pages")
	return nil
}

func intakePage(st *models.Store, pg models.Page) ([]models.IntakeReferral, error) {
	return st.IntakePage(models.IntakeFilter{Page: pg})
}

func intakeID(r *models.IntakeReferral) string { return r.ID }

// TestCrossingPages: both crossings read a page after a referral's id, in
// their order, ties of the creation time broken by id; a cursor naming a
// referral outside the caller's own list gives nothing.
func TestCrossingPages(t *testing.T) {
	w := newWorld(t)
	w.police()
	var du *models.Referral
	w.must("police", func(st *models.Store) (err error) {
		du, err = st.CreateReferral(models.ReferralInput{FirstName: "Dora", LastName: "Meldung", DateOfBirth: ptr(time.Date(2014, 5, 5, 0, 0, 0, 0, time.UTC)),
			Gender: "female", SiteCode: "DU", ReasonCategory: "other", PoliceReference: "PP-DU-1"}, today)
		return err
	})
	var es []string
	for _, first := range []string{"Anna", "Bert", "Cem", "Dana", "Emil"} {
		es = append(es, w.refer(first).ID)
	}
	// Bert, Cem and Dana at one instant; Duisburg's referral before all.
	dbtest.Exec(t, w.db.Gorm, "UPDATE enforcement.referrals SET created_at = '2026-11-20 10:00+01' WHERE id IN (?, ?, ?)", es[1], es[2], es[3])
	dbtest.Exec(t, w.db.Gorm, "UPDATE enforcement.referrals SET created_at = '2026-11-01 10:00+01' WHERE id = ?", du.ID)
	var want []string
	w.must("coord", func(st *models.Store) error {
		q, err := st.IntakeQueue()
		for _, r := range q {
			want = append(want, r.ID)
		}
		return err
	})
	if len(want) != 5 {
		t.Fatalf("queue %v", want)
	}
	tied := slices.Clone(es[1:4])
	slices.Sort(tied)
	if i := slices.Index(want, tied[0]); i < 0 || !slices.Equal(want[i:i+3], tied) {
		t.Errorf("ties not by id: %v, tied %v", want, tied)
	}
	for _, n := range []int{1, 2, 3} {
		if got := walk(w, "coord", n, intakePage, intakeID, (*models.IntakeReferral).Cursor); !slices.Equal(got, want) {
			t.Errorf("pages of %d: %v, want %v", n, got, want)
		}
	}
	// Duisburg's referral as the cursor of Essen's queue: nothing.
	w.must("coord", func(st *models.Store) error {
		q, err := st.IntakePage(models.IntakeFilter{Page: models.Page{After: (&models.IntakeReferral{ID: du.ID}).Cursor(), Limit: 10}})
		if len(q) != 0 {
			t.Errorf("a cursor of another site's referral pages %d referrals", len(q))
		}
		return err
	})

	// Feedback, newest first: another officer's referral (the newest of
	// all) as the cursor gives nothing either.
	var fb []string
	w.must("police", func(st *models.Store) error {
		all, err := st.ReferralFeedback()
		for _, f := range all {
			fb = append(fb, f.ID)
		}
		return err
	})
	other := w.refer("Fritz")
	dbtest.Exec(t, w.db.Gorm, "UPDATE enforcement.referrals SET submitted_by = ? WHERE id = ?", w.users["coord"].ID, other.ID)
	got := walk(w, "police", 2, (*models.Store).FeedbackPage, func(f *models.Feedback) string { return f.ID }, (*models.Feedback).Cursor)
	if len(fb) != 6 || !slices.Equal(got, fb) {
		t.Errorf("feedback pages %v, want %v", got, fb)
	}
	w.must("police", func(st *models.Store) error {
		page, err := st.FeedbackPage(models.Page{After: (&models.Feedback{ID: other.ID}).Cursor(), Limit: 10})
		if len(page) != 0 {
			t.Errorf("a cursor of another officer's referral pages %d referrals", len(page))
		}
		return err
	})

	// A cursor this package did not make is a validation error.
	for _, bad := range []string{"kaputt!", "MTIz", (&models.Visit{ID: es[0]}).Cursor()} {
		err := w.as("coord", func(st *models.Store) error {
			_, err := st.IntakePage(models.IntakeFilter{Page: models.Page{After: bad, Limit: 2}})
			return err
		})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "cursor" {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}
