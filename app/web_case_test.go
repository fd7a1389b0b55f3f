package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// Web case pages: forms and pages as a browser without JavaScript uses
// them. Cases are set up through the app itself (coordinator forms).

var wcCaseNumberRE = regexp.MustCompile(`^ES-\d{4}-\d{4}$`)

// wcDay is a date relative to today (YYYY-MM-DD) in the program's zone.
func wcDay(years int) string { return wcDate(years, 0) }

func wcDate(years, days int) string {
	return testToday().AddDate(years, 0, days).Format(time.DateOnly)
}

// wcParticipantForm is a complete form for a new case; kv override fields.
func wcParticipantForm(first, last string, kv ...string) url.Values {
	f := url.Values{"first_name": {first}, "last_name": {last}, "date_of_birth": {wcDay(-10)}, "gender": {"female"},
		"languages": {"ar", "de"}, "school": {"Grundschule Nord"}, "notes": {"Vertraulich " + first},
		"address": {"Lindenstraße 12\n45127 Essen"}, "phone": {"0201 5550199"},
		"family_lang_ar": {"interpreter"}, "family_lang_de": {"basic"}, "family_lang_tr": {""}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// wcCreate opens a case as the coordinator and returns its id.
func wcCreate(t *testing.T, h *harness, coord *webSession, form url.Values) string {
	t.Helper()
	resp := h.web("POST", "/participants", coord, form)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	id, ok := strings.CutPrefix(loc, "/participants/")
	if resp.StatusCode != http.StatusSeeOther || !ok || len(id) != 36 {
		t.Fatalf("create: %d to %q", resp.StatusCode, loc)
	}
	return id
}

func wcStaffID(t *testing.T, h *harness, role models.Role) string {
	t.Helper()
	var id string
	if err := h.db.Gorm.Raw("SELECT id FROM org.users WHERE role = ? AND email = ?", role, h.logins[role]).Scan(&id).Error; err != nil || id == "" {
		t.Fatalf("staff %s: %v", role, err)
	}
	return id
}

// wcAssign assigns the demo user of role through the coordinator's form,
// from two days ago (so that the assignment can also end in the past).
func wcAssign(t *testing.T, h *harness, coord *webSession, id string, role models.Role) {
	t.Helper()
	resp := h.web("POST", "/participants/"+id+"/assignments", coord,
		url.Values{"user_id": {wcStaffID(t, h, role)}, "kind": {string(role)}, "from": {wcDate(0, -2)}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign %s: %d", role, resp.StatusCode)
	}
}

// wcPage opens a participant page and expects status.
func wcPage(t *testing.T, h *harness, ws *webSession, id string, status int) *goquery.Document {
	t.Helper()
	resp := h.web("GET", "/participants/"+id, ws, nil)
	if resp.StatusCode != status {
		t.Fatalf("GET participant: %d, want %d", resp.StatusCode, status)
	}
	return doc(t, resp)
}

// wcStatus submits the status form for to as shown on the page (with the
// version the page carries).
func wcStatus(t *testing.T, h *harness, ws *webSession, id, to string, extra ...string) *http.Response {
	t.Helper()
	d := wcPage(t, h, ws, id, http.StatusOK)
	form := d.Find(`form.status-form[data-to="` + to + `"]`)
	// The ends of a case are confirmed on a page of their own, linked
	// from the case page.
	if link := d.Find(`a.status-confirm-link[data-to="` + to + `"]`); link.Length() == 1 {
		form = doc(t, h.web("GET", link.AttrOr("href", ""), ws, nil)).Find(`form:has(input[name="confirmed"])`)
	}
	version, ok := form.Find(`input[name="version"]`).Attr("value")
	if !ok {
		t.Fatalf("no status form for %s (status %s)", to, wcStatusOf(d))
	}
	v := url.Values{"status": {to}, "version": {version}}
	if c, ok := form.Find(`input[name="confirmed"]`).Attr("value"); ok {
		v.Set("confirmed", c)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return h.web("POST", "/participants/"+id+"/status", ws, v)
}

func wcStatusOf(d *goquery.Document) string {
	s, _ := d.Find("#case-status-value").Attr("data-status")
	return s
}

func wcNames(d *goquery.Document) []string {
	var out []string
	d.Find("#caseload .case-name").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
	return out
}

func wcHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestWebParticipantCreate(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord := h.signIn(models.RoleCoordinator)

	d := doc(t, h.web("GET", "/participants/new", &coord, nil))
	for _, sel := range []string{`input#first_name[required]`, `input#date_of_birth[type="date"]`, `select#gender option[value="diverse"]`,
		`input[name="languages"][value="ku"]`, `textarea#notes`, `textarea#address`, `select#family_lang_ar option[value="interpreter"]`,
		`form[action="/participants"] input[name="_csrf"]`} {
		if d.Find(sel).Length() == 0 {
			t.Errorf("new form lacks %s", sel)
		}
	}

	// A missing name: 422, the error next to the field, the input kept.
	resp := h.web("POST", "/participants", &coord, wcParticipantForm("", "Beispiel", "notes", "Getippte Notiz"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("missing name: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if msg := d.Find("#first_name-error").Text(); !strings.Contains(msg, "Vorname") {
		t.Errorf("first name error %q", msg)
	}
	if v, _ := d.Find("#first_name").Attr("aria-invalid"); v != "true" {
		t.Error("first name not marked invalid")
	}
	if v, _ := d.Find("#first_name").Attr("aria-describedby"); v != "first_name-error" {
		t.Errorf("first name described by %q", v)
	}
	if v, _ := d.Find("#last_name").Attr("value"); v != "Beispiel" {
		t.Errorf("last name not kept: %q", v)
	}
	if d.Find("#notes").Text() != "Getippte Notiz" || !strings.Contains(d.Find("#address").Text(), "Lindenstraße 12") {
		t.Errorf("notes/address not kept: %q %q", d.Find("#notes").Text(), d.Find("#address").Text())
	}
	if _, ok := d.Find(`input[name="languages"][value="ar"]`).Attr("checked"); !ok {
		t.Error("language choice not kept")
	}
	if v := d.Find(`#family_lang_ar option[selected]`).AttrOr("value", ""); v != "interpreter" {
		t.Errorf("family language mode not kept: %q", v)
	}
	if n := auditCount(t, h, models.AuditParticipantCreate); n != 0 {
		t.Fatalf("rejected form created %d participants", n)
	}

	id := wcCreate(t, h, &coord, wcParticipantForm("Mira", "Beispiel"))
	if n := auditCount(t, h, models.AuditParticipantCreate); n != 1 {
		t.Errorf("creation audited %d times", n)
	}
	d = wcPage(t, h, &coord, id, http.StatusOK)
	if got := d.Find("h1 .case-name").Text(); got != "Mira Beispiel" {
		t.Errorf("heading name %q", got)
	}
	if cn := d.Find("#case-number").Text(); !wcCaseNumberRE.MatchString(cn) {
		t.Errorf("case number %q", cn)
	}
	if !strings.Contains(d.Find(".flash").Text(), "Fall wurde angelegt") {
		t.Errorf("flash %q", d.Find(".flash").Text())
	}
	if wcStatusOf(d) != "referred" || d.Find("#case-status-value").Text() != "Gemeldet" {
		t.Errorf("status %q %q", wcStatusOf(d), d.Find("#case-status-value").Text())
	}
	if got := d.Find("#family-address").Text(); got != "Lindenstraße 12\n45127 Essen" {
		t.Errorf("family address %q", got)
	}
	if got := d.Find("#family-languages").Text(); !strings.Contains(got, "Arabisch (Sprachmittlung nötig)") || !strings.Contains(got, "Deutsch (Grundkenntnisse)") || strings.Contains(got, "Türkisch") {
		t.Errorf("family languages %q", got)
	}
	if got := d.Find("#case-languages").Text(); got != "Arabisch, Deutsch" {
		t.Errorf("languages %q", got)
	}
	if d.Find(".flash").Length() != 0 && doc(t, h.web("GET", "/participants/"+id, &coord, nil)).Find(".flash").Length() != 0 {
		t.Error("flash shown twice")
	}
}

func TestWebCaseAccessByRole(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord, sw, med := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker), h.signIn(models.RoleMediator)
	dob := wcDay(-11)
	mine := wcCreate(t, h, &coord, wcParticipantForm("Mira", "Beispiel", "date_of_birth", dob, "notes", "Vertraulich 42"))
	other := wcCreate(t, h, &coord, wcParticipantForm("Tom", "Anders"))

	// Not assigned: 404, not the record, and an empty caseload.
	wcPage(t, h, &sw, mine, http.StatusNotFound)
	wcPage(t, h, &med, mine, http.StatusNotFound)
	for _, ws := range []*webSession{&sw, &med} {
		d := doc(t, h.web("GET", "/participants", ws, nil))
		if len(wcNames(d)) != 0 || d.Find("#caseload-empty").Length() != 1 {
			t.Errorf("unassigned caseload lists %v", wcNames(d))
		}
	}

	wcAssign(t, h, &coord, mine, models.RoleSocialWorker)
	wcAssign(t, h, &coord, mine, models.RoleMediator)

	// The social worker sees the whole case, notes included.
	d := wcPage(t, h, &sw, mine, http.StatusOK)
	if got := d.Find("#case-notes .notes").Text(); got != "Vertraulich 42" {
		t.Errorf("social worker notes %q", got)
	}
	if d.Find("#case-dob").Text() != deDate(dob) || d.Find("#case-dob time").AttrOr("datetime", "") != dob || d.Find("#case-consent").Length() != 1 {
		t.Error("social worker misses date of birth or consent block")
	}
	// Row-level security shows a social worker their own assignment only.
	if d.Find("#case-assignments .assign-form").Length() != 0 || !strings.Contains(d.Find("#case-assignments tr.assignment").Text(), "Demo Fachkraft") {
		t.Error("social worker: own assignment missing or assignment form shown")
	}
	resp := h.web("POST", "/participants/"+mine+"/guardians", &sw, url.Values{"first_name": {"Samira"}, "last_name": {"Beispiel"},
		"relationship": {"mother"}, "has_custody": {"1"}, "phone": {"0201 5550101"}, "languages": {"ar"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add guardian: %d", resp.StatusCode)
	}

	// The mediator: names, family contact and languages, nothing else.
	resp = h.web("GET", "/participants/"+mine, &med, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mediator: %d", resp.StatusCode)
	}
	html := readAll(t, resp)
	d, _ = goquery.NewDocumentFromReader(strings.NewReader(html))
	if d.Find("h1 .case-name").Text() != "Mira Beispiel" || !strings.Contains(d.Find("#family-address").Text(), "Lindenstraße 12") {
		t.Errorf("mediator view lacks name or address: %q", d.Find("h1").Text())
	}
	if d.Find("#family-phone").Text() != "0201 5550199" || d.Find("#case-status-value").Length() != 1 {
		t.Error("mediator view lacks phone or status")
	}
	if g := d.Find("#case-guardians tr.guardian"); g.Find(".guardian-name").Text() != "Samira Beispiel" || !strings.Contains(g.Text(), "0201 5550101") ||
		g.Find("td").Length() != 4 {
		t.Errorf("mediator guardian row %q (want name, relationship, phone, languages; no custody)", g.Text())
	}
	for _, sel := range []string{"#case-consent", "#case-notes", "#case-dob", "#case-age", "#case-school", "#case-assignments",
		"form.status-form", "#edit-participant", "#edit-family", "#add-guardian"} {
		if d.Find(sel).Length() != 0 {
			t.Errorf("mediator view shows %s", sel)
		}
	}
	for _, secret := range []string{"Vertraulich 42", dob, "Grundschule Nord"} {
		if strings.Contains(html, secret) {
			t.Errorf("mediator page contains %q", secret)
		}
	}
	// Nor does the family's consent form that the mediator prints, in the
	// family's language or in German (the date of birth as printed, too).
	printed := dob[8:10] + "." + dob[5:7] + "." + dob[:4]
	for _, q := range []string{"", "?lang=de"} {
		form := readAll(t, expect(t, h.web("GET", "/participants/"+mine+"/documents/consent"+q, &med, nil), http.StatusOK))
		if !strings.Contains(form, "Samira Beispiel") {
			t.Errorf("mediator's consent form%s lacks the guardian", q)
		}
		for _, secret := range []string{"Vertraulich 42", dob, printed, "Grundschule Nord"} {
			if strings.Contains(form, secret) {
				t.Errorf("mediator's consent form%s contains %q", q, secret)
			}
		}
	}

	// Caseloads: each role lists what it may see.
	cl := doc(t, h.web("GET", "/participants", &coord, nil))
	if names := wcNames(cl); !wcHas(names, "Mira Beispiel") || !wcHas(names, "Tom Anders") {
		t.Errorf("coordinator caseload %v", names)
	}
	if cl.Find("#new-participant").Length() != 1 || cl.Find("select#status-filter").Length() != 1 {
		t.Error("coordinator caseload lacks the new-case link or the filter")
	}
	if names := wcNames(doc(t, h.web("GET", "/participants?status=contacted", &coord, nil))); len(names) != 0 {
		t.Errorf("filter contacted lists %v", names)
	}
	if names := wcNames(doc(t, h.web("GET", "/participants?status=referred", &coord, nil))); len(names) != 2 {
		t.Errorf("filter referred lists %v", names)
	}
	for who, ws := range map[string]*webSession{"social worker": &sw, "mediator": &med} {
		d := doc(t, h.web("GET", "/participants", ws, nil))
		if names := wcNames(d); len(names) != 1 || names[0] != "Mira Beispiel" {
			t.Errorf("%s caseload %v", who, names)
		}
		if d.Find("#new-participant").Length() != 0 {
			t.Errorf("%s sees the new-case link", who)
		}
		if href, _ := d.Find("#caseload a.case-link").Attr("href"); href != "/participants/"+mine {
			t.Errorf("%s caseload links to %q", who, href)
		}
	}
	if n := doc(t, h.web("GET", "/participants", &med, nil)).Find("#caseload thead th").Length(); n != 3 {
		t.Errorf("mediator caseload has %d columns, want 3 (no age)", n)
	}
	if n := doc(t, h.web("GET", "/participants", &sw, nil)).Find("#caseload thead th").Length(); n != 4 {
		t.Errorf("social worker caseload has %d columns, want 4", n)
	}
	// The unassigned case is not visible to them: 404, not the record.
	for who, ws := range map[string]*webSession{"social worker": &sw, "mediator": &med} {
		resp := h.web("GET", "/participants/"+other, ws, nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Anders") {
			t.Errorf("%s opens the unassigned case: %d", who, resp.StatusCode)
		}
	}

	// Every read of the page is audited.
	before := auditCount(t, h, models.AuditParticipantRead)
	wcPage(t, h, &sw, mine, http.StatusOK)
	wcPage(t, h, &med, mine, http.StatusOK)
	if after := auditCount(t, h, models.AuditParticipantRead); after != before+2 {
		t.Errorf("participant.read: %d after two reads from %d", after, before)
	}

	// Navigation and start page link to the caseload for case roles only.
	for _, role := range []models.Role{models.RoleSocialWorker, models.RoleCoordinator, models.RoleMediator} {
		ws := h.signIn(role)
		d := doc(t, h.web("GET", "/", &ws, nil))
		if d.Find(`#nav-cases[href="/participants"]`).Length() != 1 || d.Find("#home-caseload").Length() != 1 {
			t.Errorf("%s: no caseload link on the start page", role)
		}
	}
	if cur, _ := doc(t, h.web("GET", "/participants", &sw, nil)).Find("#nav-cases").Attr("aria-current"); cur != "page" {
		t.Errorf("caseload nav aria-current %q", cur)
	}
	if cur, _ := wcPage(t, h, &sw, mine, http.StatusOK).Find("#nav-cases").Attr("aria-current"); cur != "true" {
		t.Errorf("case page nav aria-current %q", cur)
	}
	ev := h.signIn(models.RoleEvaluator)
	if doc(t, h.web("GET", "/", &ev, nil)).Find("#nav-cases").Length() != 0 {
		t.Error("evaluator sees the cases link")
	}

	// Ending the assignment ends access.
	d = wcPage(t, h, &coord, mine, http.StatusOK)
	var endAction string
	d.Find("#case-assignments tr.assignment").Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), "Demo Fachkraft") {
			endAction, _ = s.Find("form.end-assignment-form").Attr("action")
		}
	})
	if endAction == "" {
		t.Fatal("no end form for the social worker's assignment")
	}
	resp = h.web("POST", endAction, &coord, url.Values{"until": {"not a date"}, "participant": {mine}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, resp).Find("#case-alert").Text(), "JJJJ-MM-TT") {
		t.Errorf("bad end date: %d", resp.StatusCode)
	}
	resp = h.web("POST", endAction, &coord, url.Values{"until": {wcDate(0, -3)}, "participant": {mine}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, resp).Find("#case-alert").Text(), "Beginn") {
		t.Errorf("end before the start: %d", resp.StatusCode)
	}
	// Two days ago in Berlin is before the database's current_date in any
	// zone, so access has ended.
	resp = h.web("POST", endAction, &coord, url.Values{"until": {wcDate(0, -2)}, "participant": {mine}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/participants/"+mine+"#case-assignments" {
		t.Fatalf("end assignment: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wcPage(t, h, &sw, mine, http.StatusNotFound)
	if !strings.Contains(wcPage(t, h, &coord, mine, http.StatusOK).Find("#case-assignments").Text(), "beendet") {
		t.Error("ended assignment not shown as ended")
	}
}

func TestWebStatusAndConsentFlow(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord, sw := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker)
	id := wcCreate(t, h, &coord, wcParticipantForm("Mira", "Beispiel"))
	wcAssign(t, h, &coord, id, models.RoleSocialWorker)

	for _, to := range []string{"contacted", "consent_pending"} {
		resp := wcStatus(t, h, &sw, id, to)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("→ %s: %d", to, resp.StatusCode)
		}
		d := wcPage(t, h, &sw, id, http.StatusOK)
		if wcStatusOf(d) != to || !strings.Contains(d.Find(".flash").Text(), "Status wurde geändert") {
			t.Fatalf("after → %s: status %s, flash %q", to, wcStatusOf(d), d.Find(".flash").Text())
		}
	}

	// Declining needs a reason; a stale version is a conflict.
	// (on its confirmation page, which shows the error at the field).
	resp := wcStatus(t, h, &sw, id, "declined")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(doc(t, resp).Find("#end-reason-error").Text(), "Grund") {
		t.Errorf("decline without reason: %d", resp.StatusCode)
	}
	resp = h.web("POST", "/participants/"+id+"/status", &sw, url.Values{"status": {"active"}, "version": {"1"}})
	if d := doc(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(d.Find("#case-alert").Text(), "inzwischen") {
		t.Errorf("stale status change: %d", resp.StatusCode)
	}
	resp = h.web("POST", "/participants/"+id+"/status", &sw, url.Values{"status": {"active"}, "version": {"x"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("garbled version: %d", resp.StatusCode)
	}

	// No guardian yet: activation is refused with what is missing.
	resp = wcStatus(t, h, &sw, id, "active")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("activate without consent: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	if alert := d.Find("#case-alert").Text(); !strings.Contains(alert, "keine sorgeberechtigte Person") {
		t.Errorf("alert %q", alert)
	}
	if wcStatusOf(d) != "consent_pending" || d.Find(`#consent-verdict[data-valid="false"]`).Length() != 1 {
		t.Error("refused activation changed the status or shows consent as valid")
	}

	// A guardian with custody: the form, a rejected attempt, then saved.
	d = doc(t, h.web("GET", "/participants/"+id+"/guardians/new", &sw, nil))
	if d.Find(`select#relationship option[value="mother"]`).Length() != 1 || d.Find(`input#has_custody[type="checkbox"]`).Length() != 1 {
		t.Fatal("guardian form incomplete")
	}
	g := url.Values{"first_name": {"Samira"}, "last_name": {"Beispiel"}, "phone": {"0201 5550101"}, "languages": {"ar"}, "has_custody": {"1"}}
	resp = h.web("POST", "/participants/"+id+"/guardians", &sw, g)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("guardian without relationship: %d", resp.StatusCode)
	}
	if d := doc(t, resp); d.Find("#relationship-error").Length() != 1 || d.Find("#first_name").AttrOr("value", "") != "Samira" {
		t.Error("guardian form: no relationship error or input lost")
	}
	g.Set("relationship", "mother")
	resp = h.web("POST", "/participants/"+id+"/guardians", &sw, g)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add guardian: %d", resp.StatusCode)
	}
	resp = wcStatus(t, h, &sw, id, "active")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("activate without consent: %d", resp.StatusCode)
	}
	if alert := doc(t, resp).Find("#case-alert li").Text(); !strings.Contains(alert, "Samira Beispiel: ") || !strings.Contains(alert, "Teilnahme") || !strings.Contains(alert, "Datenverarbeitung") {
		t.Errorf("alert does not name the guardian and purposes: %q", alert)
	}

	// The consent form preselects the guardian; record participation and
	// data processing.
	d = doc(t, h.web("GET", "/participants/"+id+"/consents/new", &sw, nil))
	gid := d.Find(`select#guardian_id option[selected]`).AttrOr("value", "")
	if gid == "" || d.Find(`#form_language option[selected]`).AttrOr("value", "") != "ar" || d.Find("#given_on").AttrOr("value", "") != wcDay(0) {
		t.Fatalf("consent form defaults: guardian %q, language %q", gid, d.Find(`#form_language option[selected]`).AttrOr("value", ""))
	}
	consent := url.Values{"guardian_id": {gid}, "purposes": {"participation"}, "form_version": {"2026-1"},
		"form_language": {"ar"}, "state": {"given"}, "given_on": {wcDay(1)}}
	resp = h.web("POST", "/participants/"+id+"/consents", &sw, consent)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("consent given in the future: %d", resp.StatusCode)
	}
	if d := doc(t, resp); d.Find("#given_on-error").Length() != 1 || d.Find(`#purpose-participation[checked]`).Length() != 1 {
		t.Error("consent form: no date error or purposes lost")
	}
	consent["purposes"] = []string{"participation", "data_processing"}
	consent.Set("given_on", wcDay(0))
	resp = h.web("POST", "/participants/"+id+"/consents", &sw, consent)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("record consent: %d", resp.StatusCode)
	}
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if d.Find(`#consent-verdict[data-valid="true"]`).Length() != 1 || d.Find(`#consents tr.consent[data-state="given"]`).Length() != 1 {
		t.Fatal("consent not shown as valid")
	}
	if got := d.Find("#consents tr.consent td").First().Text(); !strings.Contains(got, "Samira Beispiel") || !strings.Contains(got, "Arabisch") {
		t.Errorf("consent row %q", got)
	}
	resp = wcStatus(t, h, &sw, id, "active")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("activate with consent: %d", resp.StatusCode)
	}
	if st := wcStatusOf(wcPage(t, h, &sw, id, http.StatusOK)); st != "active" {
		t.Fatalf("status %s, want active", st)
	}

	// Withdrawal: a bad date is shown on the page; then the case moves to
	// withdrawn.
	action := wcPage(t, h, &sw, id, http.StatusOK).Find("form.withdraw-form").AttrOr("action", "")
	if !strings.HasPrefix(action, "/consents/") {
		t.Fatalf("withdraw form action %q", action)
	}
	resp = h.web("POST", action, &sw, url.Values{"withdrawn_on": {wcDay(1)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || doc(t, resp).Find("#case-alert").Length() != 1 {
		t.Errorf("withdrawal in the future: %d", resp.StatusCode)
	}
	resp = h.web("POST", action, &sw, url.Values{"withdrawn_on": {wcDay(0)}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/participants/"+id+"#case-consent" {
		t.Fatalf("withdraw: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if wcStatusOf(d) != "withdrawn" || d.Find("#case-status-value").Text() != "Einwilligung widerrufen" {
		t.Errorf("after withdrawal: status %s", wcStatusOf(d))
	}
	if d.Find(`#consents tr.consent[data-state="withdrawn"]`).Length() != 1 || d.Find("form.withdraw-form").Length() != 0 {
		t.Error("withdrawn consent not shown as withdrawn")
	}
	if d.Find("form.status-form").Length() != 0 {
		t.Error("a closed case still offers status changes")
	}
}

func TestWebStaleEditKeepsInput(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord, sw := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker)
	id := wcCreate(t, h, &coord, wcParticipantForm("Mira", "Beispiel"))
	wcAssign(t, h, &coord, id, models.RoleSocialWorker)

	// Two people open the edit form at the same version.
	edit := func(ws *webSession) url.Values {
		d := doc(t, h.web("GET", "/participants/"+id+"/edit", ws, nil))
		f := url.Values{}
		d.Find(`form.case-form input[name], form.case-form textarea, form.case-form select`).Each(func(_ int, s *goquery.Selection) {
			name := s.AttrOr("name", "")
			switch {
			case name == "_csrf":
			case goquery.NodeName(s) == "textarea":
				f.Set(name, s.Text())
			case goquery.NodeName(s) == "select":
				f.Set(name, s.Find("option[selected]").AttrOr("value", ""))
			case s.AttrOr("type", "") == "checkbox":
				if _, ok := s.Attr("checked"); ok {
					f.Add(name, s.AttrOr("value", ""))
				}
			default:
				f.Set(name, s.AttrOr("value", ""))
			}
		})
		return f
	}
	first, second := edit(&coord), edit(&sw)
	if first.Get("version") != "1" || first.Get("first_name") != "Mira" || first.Get("gender") != "female" || len(first["languages"]) != 2 {
		t.Fatalf("edit form values %v", first)
	}

	// Invalid: 422, input kept, nothing saved.
	bad := url.Values{}
	for k, v := range first {
		bad[k] = v
	}
	bad.Set("first_name", "")
	bad.Set("school", "Getippt")
	resp := h.web("POST", "/participants/"+id, &coord, bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: %d", resp.StatusCode)
	}
	if d := doc(t, resp); d.Find("#first_name-error").Length() != 1 || d.Find("#school").AttrOr("value", "") != "Getippt" {
		t.Error("edit 422: no error or input lost")
	}

	first.Set("school", "Gesamtschule Süd")
	resp = h.web("POST", "/participants/"+id, &coord, first)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first edit: %d", resp.StatusCode)
	}

	// The second, stale edit: 409, the typed input still in the form.
	second.Set("first_name", "Amira")
	second.Set("notes", "Meine lange Notiz vom Hausbesuch")
	resp = h.web("POST", "/participants/"+id, &sw, second)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale edit: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	if d.Find("#conflict-alert").Length() != 1 || !strings.Contains(d.Find("#conflict-alert").Text(), "inzwischen") {
		t.Error("no conflict alert")
	}
	if d.Find("#first_name").AttrOr("value", "") != "Amira" || d.Find("#notes").Text() != "Meine lange Notiz vom Hausbesuch" {
		t.Errorf("typed input lost: %q %q", d.Find("#first_name").AttrOr("value", ""), d.Find("#notes").Text())
	}
	if v := d.Find(`input[name="version"]`).AttrOr("value", ""); v != "2" {
		t.Errorf("conflict form carries version %q, want the current 2", v)
	}
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if d.Find("h1 .case-name").Text() != "Mira Beispiel" || d.Find("#case-school").Text() != "Gesamtschule Süd" ||
		strings.Contains(d.Find("#case-notes").Text(), "Hausbesuch") {
		t.Error("the stale edit changed the record")
	}

	// The family form: back link, stale version 409 with input kept.
	href := d.Find("#edit-family").AttrOr("href", "")
	fd := doc(t, h.web("GET", href, &sw, nil))
	if fd.Find(`.back a[href="/participants/`+id+`#case-family"]`).Length() != 1 {
		t.Errorf("family form has no way back to the case (%s)", href)
	}
	action := fd.Find("form.case-form").AttrOr("action", "")
	fam := url.Values{"version": {fd.Find(`input[name="version"]`).AttrOr("value", "")}, "participant": {id},
		"address": {"Neue Straße 1"}, "phone": {"0201 1"}, "family_lang_ku": {"interpreter"}}
	resp = h.web("POST", action, &sw, fam)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/participants/"+id+"#case-family" {
		t.Fatalf("family save: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := wcPage(t, h, &sw, id, http.StatusOK).Find("#family-languages").Text(); got != "Kurdisch (Kurmandschi) (Sprachmittlung nötig)" {
		t.Errorf("family languages after save %q", got)
	}
	fam.Set("address", "Veraltete Straße 2")
	resp = h.web("POST", action, &sw, fam)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale family save: %d", resp.StatusCode)
	}
	if d := doc(t, resp); d.Find("#conflict-alert").Length() != 1 || d.Find("#address").Text() != "Veraltete Straße 2" {
		t.Error("family conflict: no alert or input lost")
	}
	if got := wcPage(t, h, &sw, id, http.StatusOK).Find("#family-address").Text(); got != "Neue Straße 1" {
		t.Errorf("stale family save changed the address to %q", got)
	}
}

// TestWebConsentAnswer: a requested consent is answered on the case page;
// a stale answer is refused and changes nothing.
func TestWebConsentAnswer(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord := h.token(models.RoleCoordinator)
	created := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants", coord,
		`{"first_name":"Salma","last_name":"Antworttest","date_of_birth":"2015-04-02","gender":"female","site":"ES"}`), 201))
	id := created["id"].(string)
	g := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+id+"/guardians", coord,
		`{"first_name":"Rim","last_name":"Antworttest","relationship":"mother","has_custody":true}`), 201))
	k := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+id+"/consents", coord,
		fmt.Sprintf(`{"guardian_id":%q,"purposes":["participation","data_processing"],"form_version":"2026-1","form_language":"ar","state":"requested"}`, g["id"])), 201))
	ws := h.signIn(models.RoleCoordinator)
	d := doc(t, h.web("GET", "/participants/"+id, &ws, nil))
	form := d.Find(`form.answer-form[action="/consents/` + k["id"].(string) + `/answer"]`)
	if form.Length() != 1 || form.Find(`button[value="given"]`).Length() != 1 || form.Find(`button[value="refused"]`).Length() != 1 {
		t.Fatalf("no answer form for the requested consent")
	}
	resp := h.web("POST", "/consents/"+k["id"].(string)+"/answer", &ws, url.Values{"version": {"7"}, "state": {"given"}, "given_on": {"2026-01-03"}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale answer: %d", resp.StatusCode)
	}
	resp.Body.Close()
	resp = h.web("POST", "/consents/"+k["id"].(string)+"/answer", &ws, url.Values{"version": {"1"}, "state": {"given"}, "given_on": {"2026-01-03"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("answer: %d", resp.StatusCode)
	}
	resp.Body.Close()
	d = doc(t, h.web("GET", "/participants/"+id, &ws, nil))
	if v, _ := d.Find("#consent-verdict").Attr("data-valid"); v != "true" {
		t.Errorf("consent verdict after the answer: %q", v)
	}
	if d.Find(".answer-form").Length() != 0 {
		t.Error("answered consent still offers an answer")
	}
}
