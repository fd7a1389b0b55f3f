package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// auditEntry is an entry of GET /api/v1/audit.
type auditEntry struct {
	ID         int64          `json:"id"`
	Seq        *int64         `json:"seq"`
	At         string         `json:"at"`
	ActorID    *string        `json:"actor_id"`
	ActorRole  *string        `json:"actor_role"`
	Action     string         `json:"action"`
	ObjectType *string        `json:"object_type"`
	ObjectID   *string        `json:"object_id"`
	CaseNumber *string        `json:"case_number"`
	Site       *string        `json:"site"`
	Details    map[string]any `json:"details"`
}

var nextLinkRE = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// getAudit reads one page and the URL of the next ("" on the last).
func getAudit(t *testing.T, h *harness, tok, path string) ([]auditEntry, string) {
	t.Helper()
	resp := h.api("GET", path, tok, "")
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	var out []auditEntry
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	next := ""
	if l := resp.Header.Get("Link"); l != "" {
		m := nextLinkRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("Link header %q", l)
		}
		next = m[1]
	}
	return out, next
}

// auditCase is an active demo case: id, case number and first name.
func auditCase(t *testing.T, h *harness, coordTok string) (id, caseNumber, firstName string) {
	t.Helper()
	h.db.Gorm.Raw("SELECT id::text, case_number FROM prevention.participants WHERE status = 'active' ORDER BY case_number LIMIT 1").Row().Scan(&id, &caseNumber)
	if id == "" {
		t.Fatal("no active demo case")
	}
	var p struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	}
	if err := json.Unmarshal([]byte(readAll(t, expect(t, h.api("GET", "/api/v1/participants/"+id, coordTok, ""), 200))), &p); err != nil || p.FirstName == "" {
		t.Fatalf("read case: %v %+v", err, p)
	}
	return id, caseNumber, p.FirstName
}

// TestAuditViewerAPI: the dpo searches the log by case number, pages
// through it by the Link header, downloads it as CSV; filters that are no
// filters are 422 in the dpo's language; every search and download is
// audited, about the participant it was about; nobody else gets in.
func TestAuditViewerAPI(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	coord, dpo := h.token(models.RoleCoordinator), h.token(models.RoleDPO)
	id, caseNumber, firstName := auditCase(t, h, coord)
	for range 4 {
		expect(t, h.api("GET", "/api/v1/participants/"+id, coord, ""), 200).Body.Close()
	}
	reads := h.count("SELECT count(*) FROM audit.events WHERE action = 'participant.read' AND object_id = ?", id)
	if reads < 5 {
		t.Fatalf("only %d reads audited", reads)
	}

	// By case number: the case's reads, newest first, with its case
	// number; no name.
	q := "/api/v1/audit?" + url.Values{"case_number": {strings.ToLower(caseNumber)}, "action": {"participant.read"}, "limit": {"500"}}.Encode()
	all, next := getAudit(t, h, dpo, q)
	if len(all) != reads || next != "" {
		t.Fatalf("by case number: %d entries (want %d), next %q", len(all), reads, next)
	}
	for i, e := range all {
		if e.ObjectID == nil || *e.ObjectID != id || e.CaseNumber == nil || *e.CaseNumber != caseNumber || e.ActorRole == nil ||
			*e.ActorRole != "coordinator" || e.Site == nil || *e.Site == "" {
			t.Errorf("entry %+v", e)
		}
		if i > 0 && (e.At > all[i-1].At || e.At == all[i-1].At && e.ID > all[i-1].ID) {
			t.Errorf("not newest first at %d", i)
		}
	}
	raw := readAll(t, h.api("GET", q, dpo, ""))
	if strings.Contains(raw, firstName) {
		t.Errorf("the audit log answer carries the child's name")
	}

	// Pages of two by the Link header: the same entries, each once.
	var paged []int64
	path := "/api/v1/audit?" + url.Values{"participant_id": {id}, "action": {"participant.read"}, "limit": {"2"}}.Encode()
	for pages := 0; path != ""; pages++ {
		if pages > reads {
			t.Fatal("paging does not end")
		}
		var page []auditEntry
		page, path = getAudit(t, h, dpo, path)
		if len(page) > 2 {
			t.Fatalf("page of %d", len(page))
		}
		for _, e := range page {
			paged = append(paged, e.ID)
		}
	}
	var want []int64
	for _, e := range all {
		want = append(want, e.ID)
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %v, want %v", paged, want)
	}

	// Each search is audited, as a look at that participant's trail.
	var searches []struct {
		ActorRole, ObjectType, ObjectID string
		Details                         []byte
	}
	h.db.Gorm.Raw("SELECT actor_role, object_type, object_id, details FROM audit.events WHERE action = 'audit.search' ORDER BY id").Scan(&searches)
	if len(searches) < 3 {
		t.Fatalf("%d searches audited", len(searches))
	}
	for _, s := range searches {
		if s.ActorRole != "dpo" || s.ObjectType != "participant" || s.ObjectID != id || !strings.Contains(string(s.Details), `"format": "json"`) {
			t.Errorf("search audited as %+v %s", s, s.Details)
		}
	}
	if !strings.Contains(string(searches[0].Details), caseNumber) {
		t.Errorf("the search by case number is audited without it: %s", searches[0].Details)
	}
	// The search itself shows in the trail it looked at.
	trail, _ := getAudit(t, h, dpo, "/api/v1/audit?"+url.Values{"case_number": {caseNumber}, "action": {"audit.search"}}.Encode())
	if len(trail) != len(searches) {
		t.Errorf("the trail shows %d searches, %d were made", len(trail), len(searches))
	}

	// CSV: every entry the filter selects, spreadsheet-safe, audited.
	if err := h.db.Gorm.Exec(`INSERT INTO audit.events (action, object_type, object_id, details) VALUES ('test.formula', 'thing', '=HYPERLINK("http://x")', '{"note": "@SUM(1)"}')`).Error; err != nil {
		t.Fatal(err)
	}
	// The dpo's language is German: the download comes for German spreadsheets.
	recs := readCSV(t, h.api("GET", "/api/v1/audit.csv?action=test.formula", dpo, ""), "excel-de", "kurve-audit.csv")
	if len(recs) != 2 {
		t.Fatalf("csv: %v", recs)
	}
	if strings.Join(recs[0], ",") != "id,seq,at,actor_id,actor_role,action,object_type,object_id,case_number,site,details" {
		t.Errorf("csv header %v", recs[0])
	}
	if recs[1][7] != `'=HYPERLINK("http://x")` || recs[1][5] != "test.formula" {
		t.Errorf("csv row %q: a formula is not neutralised", recs[1])
	}
	recs = readCSV(t, h.api("GET", "/api/v1/audit.csv?"+url.Values{"case_number": {caseNumber}, "dialect": {"rfc4180"}}.Encode(), dpo, ""),
		"rfc4180", "kurve-audit.csv")
	if len(recs) < reads+1 || strings.Contains(strings.Join(slices.Concat(recs...), ","), firstName) {
		t.Errorf("csv by case number: %d rows", len(recs))
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = 'audit.export' AND actor_role = 'dpo' AND details->>'format' = 'csv'"); n != 2 {
		t.Errorf("%d downloads audited, want 2", n)
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = 'audit.export' AND object_id = ?", id); n != 1 {
		t.Errorf("the download about the case is not in its trail: %d", n)
	}

	// Filters that are no filters: 422 in the dpo's language, with the field.
	before := h.count("SELECT count(*) FROM audit.events WHERE action LIKE 'audit.%'")
	for _, c := range []struct{ query, field string }{
		{"participant_id=1%20OR%201=1", "participant_id"},
		{"case_number=Name", "case_number"},
		{"case_number=ES-1999-9999", "case_number"},
		{"actor_id=x", "actor_id"},
		{"action=DROP%20TABLE", "action"},
		{"from=gestern", "from"},
		{"from=2026-11-20&to=2026-11-10", "to"},
		{"cursor=bm9wZQ", "cursor"},
		{"limit=0", "limit"},
		{"limit=501", "limit"},
	} {
		resp := h.api("GET", "/api/v1/audit?"+c.query, dpo, "")
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", c.query, resp.StatusCode)
			resp.Body.Close()
			continue
		}
		p := problem(t, resp)
		if len(p.Errors) == 0 || p.Errors[0].Field != c.field || p.Errors[0].Message == "" {
			t.Errorf("%s: %+v", c.query, p)
		}
	}
	resp := h.api("GET", "/api/v1/audit?case_number=ES-1999-9999", dpo, "")
	if p := problem(t, resp); !strings.Contains(p.Errors[0].Message, "Aktenzeichen") {
		t.Errorf("not German: %+v", p)
	}
	resp = h.api("GET", "/api/v1/audit.csv?from=2026-13-01", dpo, "")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("csv with a bad filter: %d", resp.StatusCode)
	}
	resp.Body.Close()
	if n := h.count("SELECT count(*) FROM audit.events WHERE action LIKE 'audit.%'"); n != before {
		t.Errorf("refused searches left %d audit entries", n-before)
	}

	// Nobody but the dpo.
	for _, role := range models.Roles {
		if role == models.RoleDPO {
			continue
		}
		tok := h.token(role)
		for _, p := range []string{"/api/v1/audit", "/api/v1/audit.csv"} {
			if resp := h.api("GET", p, tok, ""); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s: %d", role, p, resp.StatusCode)
			}
		}
		ws := h.signIn(role)
		for _, p := range []string{"/audit", "/audit.csv"} {
			if resp := h.web("GET", p, &ws, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s: %d", role, p, resp.StatusCode)
			}
		}
	}
}

// TestAuditViewerWeb: the dpo's page searches by case number, pages,
// downloads, shows refused filters at their field, and is linked from the
// start page and the navigation.
func TestAuditViewerWeb(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	coord := h.token(models.RoleCoordinator)
	id, caseNumber, firstName := auditCase(t, h, coord)
	for range 3 {
		expect(t, h.api("GET", "/api/v1/participants/"+id, coord, ""), 200).Body.Close()
	}
	ws := h.signIn(models.RoleDPO)
	home := doc(t, h.web("GET", "/", &ws, nil))
	if home.Find(`#home-audit[href="/audit"]`).Length() != 1 || home.Find(`#nav-audit[href="/audit"]`).Length() != 1 {
		t.Error("no link to the audit log on the dpo's start page")
	}

	resp := expect(t, h.web("GET", "/audit?"+url.Values{"participant": {caseNumber}, "action": {"participant.read"}, "limit": {"2"}}.Encode(), &ws, nil), 200)
	body := readAll(t, resp)
	if strings.Contains(body, firstName) {
		t.Error("the audit page shows the child's name")
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows := d.Find("#audit-entries tbody tr")
	if rows.Length() != 2 || rows.Find("a.case-number").First().Text() != caseNumber {
		t.Fatalf("page 1: %d rows, case %q", rows.Length(), rows.Find("a.case-number").First().Text())
	}
	next, ok := d.Find("#audit-next").Attr("href")
	if !ok || !strings.Contains(next, "cursor=") {
		t.Fatalf("no next page link: %q", next)
	}
	if csvURL, _ := d.Find("#audit-csv").Attr("href"); !strings.HasPrefix(csvURL, "/audit.csv?") || strings.Contains(csvURL, "cursor") {
		t.Errorf("csv link %q", csvURL)
	}
	d2 := doc(t, expect(t, h.web("GET", next, &ws, nil), 200))
	if d2.Find("#audit-entries tbody tr").Length() == 0 || d2.Find("#audit-first").Length() != 1 {
		t.Error("page 2 is empty or has no way back")
	}
	first, _ := rows.First().Attr("data-id")
	if d2.Find(`#audit-entries tbody tr[data-id="`+first+`"]`).Length() != 0 {
		t.Error("page 2 repeats an entry of page 1")
	}

	resp = expect(t, h.web("GET", "/audit.csv?"+url.Values{"participant": {caseNumber}}.Encode(), &ws, nil), 200)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("csv: %s", resp.Header.Get("Content-Type"))
	}
	resp.Body.Close()
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = 'audit.search' AND details->>'format' = 'html'"); n != 2 {
		t.Errorf("%d page views audited, want 2", n)
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = 'audit.export' AND object_id = ?", id); n != 1 {
		t.Errorf("%d downloads audited, want 1", n)
	}

	resp = h.web("GET", "/audit?participant=nobody", &ws, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad filter: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if d.Find(`#audit-participant[aria-invalid="true"]`).Length() != 1 || d.Find("#audit-participant-error").Text() == "" || d.Find("#audit-entries").Length() != 0 {
		t.Error("the refused filter is not shown at its field")
	}

	// In Arabic, right to left.
	h.db.Gorm.Exec("UPDATE org.users SET language = 'ar' WHERE email = ?", h.logins[models.RoleDPO])
	d = doc(t, expect(t, h.web("GET", "/audit", &ws, nil), 200))
	if dir, _ := d.Find("html").Attr("dir"); dir != "rtl" || d.Find("h1").Text() != "سجل التدقيق" {
		t.Errorf("arabic: dir %q, h1 %q", dir, d.Find("h1").Text())
	}
}

// TestLanguageChangesAudited: a user's change of their own language (API
// and language switch) and a mediator's change of the languages they
// offer are audited, with the codes only.
func TestLanguageChangesAudited(t *testing.T) {
	h := newHarness(t, app.Config{})
	tok := h.token(models.RoleSocialWorker)
	expect(t, h.api("PATCH", "/api/v1/me", tok, `{"language":"tr"}`), 200).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/me", tok, `{"language":"tr"}`), 200).Body.Close()
	var changes []string
	h.db.Gorm.Raw(`SELECT details::text FROM audit.events e JOIN org.users u ON u.id = e.actor_id
		WHERE e.action = 'user.language' AND e.object_type = 'user' AND e.object_id = u.id::text AND u.email = ? ORDER BY e.id`,
		h.logins[models.RoleSocialWorker]).Scan(&changes)
	if len(changes) != 1 || changes[0] != `{"to": "tr", "from": "de"}` {
		t.Errorf("language changes audited: %v", changes)
	}

	ws := h.signIn(models.RoleCoordinator)
	resp := h.web("POST", "/language", &ws, url.Values{"lang": {"ar"}, "next": {"/"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("language switch: %d", resp.StatusCode)
	}
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = 'user.language' AND actor_role = 'coordinator' AND details->>'to' = 'ar'`); n != 1 {
		t.Errorf("language switch audited %d times", n)
	}

	med := h.signIn(models.RoleMediator)
	resp = h.web("POST", "/profile/languages", &med, url.Values{"languages": {"ar", "ku"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mediator languages: %d %s", resp.StatusCode, readAll(t, resp))
	}
	var details string
	h.db.Gorm.Raw(`SELECT details::text FROM audit.events WHERE action = 'user.mediator_languages' AND actor_role = 'language_mediator'`).Scan(&details)
	if !strings.Contains(details, `"to": ["ar", "ku"]`) {
		t.Errorf("mediator languages audited as %q", details)
	}
}
