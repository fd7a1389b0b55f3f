package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// demoScores is a body's scores for every item of the demo instrument.
func demoScores(t *testing.T, h *harness, tok string, value string) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	for _, it := range decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/assessment-items", tok, ""), 200)) {
		out[it["code"].(string)] = json.RawMessage(value)
	}
	return out
}

func assessmentBody(occasion string, scores map[string]json.RawMessage, extra string) string {
	b, _ := json.Marshal(scores)
	return fmt.Sprintf(`{"occasion":%q,"scores":%s%s}`, occasion, b, extra)
}

// TestAssessmentAPI: GET /api/v1/assessment-items gives the site's staff
// the instrument in their language; POST /participants/{id}/assessments
// records one (201), refuses missing, unknown and off-scale items with a
// localised errors list (422), replays a repeated Idempotency-Key, is
// audited, and is open only to the case's own staff.
func TestAssessmentAPI(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	sw, coord := h.token(models.RoleSocialWorker), h.token(models.RoleCoordinator)

	items := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/assessment-items", sw, ""), 200))
	if len(items) != 10 || items[0]["code"] != "aggression" || items[0]["name"] != "Aggressives Verhalten" || items[0]["kind"] != "risk" ||
		items[0]["scale_min"] != 1.0 || items[0]["scale_max"] != 5.0 || len(items[0]["anchors"].([]any)) != 5 {
		t.Fatalf("instrument %v", items[0])
	}
	for _, role := range []models.Role{models.RoleEvaluator, models.RoleMediator, models.RolePoliceLiaison, models.RoleAdmin} {
		expect(t, h.api("GET", "/api/v1/assessment-items", h.token(role), ""), 403).Body.Close()
	}

	active := demoIDs(t, h, models.StatusActive)
	lina := active[1] // the demo seeds a baseline for the first active case only
	scores := demoScores(t, h, sw, "3")
	scores["substance_use"] = json.RawMessage("null")

	// Missing, unknown and off-scale items: one error each, naming the item
	// in the user's language.
	bad := map[string]json.RawMessage{}
	for k, v := range scores {
		bad[k] = v
	}
	delete(bad, "leisure")
	bad["aggression"] = json.RawMessage("7")
	bad["self_worth"] = json.RawMessage("2.5")
	bad["courage"] = json.RawMessage("1")
	p := problem(t, expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", sw, assessmentBody("intake", bad, "")), 422))
	fields := map[string]string{}
	for _, f := range p.Errors {
		fields[f.Field] = f.Message
	}
	for field, text := range map[string]string{"scores.aggression": "Aggressives Verhalten", "scores.leisure": "Sinnvolle Freizeitgestaltung",
		"scores.self_worth": "Selbstwert", "scores.courage": "courage"} {
		if !strings.Contains(fields[field], text) {
			t.Errorf("error on %s: %q (want it to name %q); all: %v", field, fields[field], text, p.Errors)
		}
	}
	if len(p.Errors) != 4 {
		t.Errorf("errors %v", p.Errors)
	}
	// In the user's language: the coordinator switches to English.
	expect(t, h.api("PATCH", "/api/v1/me", coord, `{"language":"en"}`), 200).Body.Close()
	p = problem(t, expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", coord, assessmentBody("intake", bad, "")), 422))
	if !slices.ContainsFunc(p.Errors, func(f app.ProblemField) bool { return strings.Contains(f.Message, "Aggressive behaviour") }) {
		t.Errorf("not localised: %v", p.Errors)
	}
	expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", sw, assessmentBody("follow_up", scores, "")), 422).Body.Close()
	expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", sw, `{"occasion":"intake","scores":{"aggression":"drei"}}`), 400).Body.Close()

	// Recorded once, replayed for the same key.
	body := assessmentBody("intake", scores, `,"comment":"Erstgespräch mit Sprachmittlung"`)
	first := readAll(t, expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", sw, body, "Idempotency-Key", "assess-1"), 201))
	again := readAll(t, expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", sw, body, "Idempotency-Key", "assess-1"), 201))
	if first != again {
		t.Errorf("replay differs:\n%s\n%s", first, again)
	}
	expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", sw, assessmentBody("review", scores, ""), "Idempotency-Key", "assess-1"), 422).Body.Close()
	var a map[string]any
	if err := json.Unmarshal([]byte(first), &a); err != nil {
		t.Fatal(err)
	}
	sc := a["scores"].(map[string]any)
	if a["occasion"] != "intake" || a["assessed_on"] != h.today() || a["comment"] != "Erstgespräch mit Sprachmittlung" || len(sc) != 10 ||
		sc["substance_use"] != nil || sc["aggression"] != 3.0 {
		t.Errorf("recorded %v", a)
	}
	if n := h.count("SELECT count(*) FROM prevention.assessments WHERE participant_id = ?", lina); n != 1 {
		t.Errorf("%d assessments after a replay", n)
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = 'assessment.record' AND object_id = ? AND details->>'occasion' = 'intake'", lina); n != 1 {
		t.Errorf("%d audit events", n)
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = 'assessment.record' AND details::text LIKE '%Sprachmittlung%'"); n != 0 {
		t.Error("the comment is in the audit log")
	}
	// The coordinator too; not the evaluator, the mediator, the police.
	expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", coord, assessmentBody("review", scores, "")), 201).Body.Close()
	for _, role := range []models.Role{models.RoleEvaluator, models.RoleMediator, models.RolePoliceLiaison, models.RoleDPO} {
		expect(t, h.api("POST", "/api/v1/participants/"+lina+"/assessments", h.token(role), assessmentBody("review", scores, "")), 403).Body.Close()
	}
	// A case that is not one's own is not found; a closed case has no
	// baseline any more.
	var other string
	h.db.Gorm.Raw(`SELECT id FROM prevention.participants WHERE id NOT IN (SELECT participant_id FROM prevention.assignments
		WHERE kind = 'social_worker' AND until_on IS NULL AND user_id = (SELECT id FROM org.users WHERE email = ?)) LIMIT 1`,
		h.logins[models.RoleSocialWorker]).Scan(&other)
	if other != "" {
		expect(t, h.api("POST", "/api/v1/participants/"+other+"/assessments", sw, assessmentBody("review", scores, "")), 404).Body.Close()
	}
	completed := demoIDs(t, h, models.StatusCompleted)
	p = problem(t, expect(t, h.api("POST", "/api/v1/participants/"+completed[0]+"/assessments", coord, assessmentBody("intake", scores, "")), 422))
	if len(p.Errors) != 1 || p.Errors[0].Field != "occasion" {
		t.Errorf("baseline of a completed case: %v", p.Errors)
	}
	expect(t, h.api("POST", "/api/v1/participants/"+completed[0]+"/assessments", coord, assessmentBody("closing", scores, "")), 201).Body.Close()
}

// TestAssessmentWeb: the case page shows the course per item; the form
// offers every item with a radio button per point and "not assessable",
// keeps the choices when it refuses, and saves; the start page lists the
// active cases without a baseline.
func TestAssessmentWeb(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	ws := h.signIn(models.RoleSocialWorker)
	active := demoIDs(t, h, models.StatusActive)
	yusuf, lina := active[0], active[1]

	// The start page: Lina has no baseline, Yusuf has (the demo's).
	d := doc(t, expect(t, h.web("GET", "/", &ws, nil), 200))
	list := d.Find("#dash-no-baseline-list .case-line")
	ids := list.Map(func(_ int, s *goquery.Selection) string { v, _ := s.Attr("data-id"); return v })
	if !slices.Contains(ids, lina) || slices.Contains(ids, yusuf) {
		t.Errorf("no-baseline list %v (lina %s, yusuf %s)", ids, lina, yusuf)
	}

	// Yusuf's course: ten items, one column, the trend empty.
	d = doc(t, expect(t, h.web("GET", "/participants/"+yusuf, &ws, nil), 200))
	if n := d.Find("#assessment-course tbody tr").Length(); n != 10 {
		t.Errorf("course rows: %d", n)
	}
	if n := d.Find("#assessment-course thead th[data-occasion='intake']").Length(); n != 1 {
		t.Errorf("course columns: %d", n)
	}
	if d.Find("#case-index a[href='#case-assessment']").Length() != 1 {
		t.Error("the index has no assessment section")
	}
	if d.Find("#assessment-no-baseline").Length() != 0 {
		t.Error("Yusuf's baseline is reported missing")
	}
	// Lina's page says the baseline is missing, in the section and as a
	// task of the summary.
	d = doc(t, expect(t, h.web("GET", "/participants/"+lina, &ws, nil), 200))
	if d.Find("#assessment-no-baseline").Length() != 1 || d.Find("#summary-tasks li[data-task='no_baseline'] a[href='#case-assessment']").Length() != 1 {
		t.Error("Lina's missing baseline is not shown")
	}

	// The form: the baseline is preselected; every item offers five points
	// with their anchors and "not assessable".
	d = doc(t, expect(t, h.web("GET", "/participants/"+lina+"/assessments/new", &ws, nil), 200))
	if v, _ := d.Find("input[name=occasion]:checked").Attr("value"); v != "intake" {
		t.Errorf("preselected occasion %q", v)
	}
	if n := d.Find("fieldset.assessment-item-choice").Length(); n != 10 {
		t.Errorf("%d items in the form", n)
	}
	agg := d.Find("#score-aggression")
	if agg.Find("input[type=radio]").Length() != 6 || !strings.Contains(agg.Find("label.point").Last().Text(), "nicht einschätzbar") ||
		!strings.Contains(agg.Text(), "Wiederholt körperliche Gewalt") {
		t.Errorf("aggression: %q", agg.Text())
	}

	form := url.Values{"occasion": {"intake"}, "assessed_on": {h.today()}, "comment": {"Schule meldet weniger Fehlzeiten"}}
	var codes []string
	d.Find("fieldset.assessment-item-choice").Each(func(_ int, s *goquery.Selection) {
		c, _ := s.Attr("data-code")
		codes = append(codes, c)
	})
	for i, c := range codes {
		if i == 0 {
			continue // aggression left out
		}
		form.Set("score_"+c, "4")
	}
	form.Set("score_substance_use", "na")
	resp := h.web("POST", "/participants/"+lina+"/assessments", &ws, form)
	d = doc(t, expect(t, resp, 422))
	if d.Find("#score-aggression-error").Length() != 1 || d.Find("#score-leisure-error").Length() != 0 {
		t.Errorf("refused form: %q", d.Find("#form-alert").Text())
	}
	if _, checked := d.Find("#score-leisure-4").Attr("checked"); !checked {
		t.Error("the refused form lost the choices")
	}
	if _, checked := d.Find("#score-substance_use-na").Attr("checked"); !checked {
		t.Error("the refused form lost 'not assessable'")
	}
	form.Set("score_aggression", "2")
	resp = h.web("POST", "/participants/"+lina+"/assessments", &ws, form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "#case-assessment") {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	d = doc(t, expect(t, h.web("GET", "/participants/"+lina, &ws, nil), 200))
	row := d.Find("#assessment-course tr[data-code='aggression'] td")
	if strings.TrimSpace(row.First().Text()) != "2" {
		t.Errorf("aggression in the course: %q", row.First().Text())
	}
	if !strings.Contains(d.Find("#assessment-comments").Text(), "Schule meldet weniger Fehlzeiten") {
		t.Error("the comment is not shown")
	}
	// A review: aggression falls (better for a risk), leisure falls (worse
	// for a resource).
	form.Set("occasion", "review")
	form.Set("score_aggression", "1")
	form.Set("score_leisure", "2")
	form.Set("comment", "")
	expect(t, h.web("POST", "/participants/"+lina+"/assessments", &ws, form), http.StatusSeeOther).Body.Close()
	d = doc(t, expect(t, h.web("GET", "/participants/"+lina, &ws, nil), 200))
	for code, want := range map[string]string{"aggression": "trend-better", "leisure": "trend-worse", "self_worth": "trend-same"} {
		if d.Find(fmt.Sprintf("#assessment-course tr[data-code='%s'] td.%s", code, want)).Length() != 1 {
			t.Errorf("%s: want %s", code, want)
		}
	}
	d = doc(t, expect(t, h.web("GET", "/", &ws, nil), 200))
	if d.Find(fmt.Sprintf("#dash-no-baseline-list .case-line[data-id='%s']", lina)).Length() != 0 {
		t.Error("Lina is still listed without a baseline")
	}
	// In Arabic, right to left, the section is there with its table.
	wsAR := h.signIn(models.RoleCoordinator)
	expect(t, h.web("POST", "/language", &wsAR, url.Values{"lang": {"ar"}, "next": {"/"}}), http.StatusSeeOther).Body.Close()
	d = doc(t, expect(t, h.web("GET", "/participants/"+lina, &wsAR, nil), 200))
	if dir, _ := d.Find("html").Attr("dir"); dir != "rtl" || !strings.Contains(d.Find("#assessment-heading").Text(), "تقدير") {
		t.Errorf("Arabic page: dir %q, heading %q", dir, d.Find("#assessment-heading").Text())
	}
	// Mediators see no assessment at all.
	wsMed := h.signIn(models.RoleMediator)
	if resp := h.web("GET", "/participants/"+lina+"/assessments/new", &wsMed, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("mediator form: %d", resp.StatusCode)
	}
}

// TestAssessmentItemsPage: the coordinator keeps the instrument on a page
// of its own: adds, corrects, versions and retires items; social workers
// may not.
func TestAssessmentItemsPage(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	ws := h.signIn(models.RoleCoordinator)
	d := doc(t, expect(t, h.web("GET", "/assessment-items", &ws, nil), 200))
	if n := d.Find("section.assessment-item").Length(); n != 10 {
		t.Fatalf("%d items on the page", n)
	}
	if d.Find("#item-aggression .item-scored").Length() != 1 || d.Find("#item-trusted_adult .item-scored").Length() != 1 {
		t.Error("the demo baseline's items are not marked as scored")
	}
	lines := func(xs ...string) string { return strings.Join(xs, "\n") }
	form := url.Values{"code": {"courage"}, "kind": {"resource"}, "scale_min": {"1"}, "scale_max": {"3"},
		"name_de": {"Mut"}, "name_en": {"Courage"}, "name_tr": {"Cesaret"}, "name_ar": {"الشجاعة"},
		"anchors_de": {lines("wenig", "mittel", "viel")}, "anchors_en": {lines("little", "some", "much")},
		"anchors_tr": {lines("az", "orta")}, "anchors_ar": {lines("قليل", "متوسط", "كثير")}}
	d = doc(t, expect(t, h.web("POST", "/assessment-items", &ws, form), 422))
	if d.Find("#new-anchors_tr-error").Length() != 1 {
		t.Errorf("two Turkish anchors for three points accepted: %q", d.Find(".field-error").Text())
	}
	form.Set("anchors_tr", lines("az", "orta", "çok"))
	expect(t, h.web("POST", "/assessment-items", &ws, form), http.StatusSeeOther).Body.Close()
	// Unscored: corrected in place; scored: version 2.
	form.Set("name_de", "Mut und Zuversicht")
	expect(t, h.web("POST", "/assessment-items/courage", &ws, form), http.StatusSeeOther).Body.Close()
	if n := h.count("SELECT count(*) FROM prevention.assessment_items WHERE code = 'courage' AND name_de = 'Mut und Zuversicht' AND version = 1"); n != 1 {
		t.Error("the unscored item was not corrected in place")
	}
	agg := url.Values{"kind": {"risk"}, "scale_min": {"1"}, "scale_max": {"5"}, "name_de": {"Gewalt"}, "name_en": {"Violence"},
		"name_tr": {"Şiddet"}, "name_ar": {"العنف"}}
	for _, l := range []string{"de", "en", "tr", "ar"} {
		agg.Set("anchors_"+l, lines("1", "2", "3", "4", "5"))
	}
	expect(t, h.web("POST", "/assessment-items/aggression", &ws, agg), http.StatusSeeOther).Body.Close()
	if n := h.count("SELECT count(*) FROM prevention.assessment_items WHERE code = 'aggression' AND version = 2 AND retired_at IS NULL AND replaces IS NOT NULL"); n != 1 {
		t.Error("the scored item got no new version")
	}
	if n := h.count("SELECT count(*) FROM prevention.assessment_items WHERE code = 'aggression' AND version = 1 AND retired_at IS NOT NULL AND name_de = 'Aggressives Verhalten'"); n != 1 {
		t.Error("version 1 was changed or not retired")
	}
	expect(t, h.web("POST", "/assessment-items/courage/retire", &ws, url.Values{}), http.StatusSeeOther).Body.Close()
	d = doc(t, expect(t, h.web("GET", "/assessment-items", &ws, nil), 200))
	if d.Find("#item-courage").Length() != 0 || d.Find("#items-retired .retired-item[data-code='courage']").Length() != 1 ||
		d.Find("#items-retired .retired-item[data-code='aggression'][data-version='1']").Length() != 1 {
		t.Error("retired items are not listed apart")
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = 'assessment.item_save'"); n != 4 {
		t.Errorf("%d audit events of the instrument", n)
	}
	sw := h.signIn(models.RoleSocialWorker)
	for _, r := range []struct{ method, path string }{{"GET", "/assessment-items"}, {"POST", "/assessment-items"}, {"POST", "/assessment-items/leisure/retire"}} {
		var f url.Values
		if r.method == "POST" {
			f = url.Values{}
		}
		if resp := h.web(r.method, r.path, &sw, f); resp.StatusCode != http.StatusForbidden {
			t.Errorf("social worker %s %s: %d", r.method, r.path, resp.StatusCode)
		}
	}
}

// TestAssessmentStats: the outcome table carries assessed and
// assessment_change (in JSON and CSV, never below k), and the evaluator's
// page the per-item table with its before/after chart, in German and
// Arabic.
func TestAssessmentStats(t *testing.T) {
	h := statsHarness(t, app.Config{})
	tok := h.token(models.RoleEvaluator)
	d := getOutcomes(t, h, tok, "by=site")
	for _, m := range models.AssessmentMeasures {
		if !slices.Contains(d.Measures, m) {
			t.Errorf("measure %s missing", m)
		}
	}
	shown := 0
	for _, r := range d.Rows {
		ms := r["measures"].(map[string]any)
		n, change := ms["assessed"], ms["assessment_change"]
		if n != nil && n.(float64) > 0 && n.(float64) < float64(d.K) {
			t.Errorf("assessed %v below k", n)
		}
		if change != nil {
			shown++
			if n == nil {
				t.Errorf("a change without its number of people: %v", r)
			}
			if c := change.(float64); c < -4 || c > 4 {
				t.Errorf("change %v off the scale", c)
			}
		}
	}
	if shown == 0 {
		t.Error("no assessment change shown anywhere")
	}
	csvBody := readAll(t, expect(t, h.api("GET", "/api/v1/stats/outcomes.csv?by=site", tok, ""), 200))
	header := strings.SplitN(csvBody, "\n", 2)[0]
	if !strings.Contains(header, ",assessed,assessment_change,") {
		t.Errorf("csv header %q", header)
	}

	// The per-item table as JSON: the row of all items first.
	items := decode[app.AssessmentItemsDocument](t, expect(t, h.api("GET", "/api/v1/stats/assessments?year=2021,2022,2023,2024,2025,2026", tok, ""), 200))
	if items.K != models.DefaultK || len(items.Rows) != 11 || items.Rows[0]["item"] != nil || items.Rows[1]["kind"] != "risk" ||
		!slices.Equal(items.Measures, models.AssessmentItemMeasures) {
		t.Errorf("per-item table %+v", items)
	}
	for _, r := range items.Rows {
		ms := r["measures"].(map[string]any)
		if n := ms["assessed"]; n == nil || n.(float64) < float64(items.K) {
			t.Errorf("per-item row %v: %v people", r["item"], n)
		}
	}
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RolePoliceLiaison} {
		expect(t, h.api("GET", "/api/v1/stats/assessments", h.token(role), ""), 403).Body.Close()
	}

	ws := h.signIn(models.RoleEvaluator)
	page := doc(t, expect(t, h.web("GET", "/stats", &ws, nil), 200))
	rows := page.Find("#stats-assessment tbody tr")
	if rows.Length() != 11 || !rows.First().HasClass("total") {
		t.Errorf("per-item table: %d rows", rows.Length())
	}
	if page.Find("#chart-assessment svg title").Length() != 1 || page.Find("#chart-assessment rect.chart-bar.before").Length() == 0 ||
		page.Find("#chart-assessment rect.chart-bar.after").Length() == 0 {
		t.Error("no before/after chart")
	}
	if !strings.Contains(page.Find("#stats-assessment").Text(), "Aggressive behaviour") { // the demo evaluator reads English
		t.Error("item names missing")
	}
	expect(t, h.web("POST", "/language", &ws, url.Values{"lang": {"ar"}, "next": {"/"}}), http.StatusSeeOther).Body.Close()
	page = doc(t, expect(t, h.web("GET", "/stats", &ws, nil), 200))
	if !strings.Contains(page.Find("#stats-assessment").Text(), "السلوك العدواني") || page.Find("#chart-assessment desc").Text() == "" {
		t.Error("the Arabic page lacks the items or the chart's description")
	}
}
