package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
	"kurve/models/dbtest"
)

// TestRetentionStatusWeb: the dpo's start page says that retention never
// ran, then shows the last run's day and counts, and a run that has not
// recorded its end as not finished.
func TestRetentionStatusWeb(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	ws := h.signIn(models.RoleDPO)
	d := doc(t, expect(t, h.web("GET", "/", &ws, nil), 200))
	if d.Find("#retention-never").Length() != 1 || d.Find("#retention-counts").Length() != 0 {
		t.Fatal("no word that retention never ran")
	}

	// Every ended demo case is past a retention of zero months.
	dbtest.Exec(t, h.db.Gorm, `INSERT INTO auth.api_tokens (id, user_id, name, token_hash, expires_at)
		SELECT gen_random_uuid(), id, 'alt', '\x01', now() - interval '1 hour' FROM org.users WHERE email = ?`, h.logins[models.RoleSocialWorker])
	rep, err := models.RunRetention(context.Background(), h.db.Gorm, models.Retention{CaseMonths: 0, DeclinedReferralMonths: 6}, h.now(), false, true)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Ran || rep.CasesErased == 0 || rep.TokensPurged == 0 {
		t.Fatalf("retention report %+v", rep)
	}
	d = doc(t, expect(t, h.web("GET", "/", &ws, nil), 200))
	if d.Find("#retention-never").Length() != 0 || !strings.Contains(d.Find("#retention-run").Text(), deDate(h.today())) ||
		d.Find(`#retention-run time[datetime="`+h.today()+`"]`).Length() != 1 ||
		d.Find("#retention-finished time").Length() != 1 {
		t.Errorf("last run: %q", d.Find("#retention-run").Text())
	}
	for name, want := range map[string]int64{"cases_erased": int64(rep.CasesErased), "referrals_retired": int64(rep.ReferralsRetired),
		"sessions_purged": rep.SessionsPurged, "tokens_purged": rep.TokensPurged, "idempotency_purged": rep.IdempotencyPurged,
		"parked_forms_purged": rep.ParkedFormsPurged} {
		card := d.Find(`#retention-counts [data-count="` + name + `"]`)
		if card.Find("dt").Text() == "" || strings.TrimSpace(card.Find("dd").Text()) != strconv.FormatInt(want, 10) {
			t.Errorf("%s: %q, want %d", name, card.Find("dd").Text(), want)
		}
	}

	// The next day's run has claimed its day but not finished.
	dbtest.Exec(t, h.db.Gorm, "INSERT INTO audit.retention_runs (day) VALUES (?::date + 1)", h.today())
	d = doc(t, expect(t, h.web("GET", "/", &ws, nil), 200))
	if !strings.Contains(d.Find("#retention-finished").Text(), "Noch nicht beendet") || d.Find("#retention-counts").Length() != 0 {
		t.Errorf("an unfinished run: %q", d.Find("#retention-finished").Text())
	}
}
