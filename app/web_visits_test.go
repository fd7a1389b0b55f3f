package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// Web pages of family visits and language mediators (issue 6): the visits
// section of the case page, the week agenda, one-tap outcomes, the
// mediator's languages and the mediator proposal in the assignment form.

// vsSetup is a server on the demo cases, the demo mediator reading German,
// and the active children the demo mediator is assigned to.
func vsSetup(t *testing.T) (*harness, []string) {
	t.Helper()
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	expect(t, h.api("PATCH", "/api/v1/me", h.token(models.RoleMediator), `{"language":"de"}`), http.StatusOK).Body.Close()
	var ids []string
	h.db.Gorm.Raw(`SELECT p.id FROM prevention.participants p JOIN prevention.assignments a ON a.participant_id = p.id
		JOIN org.users u ON u.id = a.user_id WHERE p.status = 'active' AND u.role = 'language_mediator' AND a.until_on IS NULL
		ORDER BY p.case_number`).Scan(&ids)
	if len(ids) < 2 {
		t.Fatalf("demo data: %d active children with a mediator, want 2", len(ids))
	}
	return h, ids
}

// vsDay is a calendar day two days from now (program zone), and the
// Monday of its week.
func vsDay(t *testing.T) (day, monday string) {
	t.Helper()
	return vsDayOf(t, wcDate(0, 2))
}

// vsDayOf is day and the Monday of its week.
func vsDayOf(t *testing.T, day string) (string, string) {
	t.Helper()
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
	return day, d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)).Format(time.DateOnly)
}

func vsForm(day, from, to, purpose string, kv ...string) url.Values {
	f := url.Values{"date": {day}, "starts_at": {from}, "ends_at": {to}, "purpose": {purpose}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// vsVisits returns the ids of a child's visits, oldest first.
func vsVisits(t *testing.T, h *harness, participantID string) []string {
	t.Helper()
	var ids []string
	if err := h.db.Gorm.Raw("SELECT id FROM prevention.visits WHERE participant_id = ? ORDER BY created_at, starts_at", participantID).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func vsField(t *testing.T, h *harness, visitID, expr string) string {
	t.Helper()
	var s string
	if err := h.db.Gorm.Raw("SELECT "+expr+" FROM prevention.visits WHERE id = ?", visitID).Scan(&s).Error; err != nil {
		t.Fatal(err)
	}
	return s
}

const vsBerlinStart = "to_char(starts_at AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI') || '-' || to_char(ends_at AT TIME ZONE 'Europe/Berlin', 'HH24:MI')"

func TestVisitPlanConflictAndAgenda(t *testing.T) {
	h, ids := vsSetup(t)
	med := h.signIn(models.RoleMediator)
	// Yesterday's visits, recorded afterwards, so that they can be done.
	day, monday := vsDayOf(t, wcDate(0, -1))
	cn0, cn1 := snCaseNumber(t, h, ids[0]), snCaseNumber(t, h, ids[1])

	// The mediator plans as themself: no mediator choice in the form.
	d := wcPage(t, h, &med, ids[0], http.StatusOK)
	if d.Find("#visit-plan-form").Length() != 1 || d.Find("#visit-mediator").Length() != 0 ||
		!strings.Contains(d.Find("#visit-self").Text(), "Demo Sprachmittlung") {
		t.Fatalf("mediator's plan form: %q", d.Find("#case-visits").Text())
	}
	if d.Find("#visit-purpose option").Length() != len(models.VisitPurposes) {
		t.Errorf("purpose select offers %d purposes", d.Find("#visit-purpose option").Length())
	}
	resp := h.web("POST", "/participants/"+ids[0]+"/visits", &med, vsForm(day, "09:00", "10:00", "follow_up"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/participants/"+ids[0]) {
		t.Fatalf("plan: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	first := vsVisits(t, h, ids[0])
	if len(first) != 1 || vsField(t, h, first[0], vsBerlinStart) != day+" 09:00-10:00" ||
		vsField(t, h, first[0], "mediator_id::text") != wcStaffID(t, h, models.RoleMediator) {
		t.Fatalf("stored visits %v", first)
	}
	if auditCount(t, h, models.AuditVisitCreate) != 1 {
		t.Error("visit creation not audited once")
	}

	// The agenda of that week: on its day, with the family's address and
	// phone and a link to the case.
	a := snGet(t, h, &med, "/visits?week="+day, http.StatusOK)
	item := a.Find(`#day-` + day + ` li.agenda-visit[data-id="` + first[0] + `"]`)
	if item.Length() != 1 {
		t.Fatalf("visit not on its day: %q", a.Find("#agenda").Text())
	}
	if link := item.Find("a.case-link"); link.Text() != cn0 || link.AttrOr("href", "") != "/participants/"+ids[0] {
		t.Errorf("case link %q to %q", link.Text(), link.AttrOr("href", ""))
	}
	if !strings.Contains(item.Find(".visit-address").Text(), "Lindenstraße 12") || !strings.Contains(item.Find(".visit-phone").Text(), "0201 5550101") {
		t.Errorf("address/phone: %q / %q", item.Find(".visit-address").Text(), item.Find(".visit-phone").Text())
	}
	if !strings.Contains(item.Find(".when").Text(), "09:00–10:00") || item.Find(".visit-purpose").Text() != "Folgebesuch" {
		t.Errorf("time/purpose: %q / %q", item.Find(".when").Text(), item.Find(".visit-purpose").Text())
	}
	if a.Find("#day-"+monday).Length() != 1 || a.Find("#agenda > li.agenda-day").Length() != 7 {
		t.Errorf("the week does not run Monday %s to Sunday", monday)
	}
	m, _ := time.Parse(time.DateOnly, monday)
	if a.Find("#agenda-next").AttrOr("href", "") != "/visits?week="+m.AddDate(0, 0, 7).Format(time.DateOnly) ||
		a.Find("#agenda-prev").AttrOr("href", "") != "/visits?week="+m.AddDate(0, 0, -7).Format(time.DateOnly) {
		t.Errorf("week links %q %q", a.Find("#agenda-prev").AttrOr("href", ""), a.Find("#agenda-next").AttrOr("href", ""))
	}
	if a.Find(`a#agenda-calendar[href^="/profile"]`).Length() != 1 {
		t.Error("no calendar subscription link to the profile")
	}
	if snGet(t, h, &med, "/visits?week="+m.AddDate(0, 0, 7).Format(time.DateOnly), http.StatusOK).Find(`li.agenda-visit[data-id="`+first[0]+`"]`).Length() != 0 {
		t.Error("the visit shows in the next week too")
	}

	// Overlapping for the same mediator: 409 naming the first visit's
	// time and case number, the input kept, nothing saved.
	d = snPost(t, h, &med, "/participants/"+ids[1]+"/visits", vsForm(day, "09:30", "10:30", "family_conversation"), http.StatusConflict)
	alert := d.Find("#case-alert").Text()
	if !strings.Contains(alert, deDate(day)+", 09:00") || !strings.Contains(alert, "10:00") || !strings.Contains(alert, cn0) {
		t.Errorf("conflict alert %q, want %s, 09:00–10:00, %s", alert, deDate(day), cn0)
	}
	if strings.Contains(alert, "Haddad") || strings.Contains(alert, "Yusuf") {
		t.Errorf("conflict alert names a person: %q", alert)
	}
	if d.Find("#case-number").Text() != cn1 || d.Find("#visit-date").AttrOr("value", "") != day ||
		d.Find("#visit-start").AttrOr("value", "") != "09:30" || d.Find("#visit-end").AttrOr("value", "") != "10:30" ||
		d.Find("#visit-purpose option[selected]").AttrOr("value", "") != "family_conversation" {
		t.Error("409 lost the typed input")
	}
	if n := snCount(t, h, "SELECT count(*) FROM prevention.visits"); n != 1 {
		t.Fatalf("%d visits after a double booking, want 1", n)
	}

	// Touching intervals are fine.
	snPost(t, h, &med, "/participants/"+ids[1]+"/visits", vsForm(day, "10:00", "11:00", "family_conversation"), http.StatusSeeOther)
	second := vsVisits(t, h, ids[1])
	if len(second) != 1 {
		t.Fatalf("touching visit not stored: %v", second)
	}

	// One tap from the agenda: done.
	a = snGet(t, h, &med, "/visits?week="+day, http.StatusOK)
	form := a.Find(`li.agenda-visit[data-id="` + second[0] + `"] form.visit-status-form`)
	version := form.Find(`input[name="version"]`).AttrOr("value", "")
	if version == "" || form.Find(`button[name="status"][value="done"]`).Length() != 1 || form.Find(`button[name="status"][value="nobody_home"]`).Length() != 1 {
		t.Fatalf("no one-tap form on the agenda: %q", form.Text())
	}
	tap := url.Values{"version": {version}, "status": {"done"}, "from": {"agenda"}, "week": {form.Find(`input[name="week"]`).AttrOr("value", "")}}
	resp = h.web("POST", "/visits/"+second[0], &med, tap)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/visits?week="+monday) {
		t.Fatalf("one tap: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if s := vsField(t, h, second[0], "status"); s != "done" {
		t.Fatalf("status after the tap %q", s)
	}
	a = snGet(t, h, &med, "/visits?week="+day, http.StatusOK)
	done := a.Find(`li.agenda-visit[data-id="` + second[0] + `"]`)
	if done.AttrOr("data-status", "") != "done" || done.Find("form").Length() != 0 {
		t.Errorf("done visit: status %q, %d forms", done.AttrOr("data-status", ""), done.Find("form").Length())
	}
	if auditCount(t, h, models.AuditVisitUpdate) != 1 {
		t.Error("visit update not audited once")
	}

	// A visit that has not begun offers neither "done" nor "nobody home".
	tomorrow := wcDate(0, 1)
	snPost(t, h, &med, "/participants/"+ids[1]+"/visits", vsForm(tomorrow, "09:00", "10:00", "follow_up"), http.StatusSeeOther)
	later := vsVisits(t, h, ids[1])
	ahead := snGet(t, h, &med, "/visits?week="+tomorrow, http.StatusOK).Find(`li.agenda-visit[data-id="` + later[len(later)-1] + `"]`)
	if ahead.Length() != 1 || ahead.Find(`button[value="done"], button[value="nobody_home"]`).Length() != 0 {
		t.Errorf("tomorrow's visit: %d items, %d done buttons", ahead.Length(), ahead.Find(`button[value="done"], button[value="nobody_home"]`).Length())
	}

	// The same tap with the old version: 409 on the agenda, nothing changed.
	tap.Set("status", "nobody_home")
	d = snPost(t, h, &med, "/visits/"+second[0], tap, http.StatusConflict)
	if !strings.Contains(d.Find("#agenda-alert").Text(), "von jemand anderem geändert") || d.Find("#agenda").Length() != 1 {
		t.Errorf("stale tap: alert %q", d.Find("#agenda-alert").Text())
	}
	if s := vsField(t, h, second[0], "status"); s != "done" {
		t.Errorf("stale tap changed the status to %q", s)
	}
	// Mediators write no outcome notes, not even by a forged form.
	resp = h.web("POST", "/visits/"+first[0], &med, url.Values{"version": {"1"}, "outcome_note": {"x"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("mediator's outcome note: %d, want 403", resp.StatusCode)
	}
}

func TestVisitConsentGate(t *testing.T) {
	h, _ := vsSetup(t)
	med := h.signIn(models.RoleMediator)
	pending := demoIDs(t, h, models.StatusConsentPending)
	if len(pending) == 0 {
		t.Fatal("demo data has no consent_pending child")
	}
	id, medID := pending[0], wcStaffID(t, h, models.RoleMediator)
	if snCount(t, h, "SELECT count(*) FROM prevention.assignments WHERE participant_id = ? AND user_id = ? AND until_on IS NULL", id, medID) == 0 {
		expect(t, h.api("POST", "/api/v1/participants/"+id+"/assignments", h.token(models.RoleCoordinator),
			`{"user_id":"`+medID+`","kind":"language_mediator","from":"`+wcDate(0, -1)+`"}`), http.StatusCreated).Body.Close()
	}
	day, _ := vsDay(t)
	d := wcPage(t, h, &med, id, http.StatusOK)
	if d.Find("#visit-purpose option[selected]").AttrOr("value", "") != "consent_talk" {
		t.Errorf("plan form for a consent_pending child preselects %q", d.Find("#visit-purpose option[selected]").AttrOr("value", ""))
	}

	d = snPost(t, h, &med, "/participants/"+id+"/visits", vsForm(day, "14:00", "15:00", "follow_up"), http.StatusUnprocessableEntity)
	if alert := d.Find("#case-alert").Text(); !strings.Contains(alert, "keine gültige Einwilligung") || !strings.Contains(alert, snCaseNumber(t, h, id)) {
		t.Errorf("consent alert %q", alert)
	}
	if d.Find("#visit-start").AttrOr("value", "") != "14:00" || d.Find("#visit-purpose option[selected]").AttrOr("value", "") != "follow_up" {
		t.Error("422 lost the typed input")
	}
	if n := len(vsVisits(t, h, id)); n != 0 {
		t.Fatalf("%d visits stored without consent", n)
	}
	snPost(t, h, &med, "/participants/"+id+"/visits", vsForm(day, "14:00", "15:00", "consent_talk"), http.StatusSeeOther)
	if vs := vsVisits(t, h, id); len(vs) != 1 || vsField(t, h, vs[0], "purpose") != "consent_talk" {
		t.Errorf("consent talk not stored: %v", vs)
	}

	// An end before the start is refused next to the end field.
	d = snPost(t, h, &med, "/participants/"+id+"/visits", vsForm(day, "16:00", "15:30", "consent_talk"), http.StatusUnprocessableEntity)
	if d.Find("#visit-ends-error").Length() != 1 || d.Find(`#visit-end[aria-invalid="true"]`).Length() != 1 {
		t.Error("end before start not flagged at the end field")
	}
}

func TestVisitStaffNotesMovesAndDashboard(t *testing.T) {
	h, ids := vsSetup(t)
	sw, coord := h.signIn(models.RoleSocialWorker), h.signIn(models.RoleCoordinator)
	swID, medID := wcStaffID(t, h, models.RoleSocialWorker), wcStaffID(t, h, models.RoleMediator)
	today := wcDate(0, 0)

	// The social worker's form preselects themself and the case's mediator.
	d := wcPage(t, h, &sw, ids[0], http.StatusOK)
	if d.Find("#visit-worker option[selected]").AttrOr("value", "") != swID || d.Find("#visit-mediator option[selected]").AttrOr("value", "") != medID {
		t.Errorf("defaults: worker %q, mediator %q", d.Find("#visit-worker option[selected]").AttrOr("value", ""), d.Find("#visit-mediator option[selected]").AttrOr("value", ""))
	}
	snPost(t, h, &sw, "/participants/"+ids[0]+"/visits", vsForm(today, "06:00", "06:45", "family_conversation",
		"social_worker_id", swID, "mediator_id", ""), http.StatusSeeOther)
	snPost(t, h, &sw, "/participants/"+ids[1]+"/visits", vsForm(today, "07:00", "08:00", "follow_up",
		"social_worker_id", swID, "mediator_id", ""), http.StatusSeeOther)
	v0, v1 := vsVisits(t, h, ids[0])[0], vsVisits(t, h, ids[1])[0]

	// Moving onto the other visit: 409, the move form open with its input.
	d = snPost(t, h, &sw, "/visits/"+v0, url.Values{"version": {"1"}, "date": {today}, "starts_at": {"07:30"}, "ends_at": {"08:15"}}, http.StatusConflict)
	if !strings.Contains(d.Find("#case-alert").Text(), snCaseNumber(t, h, ids[1])) {
		t.Errorf("move conflict alert %q", d.Find("#case-alert").Text())
	}
	moved := d.Find(`li.visit[data-id="` + v0 + `"]`)
	if _, open := moved.Find("details.visit-move").Attr("open"); !open || moved.Find("#move-"+v0+"-start").AttrOr("value", "") != "07:30" {
		t.Error("refused move: form closed or input lost")
	}
	if got := vsField(t, h, v0, vsBerlinStart); got != today+" 06:00-06:45" {
		t.Fatalf("a refused move changed the visit: %s", got)
	}
	snPost(t, h, &sw, "/visits/"+v0, url.Values{"version": {"1"}, "date": {today}, "starts_at": {"06:15"}, "ends_at": {"07:00"}}, http.StatusSeeOther)
	if got := vsField(t, h, v0, vsBerlinStart); got != today+" 06:15-07:00" {
		t.Fatalf("moved visit at %s", got)
	}

	// Case staff keep an outcome note; the case page shows it.
	snPost(t, h, &sw, "/visits/"+v0, url.Values{"version": {"2"}, "outcome_note": {"Vater offen für Gespräch"}}, http.StatusSeeOther)
	d = wcPage(t, h, &sw, ids[0], http.StatusOK)
	if d.Find(`li.visit[data-id="`+v0+`"] .visit-note`).Text() != "Vater offen für Gespräch" {
		t.Errorf("note %q", d.Find(`li.visit[data-id="`+v0+`"] .visit-note`).Text())
	}
	// One tap "cancelled" from the case page.
	form := wcPage(t, h, &sw, ids[1], http.StatusOK).Find(`li.visit[data-id="` + v1 + `"] form.visit-status-form`)
	if form.Find(`button[value="cancelled"]`).Length() != 1 {
		t.Fatal("no cancel button on the case page")
	}
	snPost(t, h, &sw, "/visits/"+v1, url.Values{"version": {form.Find(`input[name="version"]`).AttrOr("value", "")}, "status": {"cancelled"}}, http.StatusSeeOther)
	if s := vsField(t, h, v1, "status"); s != "cancelled" {
		t.Errorf("status %q after cancelling", s)
	}

	// Dashboards: today's visits next to the sessions.
	for _, ws := range []*webSession{&sw, &coord} {
		d = snGet(t, h, ws, "/", http.StatusOK)
		line := d.Find(`#dash-visits-today li.visit-line[data-id="` + v0 + `"]`)
		if line.Find("a.case-link").Text() != snCaseNumber(t, h, ids[0]) || !strings.Contains(line.Text(), "06:15–07:00") {
			t.Errorf("dashboard today's visits: %q", d.Find("#dash-today").Text())
		}
		if d.Find(`#dash-visits-week li[data-id="`+v0+`"]`).Length() != 0 {
			t.Error("today's visit also listed under the rest of the week")
		}
	}
	// The coordinator's agenda has the site's visits, the social worker's
	// their own; the mediator (not booked) none of them.
	if snGet(t, h, &coord, "/visits", http.StatusOK).Find(`li.agenda-visit[data-id="`+v0+`"]`).Length() != 1 {
		t.Error("coordinator's agenda lacks a visit of the site")
	}
	med := h.signIn(models.RoleMediator)
	if snGet(t, h, &med, "/visits", http.StatusOK).Find(`li.agenda-visit[data-id="`+v0+`"]`).Length() != 0 {
		t.Error("mediator's agenda shows a visit without them")
	}
}

func TestMediatorPagesShowNoCasework(t *testing.T) {
	h, ids := vsSetup(t)
	med, sw := h.signIn(models.RoleMediator), h.signIn(models.RoleSocialWorker)
	day, _ := vsDay(t)
	snPost(t, h, &med, "/participants/"+ids[0]+"/visits", vsForm(day, "09:00", "10:00", "follow_up"), http.StatusSeeOther)
	v := vsVisits(t, h, ids[0])[0]
	snPost(t, h, &sw, "/visits/"+v, url.Values{"version": {"1"}, "outcome_note": {"Vertraulich: Vater offen"}}, http.StatusSeeOther)
	// Today's and tomorrow's visits, for the start page.
	snPost(t, h, &med, "/participants/"+ids[1]+"/visits", vsForm(wcDate(0, 0), "09:00", "10:00", "follow_up"), http.StatusSeeOther)
	snPost(t, h, &med, "/participants/"+ids[0]+"/visits", vsForm(wcDate(0, 1), "09:00", "10:00", "family_conversation"), http.StatusSeeOther)
	today := vsVisits(t, h, ids[1])[0]
	snPost(t, h, &sw, "/visits/"+today, url.Values{"version": {"1"}, "outcome_note": {"Vertraulich: Vater offen"}}, http.StatusSeeOther)

	// Demo session notes, participant notes, goals, labels of notes, the
	// outcome note: on the social worker's pages, never on the mediator's.
	secret := []string{"Rollenspiele", "Trainingsgruppe", "Konflikte ohne Gewalt", "Notiz", "Vertraulich: Vater offen", "Fallbesprechung"}
	var staffText string
	for _, id := range ids[:2] {
		staffText += wcPage(t, h, &sw, id, http.StatusOK).Text()
	}
	for _, s := range secret {
		if !strings.Contains(staffText, s) {
			t.Fatalf("the social worker's case pages lack %q: the check below proves nothing", s)
		}
	}
	pages := map[string]*goquery.Document{"/visits?week=" + day: snGet(t, h, &med, "/visits?week="+day, http.StatusOK),
		"/": snGet(t, h, &med, "/", http.StatusOK)}
	if pages["/"].Find("li.mediator-visit").Length() != 2 {
		t.Fatalf("the mediator's start page lists %d visits, want today's and tomorrow's", pages["/"].Find("li.mediator-visit").Length())
	}
	// The family documents the mediator opens: the consent form and the
	// visit notices, in the family's language and in German.
	docs := map[string]bool{}
	for _, id := range ids[:2] {
		pages["/participants/"+id] = wcPage(t, h, &med, id, http.StatusOK)
		docs["/participants/"+id+"/documents/consent"] = true
		for _, vid := range vsVisits(t, h, id) {
			docs["/visits/"+vid+"/notice"] = true
		}
	}
	for path := range docs {
		for _, q := range []string{"", "?lang=de"} {
			pages[path+q] = snGet(t, h, &med, path+q, http.StatusOK)
		}
	}
	for path, d := range pages {
		text := d.Text()
		for _, s := range secret {
			// "Notiz" is an interface label; the documents have none, and
			// their privacy text names notes among what is deleted.
			if s == "Notiz" && (strings.Contains(path, "/documents/") || strings.HasSuffix(strings.Split(path, "?")[0], "/notice")) {
				continue
			}
			if strings.Contains(text, s) {
				t.Errorf("mediator's %s contains %q", path, s)
			}
		}
		if d.Find(`textarea[name="outcome_note"], a[href^="/sessions"], form[action^="/goals"], #case-sessions, #case-goals, #case-notes`).Length() != 0 {
			t.Errorf("mediator's %s has casework forms or sections", path)
		}
	}
	// The visits section itself is there for the mediator, with the forms.
	d := pages["/participants/"+ids[0]]
	if d.Find(`#case-visits li.visit[data-id="`+v+`"] form.visit-status-form`).Length() != 1 || d.Find("#visit-plan-form").Length() != 1 {
		t.Error("mediator's case page lacks the visits section or its forms")
	}
}

// vsCreateMediator adds a mediator whose name sorts before the demo
// mediator's, offering langs.
func vsCreateMediator(t *testing.T, h *harness, langs ...string) string {
	t.Helper()
	var id string
	err := models.InTx(context.Background(), h.db.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		u, err := st.CreateUser(models.NewUserInput{Email: "aaron.mittler@es.kurve.example", Name: "Aaron Demo-Mittler",
			Role: models.RoleMediator, SiteCode: "ES", Language: "de"})
		if err != nil {
			return err
		}
		id = u.ID
		return st.SetMediatorLanguages(u.ID, langs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMediatorLanguagesAndAssignmentProposal(t *testing.T) {
	h, ids := vsSetup(t)
	med, coord := h.signIn(models.RoleMediator), h.signIn(models.RoleCoordinator)
	medID := wcStaffID(t, h, models.RoleMediator)
	other := vsCreateMediator(t, h, "ru")
	romanian := demoIDs(t, h, models.StatusReferred)
	if len(romanian) == 0 {
		t.Fatal("demo data has no referred child (the Romanian-speaking family)")
	}
	options := func(id string) []*goquery.Selection {
		var out []*goquery.Selection
		wcPage(t, h, &coord, id, http.StatusOK).Find("#assign-mediators option").Each(func(_ int, s *goquery.Selection) { out = append(out, s) })
		return out
	}

	if d := snGet(t, h, &med, "/profile", http.StatusOK); d.Find(`a#mediator-languages-link[href="/profile/languages"]`).Length() != 1 {
		t.Error("profile does not link to the mediator's languages")
	}
	// Only Turkish: nobody covers Arabic, the form warns.
	snPost(t, h, &med, "/profile/languages", url.Values{"languages": {"tr"}}, http.StatusSeeOther)
	d := wcPage(t, h, &coord, ids[0], http.StatusOK)
	if d.Find(`#mediator-warning[role="status"]`).Length() != 1 {
		t.Error("no warning although no mediator speaks Arabic")
	}

	// Arabic and Kurmanji: ticked on the languages page, and the demo
	// mediator comes first for the Arabic-speaking family although the
	// other mediator's name sorts first.
	snPost(t, h, &med, "/profile/languages", url.Values{"languages": {"ar", "ku"}}, http.StatusSeeOther)
	p := snGet(t, h, &med, "/profile/languages", http.StatusOK)
	for code, want := range map[string]bool{"ar": true, "ku": true, "tr": false} {
		if _, ticked := p.Find("#mediator-lang-" + code).Attr("checked"); ticked != want {
			t.Errorf("language %s ticked %v, want %v", code, ticked, want)
		}
	}
	if !strings.Contains(p.Find(".flash").Text(), "Sprachen wurden gespeichert") {
		t.Errorf("flash %q", p.Find(".flash").Text())
	}
	opts := options(ids[0])
	if len(opts) != 2 || opts[0].AttrOr("value", "") != medID || opts[1].AttrOr("value", "") != other {
		t.Fatalf("mediator options %d, first %q", len(opts), opts[0].AttrOr("value", ""))
	}
	if opts[0].AttrOr("data-covers", "") != "ar" || !strings.Contains(opts[0].Text(), "Arabisch") || strings.Contains(opts[1].Text(), "Arabisch") {
		t.Errorf("options %q / %q", opts[0].Text(), opts[1].Text())
	}
	d = wcPage(t, h, &coord, ids[0], http.StatusOK)
	if d.Find("#mediator-warning").Length() != 0 || !strings.Contains(d.Find("#assign-needed").Text(), "Arabisch") {
		t.Errorf("Arabic family: warning %q, hint %q", d.Find("#mediator-warning").Text(), d.Find("#assign-needed").Text())
	}
	// Social workers stay selectable.
	if d.Find(`#assign-user option[value="`+wcStaffID(t, h, models.RoleSocialWorker)+`"]`).Length() != 1 {
		t.Error("social worker no longer offered")
	}
	// Romanian: nobody covers it, the form warns and names the language.
	d = wcPage(t, h, &coord, romanian[0], http.StatusOK)
	if w := d.Find(`#mediator-warning[role="status"]`); w.Length() != 1 || !strings.Contains(w.Text(), "Rumänisch") {
		t.Errorf("Romanian family: warning %q", w.Text())
	}

	// A garbled code is refused, the old languages stay.
	snPost(t, h, &med, "/profile/languages", url.Values{"languages": {"ar", "X1"}}, http.StatusUnprocessableEntity)
	if n := snCount(t, h, "SELECT count(*) FROM org.mediator_languages WHERE user_id = ?", medID); n != 2 {
		t.Errorf("%d languages after a refused change, want 2", n)
	}
}

func TestVisitPagesForbiddenToOtherRoles(t *testing.T) {
	h, ids := vsSetup(t)
	day, _ := vsDay(t)
	for _, role := range []models.Role{models.RoleEvaluator, models.RolePoliceLiaison, models.RoleAdmin, models.RoleDPO} {
		ws := h.signIn(role)
		for _, r := range []struct {
			method, path string
			form         url.Values
		}{
			{"GET", "/visits", nil},
			{"POST", "/participants/" + ids[0] + "/visits", vsForm(day, "09:00", "10:00", "follow_up")},
			{"GET", "/profile/languages", nil},
		} {
			resp := h.web(r.method, r.path, &ws, r.form)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", role, r.method, r.path, resp.StatusCode)
			}
		}
		if d := snGet(t, h, &ws, "/profile", http.StatusOK); d.Find(`a[href="/visits"], #mediator-languages`).Length() != 0 {
			t.Errorf("%s sees visit links or mediator languages", role)
		}
	}
	if n := snCount(t, h, "SELECT count(*) FROM prevention.visits"); n != 0 {
		t.Errorf("%d visits stored by roles without access", n)
	}
	// Case staff may not edit a mediator's languages.
	sw := h.signIn(models.RoleSocialWorker)
	resp := h.web("POST", "/profile/languages", &sw, url.Values{"languages": {"ar"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("social worker POST /profile/languages: %d", resp.StatusCode)
	}
	if d := snGet(t, h, &sw, "/", http.StatusOK); d.Find(`a#nav-visits[href="/visits"]`).Length() != 1 {
		t.Error("social worker's navigation lacks the visits link")
	}
}
