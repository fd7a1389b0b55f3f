package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kurve/models/dbtest"
)

// BenchmarkLighthouse (issue 15) runs Lighthouse in mobile mode (its
// default: a mid-range phone, simulated slow 4G) against a running `kurve
// serve` on the synthetic data set (KURVE_BENCH_PARTICIPANTS, default
// 100000) for the main pages of each role, signed in by a session cookie,
// and logs performance and accessibility per page as a Markdown table for
// README. Lighthouse comes from package.json (npm ci), the browser from
// Debian's chromium.
//
//	make lighthouse
func BenchmarkLighthouse(b *testing.B) {
	lighthouse, err := filepath.Abs("../../node_modules/.bin/lighthouse")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(lighthouse); err != nil {
		b.Skip("lighthouse is not installed: run npm ci")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		b.Skip("chromium is not installed (Debian: chromium)")
	}
	n := envInt(b, "KURVE_BENCH_PARTICIPANTS", 100_000)
	tdb := dbtest.Synthetic(b, n)
	var who struct{ Coordinator, SocialWorker, Mediator, CaseID string }
	err = tdb.Gorm.Raw(`WITH w AS (
			SELECT a.user_id, count(*) AS n FROM prevention.assignments a JOIN prevention.participants p ON p.id = a.participant_id
			JOIN org.sites s ON s.id = p.site_id
			WHERE s.code = 'GE' AND a.kind = 'social_worker' AND a.until_on IS NULL AND p.status = 'active'
			GROUP BY a.user_id ORDER BY n DESC, a.user_id LIMIT 1)
		SELECT u.email AS social_worker,
		       (SELECT p.id FROM prevention.assignments a JOIN prevention.participants p ON p.id = a.participant_id
		        WHERE a.user_id = w.user_id AND a.until_on IS NULL AND p.status = 'active' ORDER BY p.case_number LIMIT 1) AS case_id
		FROM w JOIN org.users u ON u.id = w.user_id`).Scan(&who).Error
	if err != nil || who.CaseID == "" {
		b.Fatalf("lighthouse: no case to show: %v", err)
	}
	who.Coordinator, who.Mediator = largestSiteStaff(b, tdb.Gorm, "coordinator"), largestSiteStaff(b, tdb.Gorm, "language_mediator")
	cookies := map[string]string{}
	for _, e := range []string{who.Coordinator, who.SocialWorker, who.Mediator, "evaluation@es.kurve.example"} {
		cookies[e] = webCookie(b, tdb.Gorm, e)
	}
	dbtest.Exec(b, tdb.Gorm, "UPDATE stats_base.refreshed SET at = now() - interval '1 day'") // startServe waits for a refresh
	addr := startServe(b, tdb.URL).addr
	pages := []struct{ name, email, path string }{
		{"login", "", "/login"},
		{"start page, coordinator (largest site)", who.Coordinator, "/"},
		{"start page, social worker", who.SocialWorker, "/"},
		{"start page, mediator", who.Mediator, "/"},
		{"caseload, coordinator (largest site)", who.Coordinator, "/participants"},
		{"case page, social worker", who.SocialWorker, "/participants/" + who.CaseID},
		{"session form, social worker", who.SocialWorker, "/sessions/new"},
		{"agenda, mediator", who.Mediator, "/visits"},
		{"statistics, evaluator", "evaluation@es.kurve.example", "/stats"},
	}
	table := []string{"| page | performance | accessibility | first contentful paint | largest contentful paint | transferred |",
		"|---|---|---|---|---|---|"}
	for _, p := range pages {
		out := filepath.Join(b.TempDir(), "report.json")
		args := []string{"http://" + addr + p.path, "--quiet", "--output=json", "--output-path=" + out,
			"--only-categories=performance,accessibility", "--chrome-flags=--headless=new --no-sandbox --disable-gpu"}
		if p.email != "" {
			args = append(args, `--extra-headers={"Cookie": "kurve_session=`+cookies[p.email]+`"}`)
		}
		cmd := exec.Command(lighthouse, args...)
		cmd.Env = append(os.Environ(), "CHROME_PATH="+chromium)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("lighthouse %s: %v\n%s", p.path, err, msg)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			b.Fatal(err)
		}
		var r struct {
			FinalURL   string `json:"finalDisplayedUrl"`
			Categories map[string]struct {
				Score float64 `json:"score"`
			} `json:"categories"`
			Audits map[string]struct {
				DisplayValue string  `json:"displayValue"`
				NumericValue float64 `json:"numericValue"`
			} `json:"audits"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			b.Fatal(err)
		}
		if strings.Contains(r.FinalURL, "/login") && p.path != "/login" {
			b.Fatalf("lighthouse %s: not signed in (ended at %s)", p.path, r.FinalURL)
		}
		row := fmt.Sprintf("| %s | %.0f | %.0f | %s | %s | %.0f KB |", p.name, 100*r.Categories["performance"].Score,
			100*r.Categories["accessibility"].Score, r.Audits["first-contentful-paint"].DisplayValue,
			r.Audits["largest-contentful-paint"].DisplayValue, r.Audits["total-byte-weight"].NumericValue/1024)
		b.Log(row)
		table = append(table, row)
	}
	b.Logf("Lighthouse 12 (mobile) on %s, %d participants\n%s", machine(), n, strings.Join(table, "\n"))
}
