package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// Language mediators (issue 16, item 5): their start page of today's and
// tomorrow's visits, family names on the agenda, and the family documents
// filled only with what their role reads.

// mdSignInAs opens a session for the user with email in role (another
// user of the role than the harness's demo one).
func mdSignInAs(t *testing.T, h *harness, role models.Role, email string) webSession {
	t.Helper()
	demo := h.logins[role]
	h.logins[role] = email
	defer func() { h.logins[role] = demo }()
	return h.signIn(role)
}

// mdPlan plans a visit on the case page as ws and returns its id.
func mdPlan(t *testing.T, h *harness, ws *webSession, participantID string, form url.Values) string {
	t.Helper()
	snPost(t, h, ws, "/participants/"+participantID+"/visits", form, http.StatusSeeOther)
	var id string
	if err := h.db.Gorm.Raw("SELECT id FROM prevention.visits WHERE participant_id = ? ORDER BY created_at DESC LIMIT 1", participantID).Scan(&id).Error; err != nil || id == "" {
		t.Fatalf("planned visit not stored: %v", err)
	}
	return id
}

// mdLastName is a participant's last name as the mediator's API shows it.
func mdLastName(t *testing.T, h *harness, tok, participantID string) string {
	t.Helper()
	p := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+participantID, tok, ""), http.StatusOK))
	name, _ := p["last_name"].(string)
	if name == "" {
		t.Fatal("participant without last name in the mediator's view")
	}
	return name
}

func TestMediatorStartPage(t *testing.T) {
	h, ids := vsSetup(t)
	med, coord := h.signIn(models.RoleMediator), h.signIn(models.RoleCoordinator)
	medTok := h.token(models.RoleMediator)
	today, tomorrow, later := wcDate(0, 0), wcDate(0, 1), wcDate(0, 2)

	// A second mediator works with the second family too.
	other := vsCreateMediator(t, h, "ar")
	snPost(t, h, &coord, "/participants/"+ids[1]+"/assignments",
		url.Values{"user_id": {other}, "kind": {"language_mediator"}, "from": {wcDate(0, -2)}}, http.StatusSeeOther)
	otherWS := mdSignInAs(t, h, models.RoleMediator, "aaron.mittler@es.kurve.example")

	mine := mdPlan(t, h, &med, ids[0], vsForm(today, "09:00", "10:00", "follow_up"))
	next := mdPlan(t, h, &med, ids[1], vsForm(tomorrow, "14:00", "15:00", "consent_talk"))
	after := mdPlan(t, h, &med, ids[0], vsForm(later, "09:00", "10:00", "follow_up"))
	theirs := mdPlan(t, h, &coord, ids[1], vsForm(today, "11:00", "12:00", "family_conversation", "mediator_id", other))

	d := snGet(t, h, &med, "/", http.StatusOK)
	if d.Find("#dash-today, #record-session, #dash-reviews").Length() != 0 {
		t.Error("the mediator's start page shows the case staff's dashboard")
	}
	line := d.Find(`#med-visits-today li.mediator-visit[data-id="` + mine + `"]`)
	if line.Length() != 1 || d.Find(`#med-visits-tomorrow li.mediator-visit[data-id="`+next+`"]`).Length() != 1 {
		t.Fatalf("today's or tomorrow's visit missing: %d, %d", line.Length(), d.Find(`#med-visits-tomorrow li[data-id="`+next+`"]`).Length())
	}
	for name, id := range map[string]string{"the day after tomorrow's": after, "another mediator's": theirs} {
		if d.Find(`li[data-id="`+id+`"]`).Length() != 0 {
			t.Errorf("the start page lists %s visit", name)
		}
	}
	// Time, family name, case number, purpose, languages, links.
	if !strings.Contains(line.Find(".when").Text(), "09:00–10:00") {
		t.Errorf("time %q", line.Find(".when").Text())
	}
	if !strings.Contains(line.Find(".family-name").Text(), mdLastName(t, h, medTok, ids[0])) ||
		!strings.HasPrefix(strings.TrimSpace(line.Find(".family-name").Text()), "Familie") {
		t.Error("the line does not name the family")
	}
	if got := line.Find(".case-number").Text(); got != snCaseNumber(t, h, ids[0]) {
		t.Errorf("case number %q", got)
	}
	if got := line.Find(".visit-purpose").Text(); got != "Folgebesuch" {
		t.Errorf("purpose %q", got)
	}
	if !strings.Contains(line.Find(".visit-languages").Text(), "Arabisch") {
		t.Errorf("languages %q, want the family's Arabic", line.Find(".visit-languages").Text())
	}
	links := map[string]string{
		"a.visit-link":            "/participants/" + ids[0] + "#visit-" + mine,
		"a.visit-notice-link":     "/visits/" + mine + "/notice",
		"a.consent-document-link": "/participants/" + ids[0] + "/documents/consent",
	}
	for sel, want := range links {
		if got := line.Find(sel).AttrOr("href", ""); got != want {
			t.Errorf("%s leads to %q, want %q", sel, got, want)
			continue
		}
		path, _, _ := strings.Cut(want, "#")
		expect(t, h.web("GET", path, &med, nil), http.StatusOK).Body.Close()
	}
	// The visit the line links to is on the case page.
	if wcPage(t, h, &med, ids[0], http.StatusOK).Find("#case-visits #visit-"+mine).Length() != 1 {
		t.Error("the visit link's target is not on the case page")
	}

	// The other mediator: their own visit, none of the first one's, though
	// they see the second family too.
	o := snGet(t, h, &otherWS, "/", http.StatusOK)
	if o.Find(`#med-visits-today li[data-id="`+theirs+`"]`).Length() != 1 || o.Find(`li[data-id="`+mine+`"], li[data-id="`+next+`"]`).Length() != 0 {
		t.Error("the other mediator's start page shows the wrong visits")
	}

	// Bounded: a full day shows a page of lines and a link to the agenda.
	for i := 0; i < 10; i++ {
		start := time.Date(2000, 1, 1, 12, 30*i, 0, 0, time.UTC)
		mdPlan(t, h, &med, ids[i%2], vsForm(today, start.Format("15:04"), start.Add(30*time.Minute).Format("15:04"), "follow_up"))
	}
	d = snGet(t, h, &med, "/", http.StatusOK)
	if n := d.Find("#med-visits-today li.mediator-visit").Length(); n != 10 {
		t.Errorf("%d lines for today, want 10 (the page's bound)", n)
	}
	if more := d.Find("#med-visits-today-more"); more.AttrOr("href", "") != "/visits?week="+today {
		t.Errorf("no link to the agenda of today's week: %q", more.AttrOr("href", ""))
	}
	if d.Find("#med-visits-tomorrow li.mediator-visit").Length() != 1 || d.Find("#med-visits-tomorrow-more").Length() != 0 {
		t.Error("tomorrow's list changed with today's")
	}
	if d.Find(`a#home-agenda[href="/visits"]`).Length() != 1 {
		t.Error("no link to the agenda")
	}

	// The agenda names the family, and links its consent form.
	item := snGet(t, h, &med, "/visits?week="+today, http.StatusOK).Find(`li.agenda-visit[data-id="` + mine + `"]`)
	if !strings.Contains(item.Find(".family-name").Text(), mdLastName(t, h, medTok, ids[0])) {
		t.Error("the agenda does not name the family")
	}
	if item.Find(`a.consent-document-link[href="/participants/`+ids[0]+`/documents/consent"]`).Length() != 1 {
		t.Error("the agenda does not link the family's consent form")
	}

	// Arabic: the page renders in the user's language.
	expect(t, h.api("PATCH", "/api/v1/me", medTok, `{"language":"ar"}`), http.StatusOK).Body.Close()
	arWS := h.signIn(models.RoleMediator)
	ar := snGet(t, h, &arWS, "/", http.StatusOK)
	if ar.Find("html").AttrOr("dir", "") != "rtl" || strings.Contains(ar.Find("#med-today").Text(), "Familie") {
		t.Error("the Arabic start page is not Arabic")
	}
}

// mdReferredCase is a new case from a police referral whose police notes
// carry marker, with a guardian with custody and a Turkish-speaking family
// needing an interpreter, the demo mediator assigned. It returns the
// participant's id and date of birth as the form prints it.
func mdReferredCase(t *testing.T, h *harness, coord *webSession, marker string) (string, string) {
	t.Helper()
	police, coordTok := h.token(models.RolePoliceLiaison), h.token(models.RoleCoordinator)
	ref := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals", police, fmt.Sprintf(`{"first_name":"Deniz","last_name":"Yıldırım",
		"date_of_birth":"2011-09-17","gender":"male","site":"ES","reason_category":"violence","police_reference":"PP-MD-1",
		"referring_unit":"PI Essen-Mitte","officer_name":"POK Beispiel","guardian_name":"Ayşe Yıldırım","guardian_phone":"0201 777777",
		"notes":%q}`, marker)), http.StatusCreated))
	p := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals/"+ref["id"].(string)+"/accept", coordTok, ""), http.StatusCreated))
	pid, famID := p["id"].(string), p["family_id"].(string)
	fam := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/families/"+famID, coordTok, ""), http.StatusOK))
	expect(t, h.api("PATCH", "/api/v1/families/"+famID, coordTok, fmt.Sprintf(`{"version":%v,"languages":[{"language":"tr","mode":"interpreter"},{"language":"de","mode":"basic"}]}`,
		fam["version"])), http.StatusOK).Body.Close()
	for _, g := range []string{`{"first_name":"Ayşe","last_name":"Yıldırım","relationship":"mother","has_custody":true,"languages":["tr"]}`,
		`{"first_name":"Mehmet","last_name":"Yıldırım","relationship":"grandparent","has_custody":false,"languages":["tr"]}`} {
		expect(t, h.api("POST", "/api/v1/participants/"+pid+"/guardians", coordTok, g), http.StatusCreated).Body.Close()
	}
	wcAssign(t, h, coord, pid, models.RoleMediator)
	return pid, "17.09.2011"
}

func TestMediatorDocuments(t *testing.T) {
	h, _ := vsSetup(t)
	med, coord := h.signIn(models.RoleMediator), h.signIn(models.RoleCoordinator)
	coordTok := h.token(models.RoleCoordinator)
	// Markers in what the mediator must never read: the police's notes of
	// the referral, the case notes, a goal, a visit's outcome note.
	const referralMarker, noteMarker, goalMarker, outcomeMarker = "MDREF-7f3a police notes", "MDNOTE-7f3a case notes",
		"MDGOAL-7f3a goal", "MDOUT-7f3a outcome note"
	pid, dob := mdReferredCase(t, h, &coord, referralMarker)
	p := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+pid, coordTok, ""), http.StatusOK))
	expect(t, h.api("PATCH", "/api/v1/participants/"+pid, coordTok, fmt.Sprintf(`{"version":%v,"notes":%q}`, p["version"], noteMarker)),
		http.StatusOK).Body.Close()
	snPost(t, h, &coord, "/participants/"+pid+"/goals", url.Values{"title": {goalMarker}, "target_on": {wcDate(0, 60)}}, http.StatusSeeOther)
	// The consent talk, planned by the mediator (no consent needed yet).
	talk := mdPlan(t, h, &med, pid, vsForm(wcDate(0, 1), "16:00", "17:30", "consent_talk"))
	snPost(t, h, &coord, "/visits/"+talk, url.Values{"version": {"1"}, "outcome_note": {outcomeMarker}}, http.StatusSeeOther)
	staff := wcPage(t, h, &coord, pid, http.StatusOK).Text()
	for _, m := range []string{noteMarker, goalMarker, outcomeMarker} {
		if !strings.Contains(staff, m) {
			t.Fatalf("the coordinator's case page lacks the marker %q: the checks below prove nothing", m)
		}
	}
	guardians := len(decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+pid+"/guardians", coordTok, ""), http.StatusOK)))
	staffForm := doc(t, expect(t, h.web("GET", "/participants/"+pid+"/documents/consent", &coord, nil), http.StatusOK))
	if !strings.Contains(staffForm.Find("#doc-child-dob").Text(), dob) || staffForm.Find(`.signature[data-signer="guardian"]`).Length() == 0 {
		t.Fatal("the staff's consent form lacks the date of birth or the custodian's line: the checks below prove nothing")
	}

	consent, notice := "/participants/"+pid+"/documents/consent", "/visits/"+talk+"/notice"
	forbidden := []string{referralMarker, "MDREF", noteMarker, "MDNOTE", goalMarker, "MDGOAL", outcomeMarker, "MDOUT", dob, "2011-09-17", "PP-MD-1", "POK Beispiel"}
	check := func(where string, d *goquery.Document) {
		t.Helper()
		html, _ := d.Html()
		for _, s := range forbidden {
			if strings.Contains(html, s) {
				t.Errorf("the mediator's %s contains %q", where, s)
			}
		}
	}

	// In the family's language by default (Turkish, interpreter needed),
	// then in each document language.
	before := snCount(t, h, `SELECT count(*) FROM audit.events WHERE action = ? AND actor_role = 'language_mediator'
		AND object_id = ? AND details->>'document' = 'consent_form'`, models.AuditParticipantRead, pid)
	d := doc(t, expect(t, h.web("GET", consent, &med, nil), http.StatusOK))
	wantDocumentShell(t, "mediator's consent form", d, "tr")
	after := snCount(t, h, `SELECT count(*) FROM audit.events WHERE action = ? AND actor_role = 'language_mediator'
		AND object_id = ? AND details->>'document' = 'consent_form'`, models.AuditParticipantRead, pid)
	if after != before+1 {
		t.Errorf("the mediator's read of the consent form is not audited (%d → %d)", before, after)
	}
	check("consent form", d)
	if got := strings.TrimSpace(d.Find("#doc-child-name").Text()); got != "Deniz Yıldırım" {
		t.Errorf("child %q", got)
	}
	if d.Find("#doc-case-number").Text() != p["case_number"] {
		t.Errorf("case number %q", d.Find("#doc-case-number").Text())
	}
	// What the mediator's role cannot read is left for the pen: the date
	// of birth, custody (so nobody is named as a signer with custody), and
	// the assent line comes with its condition of age.
	if dd := d.Find(`#doc-child-dob[data-blank="true"]`); dd.Length() != 1 || strings.TrimSpace(dd.Text()) != "" {
		t.Errorf("date of birth not left blank: %q", dd.Text())
	}
	if n := d.Find(`#doc-guardian-list tr.doc-guardian`).Length(); n != guardians || d.Find(`#doc-guardian-list td.custody-blank[data-blank="true"]`).Length() != n {
		t.Errorf("%d guardians listed, want %d, custody not blank for each", n, guardians)
	}
	for _, name := range []string{"Ayşe Yıldırım", "Mehmet Yıldırım"} {
		if !strings.Contains(d.Find("#doc-guardian-list").Text(), name) {
			t.Errorf("guardian %s not listed", name)
		}
	}
	if d.Find(`.signature[data-signer="guardian"]`).Length() != 0 || d.Find(`.signature[data-signer="blank"]`).Length() != guardians ||
		d.Find(".doc-purposes thead .tick-col").Length() != guardians || d.Find(".tick-name").Length() != 0 {
		t.Error("the mediator's form decides who has custody")
	}
	if d.Find(`#doc-assent #doc-assent-condition`).Length() != 1 {
		t.Error("the assent line without its condition of age")
	}
	if strings.TrimSpace(d.Find("#doc-note").Text()) == "" || d.Find("#doc-privacy-section #doc-controller").Text() == "" {
		t.Error("no toolbar note on the blank fields, or no data-protection section")
	}
	if d.Find(`.doc-back[href="/participants/`+pid+`#case-documents"]`).Length() != 1 {
		t.Errorf("toolbar leads back to %q", d.Find(".doc-back").AttrOr("href", ""))
	}
	for _, lang := range app.DocumentLanguages {
		dl := doc(t, expect(t, h.web("GET", consent+"?lang="+lang, &med, nil), http.StatusOK))
		wantDocumentShell(t, "mediator's consent form "+lang, dl, lang)
		check("consent form ("+lang+")", dl)
		n := doc(t, expect(t, h.web("GET", notice+"?lang="+lang, &med, nil), http.StatusOK))
		wantDocumentShell(t, "mediator's visit notice "+lang, n, lang)
		check("visit notice ("+lang+")", n)
	}
	n := doc(t, expect(t, h.web("GET", notice, &med, nil), http.StatusOK))
	wantDocumentShell(t, "mediator's visit notice", n, "tr")
	check("visit notice", n)

	// The case page links the family's documents for the mediator.
	cp := wcPage(t, h, &med, pid, http.StatusOK)
	check("case page", cp)
	if cp.Find(`#case-documents a#consent-document[href="`+consent+`"]`).Length() != 1 ||
		cp.Find(`#case-visits li.visit[data-id="`+talk+`"] a.visit-notice-link[href="`+notice+`"]`).Length() != 1 {
		t.Error("the mediator's case page does not link the consent form and the visit notice")
	}

	// A mediator not assigned to the family: 404 for both documents, as
	// for a family of the demo mediator's site without a mediator.
	other := vsCreateMediator(t, h, "tr")
	otherWS := mdSignInAs(t, h, models.RoleMediator, "aaron.mittler@es.kurve.example")
	for _, path := range []string{consent, notice, consent + "?lang=de"} {
		expect(t, h.web("GET", path, &otherWS, nil), http.StatusNotFound).Body.Close()
	}
	var unmediated string
	h.db.Gorm.Raw(`SELECT p.id FROM prevention.participants p WHERE NOT EXISTS (SELECT 1 FROM prevention.assignments a
		WHERE a.participant_id = p.id AND a.kind = 'language_mediator') ORDER BY p.case_number LIMIT 1`).Scan(&unmediated)
	if unmediated == "" {
		t.Fatal("demo data: no case without a mediator")
	}
	expect(t, h.web("GET", "/participants/"+unmediated+"/documents/consent", &med, nil), http.StatusNotFound).Body.Close()
	// Assigned, the other mediator gets the form too.
	snPost(t, h, &coord, "/participants/"+pid+"/assignments",
		url.Values{"user_id": {other}, "kind": {"language_mediator"}, "from": {wcDate(0, -2)}}, http.StatusSeeOther)
	expect(t, h.web("GET", consent, &otherWS, nil), http.StatusOK).Body.Close()
}
