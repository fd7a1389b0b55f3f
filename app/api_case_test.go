package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
)

func decode[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	body := readAll(t, resp)
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

func userID(t *testing.T, h *harness, email string) string {
	t.Helper()
	var id string
	if err := h.db.Gorm.Raw("SELECT id FROM org.users WHERE email = ?", email).Scan(&id).Error; err != nil || id == "" {
		t.Fatalf("user %s: %v", email, err)
	}
	return id
}

func expect(t *testing.T, resp *http.Response, status int) *http.Response {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, readAll(t, resp))
	}
	return resp
}

// TestCaseAPI walks a case through the JSON API: creation, need-to-know per
// role, optimistic locking, the consent gate on activation and withdrawal.
func TestCaseAPI(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord, sw, med := h.token(models.RoleCoordinator), h.token(models.RoleSocialWorker), h.token(models.RoleMediator)

	// Validation: localised field errors, never a 500.
	p := problem(t, expect(t, h.api("POST", "/api/v1/participants", coord,
		`{"first_name":"","last_name":"Beispiel","date_of_birth":"2014-13-40","gender":"x","site":"DU"}`, "Accept-Language", "en"), 422))
	fields := map[string]bool{}
	for _, e := range p.Errors {
		fields[e.Field] = true
	}
	for _, f := range []string{"first_name", "date_of_birth", "site"} {
		if !fields[f] {
			t.Errorf("no error for %s in %+v", f, p.Errors)
		}
	}
	created := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants", coord,
		`{"first_name":"Mira","last_name":"Beispiel","date_of_birth":"2014-04-02","gender":"female","site":"ES","languages":["ar","de"],"notes":"Vertraulich 42"}`), 201))
	id := created["id"].(string)
	if cn := created["case_number"].(string); !strings.HasPrefix(cn, "ES-") || created["status"] != "referred" || created["version"].(float64) != 1 {
		t.Fatalf("created %v", created)
	}

	// Need to know: unassigned social worker and mediator get 404.
	for _, tok := range []string{sw, med} {
		expect(t, h.api("GET", "/api/v1/participants/"+id, tok, ""), 404).Body.Close()
	}
	if list := decode[[]map[string]any](t, h.api("GET", "/api/v1/participants", sw, "")); len(list) != 0 {
		t.Errorf("unassigned social worker lists %d", len(list))
	}
	for _, a := range []struct{ email, kind string }{{h.logins[models.RoleSocialWorker], "social_worker"}, {h.logins[models.RoleMediator], "language_mediator"}} {
		expect(t, h.api("POST", "/api/v1/participants/"+id+"/assignments", coord,
			fmt.Sprintf(`{"user_id":%q,"kind":%q,"from":"2026-01-01"}`, userID(t, h, a.email), a.kind)), 201).Body.Close()
	}
	full := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+id, sw, ""), 200))
	if full["notes"] != "Vertraulich 42" || full["date_of_birth"] != "2014-04-02" {
		t.Errorf("social worker view %v", full)
	}
	limited := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+id, med, ""), 200))
	for _, k := range []string{"notes", "date_of_birth", "school", "gender", "version"} {
		if _, ok := limited[k]; ok {
			t.Errorf("mediator sees %s", k)
		}
	}
	if limited["first_name"] != "Mira" {
		t.Errorf("mediator view %v", limited)
	}
	expect(t, h.api("GET", "/api/v1/participants/"+id+"/consents", med, ""), 403).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/participants/"+id, med, `{"version":1,"notes":"x"}`), 403).Body.Close()

	// Optimistic locking.
	expect(t, h.api("PATCH", "/api/v1/participants/"+id, sw, `{"version":1,"school":"Gesamtschule Test"}`), 200).Body.Close()
	p = problem(t, expect(t, h.api("PATCH", "/api/v1/participants/"+id, coord, `{"version":1,"school":"überschrieben"}`), 409))
	if !strings.Contains(p.Detail, "geändert") {
		t.Errorf("409 detail %q", p.Detail)
	}
	if got := decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+id, sw, "")); got["school"] != "Gesamtschule Test" {
		t.Errorf("stale write landed: %v", got["school"])
	}

	// Status graph and the consent gate.
	patch := func(tok, body string, status int) map[string]any {
		t.Helper()
		return decode[map[string]any](t, expect(t, h.api("PATCH", "/api/v1/participants/"+id, tok, body), status))
	}
	cur := decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+id, sw, ""))
	v := int(cur["version"].(float64))
	problemBody := patch(sw, fmt.Sprintf(`{"version":%d,"status":"active"}`, v), 422)
	if problemBody["errors"] == nil {
		t.Errorf("skipping steps: %v", problemBody)
	}
	v = int(patch(sw, fmt.Sprintf(`{"version":%d,"status":"contacted"}`, v), 200)["version"].(float64))
	v = int(patch(sw, fmt.Sprintf(`{"version":%d,"status":"consent_pending"}`, v), 200)["version"].(float64))
	gate := patch(sw, fmt.Sprintf(`{"version":%d,"status":"active"}`, v), 422)
	if errs, _ := gate["errors"].([]any); len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), "consent") {
		t.Errorf("consent gate: %v", gate)
	}
	g := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+id+"/guardians", sw,
		`{"first_name":"Hana","last_name":"Beispiel","relationship":"mother","has_custody":true,"phone":"0201 123","languages":["ar"]}`), 201))
	consents := decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+id+"/consents", sw, ""))
	if consents["valid"] != false || len(consents["missing"].([]any)) != 2 {
		t.Errorf("consent state before: %v", consents)
	}
	k := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+id+"/consents", sw,
		fmt.Sprintf(`{"guardian_id":%q,"purposes":["participation","data_processing","police_feedback"],"form_version":"2026-1","form_language":"ar","given_on":"2026-01-10"}`, g["id"])), 201))
	if k["state"] != "given" {
		t.Errorf("consent %v", k)
	}
	if c := decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+id+"/consents", sw, "")); c["valid"] != true {
		t.Errorf("consent state after: %v", c)
	}
	active := patch(sw, fmt.Sprintf(`{"version":%d,"status":"active"}`, v), 200)
	if active["status"] != "active" || active["activated_on"] == nil {
		t.Fatalf("activation: %v", active)
	}
	// Bad withdrawal input is a 422, not a 500; then the real withdrawal.
	expect(t, h.api("POST", "/api/v1/consents/"+k["id"].(string)+"/withdraw", sw, `{"withdrawn_on":"gestern"}`), 422).Body.Close()
	expect(t, h.api("POST", "/api/v1/consents/"+k["id"].(string)+"/withdraw", sw, `{"withdrawn_on":"2099-01-01"}`), 422).Body.Close()
	w := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/consents/"+k["id"].(string)+"/withdraw", sw, `{"withdrawn_on":"2026-02-01"}`), 200))
	if w["state"] != "withdrawn" {
		t.Errorf("withdrawal %v", w)
	}
	if got := decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+id, sw, "")); got["status"] != "withdrawn" {
		t.Errorf("status after withdrawal: %v", got["status"])
	}

	// Family: mediators read, staff edit with versions.
	fam := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/families/"+created["family_id"].(string), med, ""), 200))
	expect(t, h.api("PATCH", "/api/v1/families/"+fam["id"].(string), sw,
		`{"version":1,"address":"Musterweg 5","languages":[{"language":"ar","mode":"interpreter"}]}`), 200).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/families/"+fam["id"].(string), sw, `{"version":1,"address":"alt"}`), 409).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/families/"+fam["id"].(string), med, `{"version":2,"address":"x"}`), 403).Body.Close()

	// Assignments keep history; ending one removes access.
	as := decode[[]map[string]any](t, h.api("GET", "/api/v1/participants/"+id+"/assignments", coord, ""))
	if len(as) != 2 {
		t.Fatalf("assignments %v", as)
	}
	for _, a := range as {
		if a["kind"] == "language_mediator" {
			expect(t, h.api("POST", "/api/v1/assignments/"+a["id"].(string)+"/end", coord, `{"until":"2026-06-01"}`), 200).Body.Close()
		}
	}
	expect(t, h.api("GET", "/api/v1/participants/"+id, med, ""), 404).Body.Close()
	if n := len(decode[[]map[string]any](t, h.api("GET", "/api/v1/participants/"+id+"/assignments", coord, ""))); n != 2 {
		t.Errorf("history lost: %d assignments", n)
	}
	if n := auditCount(t, h, models.AuditParticipantRead); n < 5 {
		t.Errorf("only %d participant reads audited", n)
	}
}

// TestCaseAPIForbiddenRoles: admin, dpo and evaluators get 403 on every
// participant, family, consent, assignment and referral endpoint; police
// liaisons on every one but their referrals, the dpo on every one but
// erasure and export; whatever the id.
func TestCaseAPIForbiddenRoles(t *testing.T) {
	h := newHarness(t, app.Config{})
	caseAPI := func(path string) bool {
		for _, p := range []string{"/api/v1/participants", "/api/v1/families", "/api/v1/consents", "/api/v1/assignments", "/api/v1/referrals",
			"/api/v1/sessions", "/api/v1/measures", "/api/v1/goals"} {
			if strings.HasPrefix(path, p) {
				return true
			}
		}
		return false
	}
	checked := 0
	for _, role := range []models.Role{models.RoleAdmin, models.RoleDPO, models.RoleEvaluator, models.RolePoliceLiaison} {
		tok := h.token(role)
		for _, r := range h.srv.Routes() {
			if !r.API || !caseAPI(r.Path) || (role == models.RolePoliceLiaison && strings.HasPrefix(r.Path, "/api/v1/referrals") && r.Allows(role)) {
				continue
			}
			// The dpo's case routes are erasure (TestErasureAPI), which
			// reads nothing, and the export (TestExportAPI), through one
			// definer function.
			if role == models.RoleDPO && r.Allows(role) && ((r.Method == "DELETE" && r.Path == "/api/v1/participants/:id") ||
				(r.Method == "GET" && r.Path == "/api/v1/participants/:id/export")) {
				continue
			}
			path := paramRE.ReplaceAllString(r.Path, "00000000-0000-0000-0000-000000000001")
			resp := h.api(r.Method, path, tok, "{}")
			resp.Body.Close()
			checked++
			if resp.StatusCode != 403 {
				t.Errorf("%s %s as %s: %d", r.Method, r.Path, role, resp.StatusCode)
			}
		}
	}
	if checked < 80 {
		t.Errorf("only %d requests checked", checked)
	}
	// Language mediators: no session, goal, review or closing data by any
	// route (they keep the limited participant, guardian and family reads).
	med := h.token(models.RoleMediator)
	for _, r := range h.srv.Routes() {
		if !r.API || !(strings.Contains(r.Path, "session") || strings.Contains(r.Path, "measure") || strings.Contains(r.Path, "goal") ||
			strings.Contains(r.Path, "review") || strings.Contains(r.Path, "extension") || strings.Contains(r.Path, "closing")) {
			continue
		}
		path := paramRE.ReplaceAllString(r.Path, "00000000-0000-0000-0000-000000000001")
		resp := h.api(r.Method, path, med, "{}")
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("%s %s as mediator: %d", r.Method, r.Path, resp.StatusCode)
		}
	}
}

func TestConsentAnswer(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord := h.token(models.RoleCoordinator)
	created := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants", coord,
		`{"first_name":"Nada","last_name":"Beispiel","date_of_birth":"2015-04-02","gender":"female","site":"ES"}`), 201))
	id := created["id"].(string)
	g := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+id+"/guardians", coord,
		`{"first_name":"Rana","last_name":"Beispiel","relationship":"mother","has_custody":true}`), 201))
	k := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+id+"/consents", coord,
		fmt.Sprintf(`{"guardian_id":%q,"purposes":["participation","data_processing"],"form_version":"2026-1","form_language":"ar","state":"requested"}`, g["id"])), 201))
	kid := k["id"].(string)
	expect(t, h.api("PATCH", "/api/v1/consents/"+kid, coord, `{"version":1,"state":"given"}`), 422).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/consents/"+kid, coord, `{"version":1,"state":"withdrawn","given_on":"2026-01-01"}`), 422).Body.Close()
	given := decode[map[string]any](t, expect(t, h.api("PATCH", "/api/v1/consents/"+kid, coord, `{"version":1,"state":"given","given_on":"2026-01-05"}`), 200))
	if given["state"] != "given" || given["given_on"] != "2026-01-05" {
		t.Fatalf("answer %v", given)
	}
	expect(t, h.api("PATCH", "/api/v1/consents/"+kid, coord, `{"version":1,"state":"refused"}`), 422).Body.Close()
	if c := decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+id+"/consents", coord, "")); c["valid"] != true {
		t.Errorf("consent rule after the answer: %v", c)
	}
}

// TestParticipantsPaged (issue 15): the participant list comes in pages of
// limit by case number, with a Link to the next page while more follow;
// paging through gives every visible participant once; a bad limit is 422.
func TestParticipantsPaged(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	tok := h.token(models.RoleCoordinator)
	type item struct {
		CaseNumber string `json:"case_number"`
	}
	all := decode[[]item](t, expect(t, h.api("GET", "/api/v1/participants", tok, ""), 200))
	if len(all) < 5 {
		t.Fatalf("demo data: %d participants", len(all))
	}
	var seen []string
	next, pages := "/api/v1/participants?limit=2", 0
	for next != "" {
		resp := expect(t, h.api("GET", next, tok, ""), 200)
		link := resp.Header.Get("Link")
		page := decode[[]item](t, resp)
		if len(page) > 2 || len(page) == 0 {
			t.Fatalf("page of %d", len(page))
		}
		for _, p := range page {
			seen = append(seen, p.CaseNumber)
		}
		next = ""
		if link != "" {
			next = link[strings.Index(link, "<")+1 : strings.Index(link, ">")]
		}
		pages++
	}
	if len(seen) != len(all) || pages != (len(all)+1)/2 {
		t.Errorf("paged through %d participants in %d pages, want %d in %d", len(seen), pages, len(all), (len(all)+1)/2)
	}
	for i := range seen {
		if i < len(all) && seen[i] != all[i].CaseNumber {
			t.Errorf("page order: %s at %d, want %s", seen[i], i, all[i].CaseNumber)
		}
	}
	for _, bad := range []string{"0", "501", "x"} {
		expect(t, h.api("GET", "/api/v1/participants?limit="+bad, tok, ""), 422).Body.Close()
	}
	// The cursor is opaque: what the server did not make is refused.
	for _, bad := range []string{"%25%25", "bm90IGEgY3Vyc29y~", "YX5i" /* two values */, "AAEC" /* control bytes */} {
		expect(t, h.api("GET", "/api/v1/participants?cursor="+bad, tok, ""), 422).Body.Close()
	}
}
