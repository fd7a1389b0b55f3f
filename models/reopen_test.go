package models_test

import (
	"errors"
	"testing"
	"time"

	"kurve/models"
)

func TestCanReopen(t *testing.T) {
	closed := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		st   models.Status
		day  time.Time
		want bool
	}{
		{models.StatusCompleted, closed, true},
		{models.StatusEndedEarly, closed.AddDate(0, 0, 29), true},
		{models.StatusWithdrawn, closed.AddDate(0, 0, models.ReopenDays), true},
		{models.StatusDeclined, closed.AddDate(0, 0, models.ReopenDays+1), false},
		{models.StatusActive, closed, false},
		{models.StatusReferred, closed, false},
	} {
		if got := models.CanReopen(tc.st, closed, tc.day); got != tc.want {
			t.Errorf("CanReopen(%s, +%d days) = %v", tc.st, int(tc.day.Sub(closed).Hours()/24), got)
		}
	}
}

// TestCompletedOnlyByClosing: "completed" is refused as a plain status
// change, in Go (422) and in PostgreSQL (a trigger), and reached through
// the closing interview.
func TestCompletedOnlyByClosing(t *testing.T) {
	w := newWorld(t)
	p := w.activeCase("Schluss", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	err := w.as("sw", func(st *models.Store) error {
		_, err := st.ChangeStatus(p.ID, p.Version, models.StatusCompleted, "", today)
		return err
	})
	var ve *models.ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].MessageID != "validation.complete_via_closing" {
		t.Errorf("plain change to completed: %v", err)
	}
	sw := w.users["sw"]
	if err := asRole(w.db.Gorm, models.DBPrevention, models.Actor{UserID: sw.ID, SiteID: sw.SiteID, Role: sw.Role},
		"UPDATE prevention.participants SET status = 'completed' WHERE id = ?", p.ID); err == nil {
		t.Error("PostgreSQL let a participant become completed without a closing interview")
	}
	w.must("sw", func(st *models.Store) error {
		_, err := st.CloseCase(p.ID, p.Version, models.ClosingInput{EndedOn: today, Handover: "none", Completed: true}, today)
		return err
	})
	if _, q := visible(w, "sw", p.ID); q.Status != models.StatusCompleted {
		t.Errorf("after the closing interview: %s", q.Status)
	}
}

// TestReopenCase: a coordinator reopens a case closed in error, within 30
// days and with a reason; it returns to its previous status, its closing
// interview is kept aside, a new one can be held, and the history says why.
func TestReopenCase(t *testing.T) {
	w := newWorld(t)
	p := w.activeCase("Irrtum", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	w.must("sw", func(st *models.Store) (err error) {
		p, err = st.CloseCase(p.ID, p.Version, models.ClosingInput{EndedOn: today, Handover: "none", Completed: true, Assessment: "Erster Abschluss"}, today)
		return err
	})
	reopen := func(user string, reason string, day time.Time) error {
		return w.as(user, func(st *models.Store) error {
			_, err := st.ReopenCase(p.ID, p.Version, reason, day)
			return err
		})
	}
	if err := reopen("sw", "Versehen", today); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("social worker reopened: %v", err)
	}
	var ve *models.ValidationError
	if err := reopen("coord", "", today); !errors.As(err, &ve) || ve.Fields[0].Field != "reason" {
		t.Errorf("reopen without a reason: %v", err)
	}
	if err := reopen("coord", "Versehen", today.AddDate(0, 0, models.ReopenDays+1)); !errors.As(err, &ve) || ve.Fields[0].Field != "status" {
		t.Errorf("reopen after %d days: %v", models.ReopenDays+1, err)
	}
	if err := reopen("coord", "Abschluss versehentlich erfasst", today.AddDate(0, 0, 3)); err != nil {
		t.Fatal(err)
	}
	var hist []models.StatusChange
	w.must("coord", func(st *models.Store) (err error) {
		if p, err = st.ParticipantByID(p.ID); err != nil {
			return err
		}
		if c, err := st.ClosingOf(p.ID); err != nil || c != nil {
			t.Errorf("a reopened case still shows its closing: %v %v", c, err)
		}
		hist, err = st.StatusHistory(p.ID)
		return err
	})
	last := hist[len(hist)-1]
	if p.Status != models.StatusActive || p.EndedOn != nil || last.Reason == nil || *last.Reason != models.ReasonReopened ||
		last.Note != "Abschluss versehentlich erfasst" || last.ToStatus != models.StatusActive {
		t.Errorf("after reopening: status %s, ended %v, history %+v", p.Status, p.EndedOn, last)
	}
	var kept, clear int
	w.db.Gorm.Raw("SELECT count(*) FROM prevention.closings WHERE participant_id = ? AND reopened_at IS NOT NULL", p.ID).Scan(&kept)
	w.db.Gorm.Raw("SELECT count(*) FROM prevention.status_changes WHERE note_enc LIKE '%versehentlich%'").Scan(&clear)
	if kept != 1 || clear != 0 {
		t.Errorf("reopened closing kept %d, notes in clear %d", kept, clear)
	}
	// The case can be closed again.
	w.must("sw", func(st *models.Store) error {
		_, err := st.CloseCase(p.ID, p.Version, models.ClosingInput{EndedOn: today.AddDate(0, 0, 3), Handover: "school", Completed: true}, today.AddDate(0, 0, 3))
		return err
	})
}
