package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"kurve/models"
)

func TestProgramDay(t *testing.T) {
	for _, tc := range []struct {
		at   string
		want string
	}{
		{"2026-11-30T22:59:00Z", "2026-11-30"}, // 23:59 in Berlin (winter)
		{"2026-11-30T23:00:00Z", "2026-12-01"},
		{"2026-11-30T23:30:00Z", "2026-12-01"},
		{"2026-07-14T21:59:00Z", "2026-07-14"}, // 23:59 in Berlin (summer)
		{"2026-07-14T22:00:00Z", "2026-07-15"},
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		if got := models.ProgramDay(at).Format(time.DateOnly); got != tc.want {
			t.Errorf("ProgramDay(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

// TestDatabaseToday: the policies' today is the request's day when the
// application sets one (a server clock at 23:30 UTC is on Berlin's next
// day), else the day in Berlin, never the day in the server's TimeZone.
func TestDatabaseToday(t *testing.T) {
	w := newWorld(t)
	var day, current, zone string
	if err := w.db.Gorm.Raw("SELECT org.today()::text, current_date::text, current_setting('TimeZone')").Row().Scan(&day, &current, &zone); err != nil {
		t.Fatal(err)
	}
	want := models.ProgramDay(time.Now()).Format(time.DateOnly)
	if day != want || current != want || zone != "Europe/Berlin" {
		t.Errorf("org.today() %s, current_date %s in %s, want the day in Berlin %s", day, current, zone, want)
	}

	// An assignment that begins on the request's day is current for the
	// policies on that day, and not the day before.
	p := w.newParticipant("coord", "Tagwechsel", time.Date(2014, 3, 10, 0, 0, 0, 0, time.UTC))
	next := models.ProgramDay(time.Now()).AddDate(0, 0, 3)
	w.assign(p, "sw", models.AssignSocialWorker, next, nil)
	sw := w.users["sw"]
	seen := func(on time.Time) bool {
		err := models.InTx(context.Background(), w.db.Gorm, models.DBPrevention,
			models.Actor{UserID: sw.ID, SiteID: sw.SiteID, Role: sw.Role, Today: on}, func(st *models.Store) error {
				st.UseCipher(w.cipher)
				_, err := st.ParticipantByID(p.ID)
				return err
			})
		if errors.Is(err, models.ErrNotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	if seen(time.Time{}) || seen(next.AddDate(0, 0, -1)) {
		t.Error("an assignment that begins later is already current")
	}
	if !seen(next) {
		t.Error("an assignment that begins on the request's day is not current")
	}
}
