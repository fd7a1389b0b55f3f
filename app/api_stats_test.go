package app_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
)

// statsHarness is a server with synthetic cases at several sites and
// refreshed statistics.
func statsHarness(t *testing.T, cfg app.Config) *harness {
	t.Helper()
	h := newHarness(t, cfg)
	cipher, err := models.NewCipher(models.EphemeralDataKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.SeedSynthetic(context.Background(), h.db.Gorm, cipher,
		models.SyntheticOptions{Participants: 400, Seed: 3, Today: testNow()}); err != nil {
		t.Fatal(err)
	}
	if ok, err := models.RefreshStatistics(context.Background(), h.db.Gorm); err != nil || !ok {
		t.Fatalf("refresh: %v %v", ok, err)
	}
	return h
}

func getOutcomes(t *testing.T, h *harness, tok, query string) app.OutcomeDocument {
	t.Helper()
	resp := h.api("GET", "/api/v1/stats/outcomes?"+query, tok, "")
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("outcomes?%s: %d %s", query, resp.StatusCode, body)
	}
	var d app.OutcomeDocument
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestStatsAPI: GET /api/v1/stats/outcomes has the shape of SPEC §11, shows
// no count below k, and its CSV twin carries the same table.
func TestStatsAPI(t *testing.T) {
	h := statsHarness(t, app.Config{})
	tok := h.token(models.RoleEvaluator)
	d := getOutcomes(t, h, tok, "by=site,age_band,year")
	if d.K != models.DefaultK || !slices.Equal(d.Dimensions, []string{"site", "age_band", "year"}) || d.EvaluationConsent != "required" {
		t.Fatalf("header: %+v", d)
	}
	for _, m := range []string{"participants", "referrals", "completion_rate", "attendance_rate"} {
		if !slices.Contains(d.Measures, m) {
			t.Errorf("measure %s missing", m)
		}
	}
	if len(d.Rows) < 10 {
		t.Fatalf("only %d rows", len(d.Rows))
	}
	monthRE := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	shown, hidden := 0, 0
	for _, r := range d.Rows {
		for _, dim := range d.Dimensions {
			if _, ok := r[dim]; !ok {
				t.Fatalf("row without %s: %v", dim, r)
			}
		}
		if s, ok := r["age_band"].(string); ok && !slices.Contains(models.AgeBands, s) {
			t.Errorf("age band %q", s)
		}
		measures := r["measures"].(map[string]any)
		suppressed := r["suppressed"].([]any)
		for _, m := range d.Measures {
			v, ok := measures[m]
			if !ok {
				t.Fatalf("measure %s absent from a row", m)
			}
			if v == nil {
				continue
			}
			n := v.(float64)
			// Counts only: rates, medians and means may be small.
			mean := m == "sessions_per_participant" || m == "assessment_change"
			if !strings.HasSuffix(m, "_rate") && !strings.HasSuffix(m, "_median") && !mean && n > 0 && n < float64(d.K) {
				t.Errorf("%s = %v shown below k in %v", m, n, r)
			}
		}
		for _, s := range suppressed {
			if measures[s.(string)] != nil {
				t.Errorf("%s listed as suppressed but shown", s)
			}
		}
		if measures["participants"] == nil {
			hidden++
		} else {
			shown++
		}
	}
	if shown == 0 || hidden == 0 {
		t.Errorf("expected some shown and some suppressed groups: %d shown, %d hidden", shown, hidden)
	}
	if raw, _ := json.Marshal(d.Rows); monthRE.Match(raw) {
		t.Errorf("a date finer than a month in the outcome table")
	}

	resp := h.api("GET", "/api/v1/stats/outcomes.csv?by=site,age_band,year", tok, "")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	records, err := csv.NewReader(strings.NewReader(readAll(t, resp))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != len(d.Rows)+1 || !slices.Equal(records[0][:4], []string{"site", "age_band", "year", "participants"}) {
		t.Fatalf("csv has %d records for %d rows; header %v", len(records), len(d.Rows), records[0])
	}
	col := slices.Index(records[0], "participants")
	for i, rec := range records[1:] {
		want := ""
		if v := d.Rows[i]["measures"].(map[string]any)["participants"]; v != nil {
			want = jsonNumber(v)
		}
		if rec[col] != want {
			t.Errorf("csv row %d participants %q, json %q", i, rec[col], want)
		}
	}

	// Filters and a larger k.
	k8 := statsHarnessK(t, h, 8)
	for _, r := range getOutcomes(t, k8, k8.token(models.RoleEvaluator), "by=site&year=2025").Rows {
		if v := r["measures"].(map[string]any)["participants"]; v != nil && v.(float64) < 8 && v.(float64) > 0 {
			t.Errorf("k=8 shows %v", v)
		}
	}
}

// statsHarnessK is a second server with another k on the same database.
func statsHarnessK(t *testing.T, h *harness, k int) *harness {
	t.Helper()
	srv, err := app.New(app.Config{StatsK: k}, h.db.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: srv, db: h.db, logins: h.logins}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestStatsAPIErrors: unknown or repeated dimensions and bad filters are a
// localised 422, never a 500; a k below 3 does not start.
func TestStatsAPIErrors(t *testing.T) {
	h := newHarness(t, app.Config{})
	tok := h.token(models.RoleEvaluator)
	for _, q := range []string{"by=first_name", "by=site,site", "year=abc", "quarter=5", "site=essen", "by=site;drop"} {
		resp := h.api("GET", "/api/v1/stats/outcomes?"+q, tok, "", "Accept-Language", "en")
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", q, resp.StatusCode)
			resp.Body.Close()
			continue
		}
		p := problem(t, resp)
		if len(p.Errors) == 0 || p.Errors[0].Message == "" || strings.HasPrefix(p.Errors[0].Message, "stats.") {
			t.Errorf("%s: problem %+v", q, p)
		}
	}
	if _, err := app.New(app.Config{StatsK: 2}, h.db.Gorm); err == nil {
		t.Error("server started with k = 2")
	}
}

// TestStatsEvaluationConsentSetting: the relaxed setting counts more
// participants than the default, never fewer; referrals are the same.
func TestStatsEvaluationConsentSetting(t *testing.T) {
	h := statsHarness(t, app.Config{})
	relaxed, err := app.New(app.Config{StatsRelaxed: true}, h.db.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	hr := &harness{t: t, srv: relaxed, db: h.db, logins: h.logins}
	grand := func(d app.OutcomeDocument, m string) float64 {
		for _, r := range d.Rows {
			if v := r["measures"].(map[string]any)[m]; v != nil {
				return v.(float64)
			}
		}
		t.Fatalf("no %s in %v", m, d.Rows)
		return 0
	}
	strict := getOutcomes(t, h, h.token(models.RoleEvaluator), "by=")
	loose := getOutcomes(t, hr, hr.token(models.RoleEvaluator), "by=")
	if loose.EvaluationConsent != "relaxed" || grand(loose, "participants") <= grand(strict, "participants") {
		t.Errorf("relaxed %v vs required %v participants", grand(loose, "participants"), grand(strict, "participants"))
	}
	if grand(loose, "referrals") != grand(strict, "referrals") {
		t.Error("referral counts depend on the consent setting")
	}
}

// TestStatsDashboard: the evaluator's start page is the dashboard, with
// charts that have text alternatives, tables, downloads and an audit entry;
// a bad selection is a form message.
func TestStatsDashboard(t *testing.T) {
	h := statsHarness(t, app.Config{})
	ws := h.signIn(models.RoleEvaluator)
	for _, path := range []string{"/", "/stats", "/stats?by1=site&by2=gender&by3=year&quarter=2"} {
		resp := h.web("GET", path, &ws, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		d := doc(t, resp)
		// Participants, completion rate, and the assessments before and
		// after (issue 17).
		svg := d.Find("figure.stats-chart svg[role=img]")
		// Participants, completion rate, police contacts, and the
		// assessments' before and after (issue 17).
		if svg.Length() != 4 || svg.Find("title").Length() != 4 || svg.Find("desc").Length() != 4 || svg.Find("desc").Text() == "" {
			t.Errorf("%s: charts without text alternative (%d)", path, svg.Length())
		}
		if d.Find("table#stats-outcomes tbody tr").Length() == 0 {
			t.Errorf("%s: no outcome table", path)
		}
		// Both CSV dialects, each labelled, for the table on the page.
		for id, dialect := range map[string]string{"#stats-csv-excel-de": "excel-de", "#stats-csv-rfc4180": "rfc4180"} {
			link := d.Find(id)
			u, err := url.Parse(link.AttrOr("href", ""))
			if err != nil || u.Path != "/stats/outcomes.csv" || u.Query().Get("dialect") != dialect || u.Query().Get("by") == "" ||
				strings.TrimSpace(link.Text()) == "" {
				t.Errorf("%s: download %s: %q %q", path, id, link.AttrOr("href", ""), link.Text())
			}
		}
		if d.Find("#stats-csv-excel-de").Text() == d.Find("#stats-csv-rfc4180").Text() {
			t.Errorf("%s: the two CSV downloads have the same label", path)
		}
		if d.Find(".suppressed").Length() == 0 {
			t.Errorf("%s: nothing suppressed in small synthetic groups", path)
		}
	}
	if n := auditCount(t, h, models.AuditStatsQuery); n < 3 {
		t.Errorf("%d stats.query audit entries", n)
	}
	resp := h.web("GET", "/stats?by1=site&by2=site", &ws, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("repeated dimension: %d", resp.StatusCode)
	}
	if d := doc(t, resp); d.Find("#stats-by-error").Text() == "" {
		t.Error("no form message for a repeated dimension")
	}
	resp = h.web("GET", "/stats/outcomes.csv?by=site,year", &ws, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("csv download: %d", resp.StatusCode)
	}
	resp.Body.Close()
	if n := auditCount(t, h, models.AuditStatsExport); n != 1 {
		t.Errorf("%d stats.export audit entries", n)
	}
}

// TestEvaluatorSeesNoPerson: with real ids of a participant, a family, a
// session, a visit and a referral, every person-level route answers an
// evaluator 403 or 404 and never carries a case number.
func TestEvaluatorSeesNoPerson(t *testing.T) {
	h := statsHarness(t, app.Config{})
	ids := map[string]string{}
	for name, sql := range map[string]string{
		"participant": "SELECT id::text FROM prevention.participants WHERE status = 'active' LIMIT 1",
		"family":      "SELECT family_id::text FROM prevention.participants LIMIT 1",
		"session":     "SELECT id::text FROM prevention.sessions LIMIT 1",
		"visit":       "SELECT id::text FROM prevention.visits LIMIT 1",
		"referral":    "SELECT id::text FROM enforcement.referrals LIMIT 1",
		"consent":     "SELECT id::text FROM prevention.consents LIMIT 1",
		"goal":        "SELECT id::text FROM prevention.goals LIMIT 1",
	} {
		var id string
		if err := h.db.Gorm.Raw(sql).Scan(&id).Error; err != nil || id == "" {
			t.Fatalf("%s: %v", name, err)
		}
		ids[name] = id
	}
	idFor := func(path string) string {
		for _, name := range []string{"participant", "family", "session", "visit", "referral", "consent", "goal"} {
			if strings.Contains(path, "/"+name) || strings.Contains(path, "/intake") && name == "referral" {
				return ids[name]
			}
		}
		return ids["participant"]
	}
	tok := h.token(models.RoleEvaluator)
	ws := h.signIn(models.RoleEvaluator)
	caseNumberRE := regexp.MustCompile(`[A-Z]{2,3}-\d{4}-\d{4}`)
	checked := 0
	for _, r := range h.srv.Routes() {
		if r.Access != app.Side || r.Allows(models.RoleEvaluator) {
			continue
		}
		path := paramRE.ReplaceAllStringFunc(r.Path, func(string) string { return idFor(r.Path) })
		var resp *http.Response
		if r.API {
			body := ""
			if r.Method != http.MethodGet {
				body = "{}"
			}
			resp = h.api(r.Method, path, tok, body)
		} else {
			var form url.Values
			if r.Method != http.MethodGet {
				form = url.Values{}
			}
			resp = h.web(r.Method, path, &ws, form)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s as evaluator: %d", r.Method, path, resp.StatusCode)
		}
		if caseNumberRE.MatchString(body) {
			t.Errorf("%s %s as evaluator shows a case number", r.Method, path)
		}
		checked++
	}
	if checked < 40 {
		t.Errorf("only %d person-level routes checked", checked)
	}
}
