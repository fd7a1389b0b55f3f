package app_test

import (
	"fmt"
	"net/http"
	"testing"

	"kurve/models"
)

// TestStartPageKeepsItsListsUntilTheFactsChange (issue 15): the start
// pages keep their attention lists per user and day and compute them
// again only when the version of the site's case facts moved (migration
// 00032, app/dashcache.go). A change made behind the triggers' back is
// therefore not seen, which proves the lists are kept; any real write,
// by the owner as a job would or through the API as a user does, is seen
// on the very next page.
func TestStartPageKeepsItsListsUntilTheFactsChange(t *testing.T) {
	h, active := snSetup(t)
	coord, sw := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker)
	overdue := func(ws *webSession) bool {
		t.Helper()
		d := snGet(t, h, ws, "/", http.StatusOK)
		return d.Find(`#dash-reviews-list li[data-id="`+active[1]+`"]`).Length() == 1
	}
	if overdue(&coord) || overdue(&sw) {
		t.Fatal("a case activated recently is listed as overdue")
	}

	// Active for almost a year without a review, written with the
	// triggers off (replication role): no version moves.
	tx := h.db.Gorm.Begin()
	for _, sql := range []string{"SET LOCAL session_replication_role = replica",
		"UPDATE prevention.participants SET activated_on = current_date - 350 WHERE id = ?",
		"DELETE FROM prevention.reviews WHERE participant_id = ?"} {
		args := []any{active[1]}
		if sql[:3] == "SET" {
			args = nil
		}
		if err := tx.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if overdue(&coord) || overdue(&sw) {
		t.Error("the start page computed its lists again although no fact's version moved: nothing is kept")
	}

	// A write as a job would make it (any statement on a fact's table).
	if err := h.db.Gorm.Exec("UPDATE prevention.participants SET version = version WHERE id = ?", active[1]).Error; err != nil {
		t.Fatal(err)
	}
	if !overdue(&coord) || !overdue(&sw) {
		t.Fatal("a change of the case's facts is not on the next start page")
	}

	// The social worker records the review: it leaves both lists at once.
	tok := h.token(models.RoleSocialWorker)
	expect(t, h.api("POST", "/api/v1/participants/"+active[1]+"/reviews", tok,
		fmt.Sprintf(`{"held_on":%q,"notes":"Besprechung"}`, testDate(0))), http.StatusCreated).Body.Close()
	if overdue(&sw) || overdue(&coord) {
		t.Error("a review just recorded still leaves the case overdue on the start page")
	}
}
