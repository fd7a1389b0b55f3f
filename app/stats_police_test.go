package app_test

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
)

// TestStatsPoliceContacts: crossing 3's measures (issue 17, item 5) in
// GET /api/v1/stats/outcomes and its CSV, and on the evaluator's
// dashboard by program outcome, in German and Arabic, with a chart whose
// text alternative names every value.
func TestStatsPoliceContacts(t *testing.T) {
	h := statsHarness(t, app.Config{})
	tok := h.token(models.RoleEvaluator)

	d := getOutcomes(t, h, tok, "by=site")
	for _, m := range models.PoliceContactMeasures {
		if !slices.Contains(d.Measures, m) {
			t.Errorf("measure %s missing", m)
		}
	}
	shownRate := false
	for _, r := range d.Rows {
		ms := r["measures"].(map[string]any)
		for _, w := range models.PoliceWindows {
			for _, o := range []string{"", "completed", "ended_early"} {
				n, c, rate := ms[models.PoliceWindowCount(w, o)], ms[models.PoliceContactCount(w, o)], ms[models.PoliceRate(w, o)]
				for _, v := range []any{n, c} {
					if v != nil && v.(float64) > 0 && v.(float64) < float64(d.K) {
						t.Errorf("a police count of %v in %v", v, r)
					}
				}
				if rate != nil && (n == nil || c == nil || rate.(float64) < 0 || rate.(float64) > 1) {
					t.Errorf("%s = %v from %v of %v", models.PoliceRate(w, o), rate, c, n)
				}
				if rate != nil && w == "12m" {
					shownRate = true
				}
			}
		}
	}
	if !shownRate {
		t.Error("no 12-month police contact rate shown anywhere")
	}
	resp := h.api("GET", "/api/v1/stats/outcomes.csv?by=site", tok, "")
	records, err := csv.NewReader(strings.NewReader(readAll(t, resp))).ReadAll()
	if err != nil || len(records) != len(d.Rows)+1 || !slices.Contains(records[0], "police_contact_12m_rate") ||
		!slices.Contains(records[0], "police_window_24m_ended_early") {
		t.Fatalf("csv: %v %d records, header %v", err, len(records), records[0])
	}

	// The dashboard, German first.
	if err := h.db.Gorm.Exec("UPDATE org.users SET language = 'de' WHERE role = 'evaluator'").Error; err != nil {
		t.Fatal(err)
	}
	ws := h.signIn(models.RoleEvaluator)
	page := rfGet(t, h, &ws, "/stats", http.StatusOK)
	sec := page.Find("section#stats-police")
	if sec.Length() != 1 || !strings.Contains(sec.Find("h2").Text(), "Polizeikontakte") {
		t.Fatalf("no police section: %q", sec.Text())
	}
	table := sec.Find("table#stats-police-table")
	if n := table.Find(`thead th.stats-window[colspan="3"]`).Length(); n != 3 {
		t.Errorf("%d window headings", n)
	}
	if got, want := table.Find("tbody tr").Length(), page.Find("table#stats-outcomes tbody tr").Length(); got != want || got == 0 {
		t.Errorf("%d police rows, %d outcome rows", got, want)
	}
	if n := table.Find("tbody tr").First().Find("td.num").Length(); n != 9 {
		t.Errorf("%d cells per row, want 3 windows × 3 outcomes", n)
	}
	if table.Find(".stats-n").Length() == 0 || sec.Find(".suppressed").Length() == 0 {
		t.Error("no counts or no suppressed cell in the police table")
	}
	chart := sec.Find(`figure#chart-police svg[role="img"]`)
	desc := chart.Find("desc").Text()
	for _, s := range []string{"binnen 6 Monaten", "binnen 12 Monaten", "binnen 24 Monaten", "abgeschlossen", "vorzeitig beendet", "Tabelle"} {
		if !strings.Contains(desc, s) {
			t.Errorf("chart description lacks %q: %q", s, desc)
		}
	}
	if chart.AttrOr("aria-labelledby", "") != "chart-police-title chart-police-desc" || chart.Find("title").Text() == "" ||
		chart.Find("rect.chart-bar").Length() == 0 {
		t.Errorf("chart %q", chart.Text())
	}

	// In Arabic: the same, right to left.
	if err := h.db.Gorm.Exec("UPDATE org.users SET language = 'ar' WHERE role = 'evaluator'").Error; err != nil {
		t.Fatal(err)
	}
	ws = h.signIn(models.RoleEvaluator)
	page = rfGet(t, h, &ws, "/stats", http.StatusOK)
	if page.Find("html").AttrOr("dir", "") != "rtl" {
		t.Error("the Arabic page is not right to left")
	}
	desc = page.Find("figure#chart-police desc").Text()
	for _, s := range []string{"خلال 12 شهرًا", "مكتمل", "انتهى مبكرًا"} {
		if !strings.Contains(desc, s) {
			t.Errorf("Arabic chart description lacks %q: %q", s, desc)
		}
	}
	if !strings.Contains(page.Find("#stats-police-heading").Text(), "الشرطة") {
		t.Errorf("Arabic heading %q", page.Find("#stats-police-heading").Text())
	}
}
