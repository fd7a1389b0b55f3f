package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// Web pages of the casework over time (issue 5): dashboard, quick session
// form, goals, reviews, extensions, closing interview and the measure
// catalogue, on the demo cases (with the demo catalogue).

// snSetup is a server on the demo cases, with the active children of the
// demo social worker.
func snSetup(t *testing.T) (*harness, []string) {
	t.Helper()
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	active := demoIDs(t, h, models.StatusActive)
	if len(active) < 2 {
		t.Fatalf("demo data has %d active children, want 2", len(active))
	}
	return h, active
}

// snGet opens a page and expects status.
func snGet(t *testing.T, h *harness, ws *webSession, path string, status int) *goquery.Document {
	t.Helper()
	resp := h.web("GET", path, ws, nil)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, status)
	}
	return doc(t, resp)
}

// snPost submits a form and expects status; the answer's document is
// returned for 4xx answers (nil for redirects).
func snPost(t *testing.T, h *harness, ws *webSession, path string, form url.Values, status int) *goquery.Document {
	t.Helper()
	resp := h.web("POST", path, ws, form)
	if resp.StatusCode != status {
		body := readAll(t, resp)
		t.Fatalf("POST %s: %d, want %d\n%.600s", path, resp.StatusCode, status, body)
	}
	if status == http.StatusSeeOther {
		resp.Body.Close()
		return nil
	}
	return doc(t, resp)
}

func snCaseNumber(t *testing.T, h *harness, id string) string {
	t.Helper()
	var cn string
	if err := h.db.Gorm.Raw("SELECT case_number FROM prevention.participants WHERE id = ?", id).Scan(&cn).Error; err != nil || cn == "" {
		t.Fatalf("case number of %s: %v", id, err)
	}
	return cn
}

func snCount(t *testing.T, h *harness, query string, args ...any) (n int64) {
	t.Helper()
	if err := h.db.Gorm.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// snSessionForm is a complete quick form from the form's own defaults:
// measure and date as offered, the first module of that measure.
func snSessionForm(t *testing.T, d *goquery.Document, att map[string]string) url.Values {
	t.Helper()
	measure := d.Find(`#type option[selected]`).AttrOr("value", "")
	if measure == "" {
		t.Fatal("session form: no measure preselected")
	}
	module := d.Find(`#module option[value^="`+measure+`/"]`).First().AttrOr("value", "")
	f := url.Values{"type": {measure}, "module": {module}, "date": {d.Find("#date").AttrOr("value", "")},
		"time": {"07:30"}, "duration_minutes": {d.Find("#duration_minutes").AttrOr("value", "")},
		"staff_ids": {d.Find(`input[type="hidden"][name="staff_ids"]`).AttrOr("value", "")}}
	for id, a := range att {
		f.Add("participant_ids", id)
		f.Set("attendance_"+id, a)
	}
	return f
}

func TestDashboardShowsWhatNeedsAttention(t *testing.T) {
	h, active := snSetup(t)
	sw, coord := h.signIn(models.RoleSocialWorker), h.signIn(models.RoleCoordinator)
	pending := demoIDs(t, h, models.StatusConsentPending)
	if len(pending) == 0 {
		t.Fatal("demo data has no consent_pending child")
	}

	before := auditCount(t, h, models.AuditParticipantList)
	d := snGet(t, h, &sw, "/", http.StatusOK)
	if auditCount(t, h, models.AuditParticipantList) != before+1 {
		t.Error("dashboard listing not audited once")
	}
	if d.Find(`a#record-session[href="/sessions/new"]`).Length() != 1 || d.Find("#home-caseload").Length() != 1 {
		t.Error("dashboard lacks the record-session or caseload link")
	}
	if d.Find(`#dash-consent-missing li[data-id="`+pending[0]+`"] .case-link`).Text() != snCaseNumber(t, h, pending[0]) {
		t.Errorf("consent-pending child not listed as missing consent: %q", d.Find("#dash-consent-missing").Text())
	}
	if d.Find(`#dash-consent-missing li[data-id="`+active[1]+`"]`).Length() != 0 {
		t.Error("an active child with valid consent is listed as missing consent")
	}
	if d.Find(`#dash-reviews-list li[data-id="`+active[1]+`"]`).Length() != 0 || d.Find(`#dash-ending-list li[data-id="`+active[1]+`"]`).Length() != 0 {
		t.Fatal("a child activated recently is listed as overdue or ending")
	}
	if d.Find("#dash-caseload").Length() != 0 {
		t.Error("social worker sees the caseload per social worker")
	}

	// Active for almost a year without a review: overdue, and the program
	// period ends within 30 days.
	if err := h.db.Gorm.Exec("UPDATE prevention.participants SET activated_on = current_date - 350 WHERE id = ?", active[1]).Error; err != nil {
		t.Fatal(err)
	}
	h.db.Gorm.Exec("DELETE FROM prevention.reviews WHERE participant_id = ?", active[1])
	d = snGet(t, h, &sw, "/", http.StatusOK)
	cn := snCaseNumber(t, h, active[1])
	if got := d.Find(`#dash-reviews-list li[data-id="` + active[1] + `"] .case-link`); got.Text() != cn || got.AttrOr("href", "") != "/participants/"+active[1] {
		t.Errorf("overdue review not listed: %q", d.Find("#dash-reviews").Text())
	}
	if d.Find(`#dash-ending-list li[data-id="`+active[1]+`"]`).Length() != 1 {
		t.Errorf("program end not listed: %q", d.Find("#dash-ending").Text())
	}

	// Coordinators also see the caseload per social worker.
	d = snGet(t, h, &coord, "/", http.StatusOK)
	swID := wcStaffID(t, h, models.RoleSocialWorker)
	open := snCount(t, h, `SELECT count(DISTINCT p.id) FROM prevention.participants p JOIN prevention.assignments a ON a.participant_id = p.id
		WHERE a.user_id = ? AND a.kind = 'social_worker' AND a.until_on IS NULL AND p.status IN ('referred','contacted','consent_pending','active')`, swID)
	row := d.Find(`#dash-caseload tr.worker-load[data-id="` + swID + `"]`)
	if open == 0 || row.Find(".load-open").Text() != itoa(open) || row.Find(".load-active").Text() != itoa(int64(len(active))) {
		t.Errorf("caseload row %q, want %d open, %d active", row.Text(), open, len(active))
	}
	if d.Find(`#home-intake`).Length() != 1 || d.Find(`#dash-reviews-list li[data-id="`+active[1]+`"]`).Length() != 1 {
		t.Error("coordinator dashboard lacks the intake link or the site's overdue review")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestSessionFormListsOnlyOwnActiveParticipants(t *testing.T) {
	h, active := snSetup(t)
	sw, coord := h.signIn(models.RoleSocialWorker), h.signIn(models.RoleCoordinator)
	listed := func(d *goquery.Document) map[string]bool {
		out := map[string]bool{}
		d.Find(`input[name="participant_ids"]`).Each(func(_ int, s *goquery.Selection) { out[s.AttrOr("value", "")] = true })
		return out
	}

	before := auditCount(t, h, models.AuditParticipantList)
	d := snGet(t, h, &sw, "/sessions/new?participant="+active[1], http.StatusOK)
	if auditCount(t, h, models.AuditParticipantList) != before+1 {
		t.Error("form listing not audited once")
	}
	got := listed(d)
	for _, id := range active {
		if !got[id] {
			t.Errorf("active child %s not offered", id)
		}
	}
	for _, st := range []models.Status{models.StatusReferred, models.StatusContacted, models.StatusConsentPending, models.StatusCompleted, models.StatusWithdrawn} {
		for _, id := range demoIDs(t, h, st) {
			if got[id] {
				t.Errorf("%s child %s offered", st, id)
			}
		}
	}
	if len(got) != len(active) {
		t.Errorf("form offers %d children, want the %d active ones", len(got), len(active))
	}
	// Defaults: the preselected child, attendance "attended", today, the
	// user as staff, 60 minutes, a measure.
	if _, ok := d.Find("#pick-" + active[1]).Attr("checked"); !ok {
		t.Error("?participant= did not tick the child")
	}
	if _, ok := d.Find("#pick-" + active[0]).Attr("checked"); ok {
		t.Error("a child not asked for is ticked")
	}
	if _, ok := d.Find("#att-" + active[0] + "-attended").Attr("checked"); !ok {
		t.Error("attendance does not default to attended")
	}
	if d.Find("#date").AttrOr("value", "") != wcDate(0, 0) || d.Find("#duration_minutes").AttrOr("value", "") != "60" ||
		d.Find(`input[type="hidden"][name="staff_ids"]`).AttrOr("value", "") != wcStaffID(t, h, models.RoleSocialWorker) {
		t.Errorf("defaults: date %q, duration %q", d.Find("#date").AttrOr("value", ""), d.Find("#duration_minutes").AttrOr("value", ""))
	}
	if d.Find(`#type option[selected]`).Length() != 1 || d.Find(`#module optgroup`).Length() == 0 {
		t.Error("no measure preselected or modules not grouped by measure")
	}

	// A child whose social-worker assignment ended leaves the worker's
	// form (also their search), but the coordinator finds it by its case
	// number. The coordinator's form never lists the site by itself.
	var assignment string
	h.db.Gorm.Raw("SELECT id FROM prevention.assignments WHERE participant_id = ? AND kind = 'social_worker'", active[1]).Scan(&assignment)
	snPost(t, h, &coord, "/assignments/"+assignment+"/end", url.Values{"until": {wcDate(0, -2)}, "participant": {active[1]}}, http.StatusSeeOther)
	cn := url.QueryEscape(snCaseNumber(t, h, active[1]))
	if listed(snGet(t, h, &sw, "/sessions/new", http.StatusOK))[active[1]] || listed(snGet(t, h, &sw, "/sessions/new?q="+cn, http.StatusOK))[active[1]] {
		t.Error("a child no longer assigned is still offered to the social worker")
	}
	if got := listed(snGet(t, h, &coord, "/sessions/new", http.StatusOK)); len(got) != 0 {
		t.Errorf("the coordinator's form lists %d children without a group or a search", len(got))
	}
	if got := listed(snGet(t, h, &coord, "/sessions/new?q="+cn, http.StatusOK)); !got[active[1]] || len(got) != 1 {
		t.Errorf("the coordinator's search by case number offers %v", got)
	}
}

func TestSessionGroupRecording(t *testing.T) {
	h, active := snSetup(t)
	sw := h.signIn(models.RoleSocialWorker)
	d := snGet(t, h, &sw, "/sessions/new", http.StatusOK)
	f := snSessionForm(t, d, map[string]string{active[0]: "attended", active[1]: "excused"})
	f.Set("notes", "Gruppe Web-Test\nZweite Zeile")
	f.Set("location", "Jugendtreff Nord")
	sessions := snCount(t, h, "SELECT count(*) FROM prevention.sessions")
	resp := h.web("POST", "/sessions", &sw, f)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("record: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if snCount(t, h, "SELECT count(*) FROM prevention.sessions") != sessions+1 {
		t.Fatal("no session stored")
	}
	var sid string
	h.db.Gorm.Raw("SELECT id FROM prevention.sessions ORDER BY created_at DESC LIMIT 1").Scan(&sid)

	// Back on the dashboard: the flash, and today's session with both cases.
	d = snGet(t, h, &sw, "/", http.StatusOK)
	if !strings.Contains(d.Find(".flash").Text(), "Termin wurde gespeichert") {
		t.Errorf("flash %q", d.Find(".flash").Text())
	}
	line := d.Find(`#dash-today li.session-line[data-id="` + sid + `"]`)
	for _, id := range active[:2] {
		if line.Find(`a[href="/participants/`+id+`"]`).Text() != snCaseNumber(t, h, id) {
			t.Errorf("today's session does not link case %s: %q", id, line.Text())
		}
	}
	if !strings.Contains(line.Find(".when").Text(), "07:30") {
		t.Errorf("session time %q", line.Find(".when").Text())
	}

	// Each case page lists the session with that child's own attendance.
	for i, want := range []string{"attended", "excused"} {
		item := wcPage(t, h, &sw, active[i], http.StatusOK).Find(`#case-sessions-list li.case-session[data-id="` + sid + `"]`)
		if item.AttrOr("data-attendance", "") != want {
			t.Errorf("child %d: attendance %q, want %q", i, item.AttrOr("data-attendance", ""), want)
		}
		if item.Find(".session-note").Text() != "Gruppe Web-Test" {
			t.Errorf("child %d: note %q, want the first line", i, item.Find(".session-note").Text())
		}
	}
	if auditCount(t, h, models.AuditSessionCreate) != 1 {
		t.Error("session creation not audited once")
	}
}

func TestSessionRefusedKeepsInput(t *testing.T) {
	h, active := snSetup(t)
	sw := h.signIn(models.RoleSocialWorker)
	pending := demoIDs(t, h, models.StatusConsentPending)
	// A second parent with custody who has not signed: consent is missing,
	// the child stays active.
	resp := h.api("POST", "/api/v1/participants/"+active[1]+"/guardians", h.token(models.RoleSocialWorker),
		`{"first_name":"Neu","last_name":"Vormund-Demo","relationship":"legal_guardian","has_custody":true,"languages":["de"]}`)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add guardian: %d", resp.StatusCode)
	}
	d := snGet(t, h, &sw, "/sessions/new", http.StatusOK)
	if d.Find(`li.pick-row[data-id="`+active[1]+`"] .pick-warning`).Length() != 1 || d.Find(`li.pick-row[data-id="`+active[0]+`"] .pick-warning`).Length() != 0 {
		t.Error("missing consent not marked (only) on the child without it")
	}

	f := snSessionForm(t, d, map[string]string{active[0]: "attended", active[1]: "absent", pending[0]: "attended"})
	f.Set("location", "Turnhalle")
	f.Set("notes", "Bleibt stehen")
	f.Set("mediator_present", "1")
	sessions := snCount(t, h, "SELECT count(*) FROM prevention.sessions")
	d = snPost(t, h, &sw, "/sessions", f, http.StatusUnprocessableEntity)
	alert := d.Find("#session-alert").Text()
	for _, id := range []string{active[1], pending[0]} {
		if !strings.Contains(alert, snCaseNumber(t, h, id)) {
			t.Errorf("alert does not name %s: %q", snCaseNumber(t, h, id), alert)
		}
	}
	if strings.Contains(alert, snCaseNumber(t, h, active[0])) {
		t.Errorf("alert names the child without a problem: %q", alert)
	}
	if snCount(t, h, "SELECT count(*) FROM prevention.sessions") != sessions || auditCount(t, h, models.AuditSessionCreate) != 0 {
		t.Error("a refused session was stored")
	}
	for _, id := range active[:2] {
		if _, ok := d.Find("#pick-" + id).Attr("checked"); !ok {
			t.Errorf("tick of %s not kept", id)
		}
	}
	if _, ok := d.Find("#att-" + active[1] + "-absent").Attr("checked"); !ok {
		t.Error("attendance choice not kept")
	}
	if d.Find("#location").AttrOr("value", "") != "Turnhalle" || d.Find("#notes").Text() != "Bleibt stehen" ||
		d.Find("#time").AttrOr("value", "") != "07:30" || d.Find(`#type option[selected]`).AttrOr("value", "") != f.Get("type") ||
		d.Find(`#module option[selected]`).AttrOr("value", "") != f.Get("module") {
		t.Error("typed fields not kept")
	}
	if _, ok := d.Find("#mediator_present").Attr("checked"); !ok {
		t.Error("mediator checkbox not kept")
	}

	// A module of another measure is refused next to the module field.
	other := d.Find(`#module option[value]:not([value^="`+f.Get("type")+`/"])`).Last().AttrOr("value", "")
	if other == "" {
		t.Fatal("no module of another measure in the form")
	}
	f = snSessionForm(t, d, map[string]string{active[0]: "attended"})
	f.Set("module", other)
	d = snPost(t, h, &sw, "/sessions", f, http.StatusUnprocessableEntity)
	if d.Find("#module-error").Length() != 1 || d.Find(`#module[aria-invalid="true"]`).Length() != 1 {
		t.Error("module of another measure not flagged")
	}
	// Nothing ticked.
	f = snSessionForm(t, d, nil)
	if snPost(t, h, &sw, "/sessions", f, http.StatusUnprocessableEntity).Find("#participant_ids-error").Length() != 1 {
		t.Error("no error when no child is ticked")
	}
}

func TestSessionPagesClosedToMediatorsAndEvaluators(t *testing.T) {
	h, active := snSetup(t)
	sw := h.signIn(models.RoleSocialWorker)
	routes := []struct{ method, path string }{
		{"GET", "/sessions/new"}, {"POST", "/sessions"}, {"GET", "/measures"}, {"POST", "/measures"},
		{"POST", "/measures/social_skills/modules"}, {"GET", "/participants/" + active[0] + "/closing"},
		{"POST", "/participants/" + active[0] + "/closing"}, {"POST", "/participants/" + active[0] + "/goals"},
		{"POST", "/participants/" + active[0] + "/reviews"}, {"POST", "/participants/" + active[0] + "/extensions"},
	}
	for _, role := range []models.Role{models.RoleMediator, models.RoleEvaluator} {
		ws := h.signIn(role)
		for _, r := range routes {
			var form url.Values
			if r.method == "POST" {
				form = url.Values{"participant_ids": {active[0]}, "code": {"x_y"}}
			}
			resp := h.web(r.method, r.path, &ws, form)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", role, r.method, r.path, resp.StatusCode)
			}
		}
		if d := snGet(t, h, &ws, "/", http.StatusOK); d.Find(`a[href^="/sessions"], a[href="/measures"]`).Length() != 0 {
			t.Errorf("%s start page links to sessions or measures", role)
		}
	}
	// The mediator's case page has none of the casework sections; the
	// social worker's has them all.
	sections := "#case-sessions, #case-goals, #case-reviews, #case-program, #case-closing"
	if n := wcPage(t, h, &sw, active[0], http.StatusOK).Find(sections).Length(); n != 5 {
		t.Fatalf("social worker's case page has %d of 5 casework sections", n)
	}
	med := h.signIn(models.RoleMediator)
	d := wcPage(t, h, &med, active[0], http.StatusOK)
	if d.Find(sections).Length() != 0 || d.Find(`a[href^="/sessions/new"], form[action^="/goals/"]`).Length() != 0 {
		t.Error("mediator's case page shows casework over time")
	}
	if strings.Contains(d.Text(), "Demo: Konflikte ohne Gewalt") || strings.Contains(d.Text(), "Rollenspiele") {
		t.Error("mediator's case page shows a goal or session note")
	}
}

func TestClosingForm(t *testing.T) {
	h, active := snSetup(t)
	sw := h.signIn(models.RoleSocialWorker)
	id := active[0]
	d := snGet(t, h, &sw, "/participants/"+id+"/closing", http.StatusOK)
	version := d.Find(`input[name="version"]`).AttrOr("value", "")
	var goals []string
	d.Find(`select[name^="goal_"]`).Each(func(_ int, s *goquery.Selection) { goals = append(goals, s.AttrOr("name", "")) })
	if version == "" || len(goals) == 0 {
		t.Fatalf("closing form: version %q, %d goals", version, len(goals))
	}
	status := func() string {
		var s string
		h.db.Gorm.Raw("SELECT status FROM prevention.participants WHERE id = ?", id).Scan(&s)
		return s
	}
	form := func(v string) url.Values {
		f := url.Values{"version": {v}, "ended_on": {wcDate(0, 0)}, "outcome": {"completed"}, "handover": {"school"},
			"assessment": {"Gute Entwicklung, Schule übernimmt."}}
		for _, g := range goals {
			f.Set(g, "partly_achieved")
		}
		return f
	}

	// A goal without outcome: 422, input kept, nothing changed.
	f := form(version)
	f.Del(goals[0])
	d = snPost(t, h, &sw, "/participants/"+id+"/closing", f, http.StatusUnprocessableEntity)
	if d.Find("#outcomes-error").Length() != 1 || d.Find("#assessment").Text() != "Gute Entwicklung, Schule übernimmt." {
		t.Error("422 without the goal error or the typed assessment")
	}
	if status() != "active" || snCount(t, h, "SELECT count(*) FROM prevention.closings WHERE participant_id = ?", id) != 0 {
		t.Fatal("a refused closing changed the case")
	}

	// A stale version: 409, everything kept, the current version offered.
	bad, _ := strconv.Atoi(version)
	d = snPost(t, h, &sw, "/participants/"+id+"/closing", form(strconv.Itoa(bad-1)), http.StatusConflict)
	if !strings.Contains(d.Find("#form-alert").Text(), "von jemand anderem geändert") {
		t.Errorf("conflict alert %q", d.Find("#form-alert").Text())
	}
	if d.Find("#assessment").Text() != "Gute Entwicklung, Schule übernimmt." || d.Find(`#handover option[selected]`).AttrOr("value", "") != "school" ||
		d.Find(`select[name="`+goals[0]+`"] option[selected]`).AttrOr("value", "") != "partly_achieved" {
		t.Error("409 lost the typed input")
	}
	if _, ok := d.Find("#outcome-completed").Attr("checked"); !ok {
		t.Error("409 lost the outcome choice")
	}
	if status() != "active" {
		t.Fatal("a stale closing changed the case")
	}
	current := d.Find(`input[name="version"]`).AttrOr("value", "")
	if current != version {
		t.Errorf("409 offers version %q, want the current %q", current, version)
	}

	// Saved: the child is completed, the page shows the closing.
	snPost(t, h, &sw, "/participants/"+id+"/closing", form(current), http.StatusSeeOther)
	if status() != "completed" {
		t.Fatalf("status after closing %q", status())
	}
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if wcStatusOf(d) != "completed" || d.Find("#closing-handover").Text() != "Schule" || d.Find("#closing-link").Length() != 0 {
		t.Errorf("closed case page: status %q, handover %q", wcStatusOf(d), d.Find("#closing-handover").Text())
	}
	if d.Find(`#goals .goal-outcome`).First().Text() != "Teilweise erreicht" {
		t.Errorf("goal outcome %q", d.Find(`#goals .goal-outcome`).First().Text())
	}
	if auditCount(t, h, models.AuditCaseClose) != 1 {
		t.Error("closing not audited")
	}
	// The form of a closed case leads back to the case.
	resp := h.web("GET", "/participants/"+id+"/closing", &sw, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("closing form of a closed case: %d", resp.StatusCode)
	}

	// Ending early needs a reason.
	h.db.Gorm.Raw("SELECT version FROM prevention.participants WHERE id = ?", active[1]).Scan(&bad)
	f = url.Values{"version": {strconv.Itoa(bad)}, "ended_on": {wcDate(0, 0)}, "outcome": {"ended_early"}, "handover": {"none"}}
	var other []string
	h.db.Gorm.Raw("SELECT id FROM prevention.goals WHERE participant_id = ?", active[1]).Scan(&other)
	for _, g := range other {
		f.Set("goal_"+g, "not_achieved")
	}
	d = snPost(t, h, &sw, "/participants/"+active[1]+"/closing", f, http.StatusUnprocessableEntity)
	if d.Find("#end_reason-error").Length() != 1 {
		t.Error("ending early without a reason not flagged")
	}
	f.Set("end_reason", "moved")
	snPost(t, h, &sw, "/participants/"+active[1]+"/closing", f, http.StatusSeeOther)
	var st string
	h.db.Gorm.Raw("SELECT status FROM prevention.participants WHERE id = ?", active[1]).Scan(&st)
	if st != "ended_early" {
		t.Errorf("status %q, want ended_early", st)
	}
}

func TestGoalReviewAndExtensionForms(t *testing.T) {
	h, active := snSetup(t)
	sw := h.signIn(models.RoleSocialWorker)
	id := active[0]
	base := "/participants/" + id

	snPost(t, h, &sw, base+"/goals", url.Values{"title": {"Pünktlich zur Schule"}, "target_on": {wcDate(0, 60)}}, http.StatusSeeOther)
	d := wcPage(t, h, &sw, id, http.StatusOK)
	goal := d.Find("#goals li.goal").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find(".goal-title").Text() == "Pünktlich zur Schule"
	})
	gid, version := goal.AttrOr("data-id", ""), goal.Find(`input[name="version"]`).AttrOr("value", "")
	if gid == "" || !strings.Contains(goal.Text(), deDate(wcDate(0, 60))) {
		t.Fatalf("new goal not listed: %q", d.Find("#goals").Text())
	}
	// An empty title is refused on the case page, the date kept.
	d = snPost(t, h, &sw, base+"/goals", url.Values{"title": {" "}, "target_on": {wcDate(0, 30)}}, http.StatusUnprocessableEntity)
	if d.Find("#goal-title-error").Length() != 1 || d.Find("#goal-target").AttrOr("value", "") != wcDate(0, 30) {
		t.Error("refused goal: no error or date lost")
	}

	snPost(t, h, &sw, "/goals/"+gid, url.Values{"progress": {"achieved"}, "version": {version}}, http.StatusSeeOther)
	if p := wcPage(t, h, &sw, id, http.StatusOK).Find(`#goals li.goal[data-id="`+gid+`"]`).AttrOr("data-progress", ""); p != "achieved" {
		t.Errorf("progress %q", p)
	}
	snPost(t, h, &sw, "/goals/"+gid, url.Values{"progress": {"dropped"}, "version": {version}}, http.StatusConflict)

	// Reviews: a date in the future is refused with the notes kept.
	d = snPost(t, h, &sw, base+"/reviews", url.Values{"held_on": {wcDate(0, 3)}, "notes": {"Schule einbezogen"}}, http.StatusUnprocessableEntity)
	if d.Find("#review-held-on-error").Length() != 1 || d.Find("#review-notes").Text() != "Schule einbezogen" {
		t.Error("refused review: no error or notes lost")
	}
	snPost(t, h, &sw, base+"/reviews", url.Values{"held_on": {wcDate(0, 0)}, "notes": {"Schule einbezogen"}}, http.StatusSeeOther)
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if d.Find("#review-last").Text() != deDate(wcDate(0, 0)) || d.Find("#review-last time").AttrOr("datetime", "") != wcDate(0, 0) || !strings.Contains(d.Find("#reviews").Text(), "Schule einbezogen") {
		t.Errorf("review not shown: last %q", d.Find("#review-last").Text())
	}

	// Extensions need a reason; each adds six months.
	end := d.Find("#program-end").Text()
	snPost(t, h, &sw, base+"/extensions", url.Values{"reason": {""}}, http.StatusUnprocessableEntity)
	snPost(t, h, &sw, base+"/extensions", url.Values{"reason": {"Familie braucht mehr Zeit"}}, http.StatusSeeOther)
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if d.Find("#program-extensions").Text() != "1" || d.Find("#program-end").Text() == end {
		t.Errorf("extension: count %q, end %q (was %q)", d.Find("#program-extensions").Text(), d.Find("#program-end").Text(), end)
	}
	for action, want := range map[string]int64{models.AuditGoalCreate: 1, models.AuditGoalUpdate: 1, models.AuditReviewRecord: 1, models.AuditProgramExtend: 1} {
		if got := auditCount(t, h, action); got != want {
			t.Errorf("%s audited %d times, want %d", action, got, want)
		}
	}
}

func TestMeasureCatalogueForms(t *testing.T) {
	h, _ := snSetup(t)
	coord, sw := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker)
	d := snGet(t, h, &coord, "/measures", http.StatusOK)
	if n := snCount(t, h, "SELECT count(*) FROM prevention.measures"); n == 0 || int64(d.Find("section.measure").Length()) != n {
		t.Fatalf("catalogue page lists %d of %d measures", d.Find("section.measure").Length(), n)
	}
	names := url.Values{"name_de": {"Aufsuchende Arbeit"}, "name_en": {"Street work"}, "name_tr": {"Sokak çalışması"}, "name_ar": {"العمل الميداني"}}
	form := func(code string, kv ...string) url.Values {
		f := url.Values{"code": {code}, "active": {"1"}}
		for k, v := range names {
			f[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	// A bad code: 422 on the new-measure form, names kept.
	d = snPost(t, h, &coord, "/measures", form("Bad-Code"), http.StatusUnprocessableEntity)
	if d.Find("#new-code-error").Length() != 1 || d.Find("#new-name_ar").AttrOr("value", "") != "العمل الميداني" {
		t.Error("bad code: no error on the new form, or names lost")
	}
	snPost(t, h, &coord, "/measures", form("street_work", "group_format", "1"), http.StatusSeeOther)
	snPost(t, h, &coord, "/measures/street_work/modules", form("park", "name_de", "Park"), http.StatusSeeOther)
	d = snGet(t, h, &coord, "/measures", http.StatusOK)
	m := d.Find("section#measure-street_work")
	if m.Find(`dd[lang="ar"]`).Text() != "العمل الميداني" || m.Find(`tr.module[data-code="park"] td[lang="de"]`).Text() != "Park" {
		t.Errorf("new measure or module not listed: %q", m.Text())
	}
	// A module without names is refused on that measure's module form.
	d = snPost(t, h, &coord, "/measures/street_work/modules", url.Values{"code": {"bench"}}, http.StatusUnprocessableEntity)
	if d.Find("#module-street_work-name_de-error").Length() != 1 || d.Find("#measure-street_work details.module-edit[open]").Length() != 1 {
		t.Error("refused module: error not on its form")
	}

	// Offered in the quick form with its module, until made inactive.
	d = snGet(t, h, &sw, "/sessions/new", http.StatusOK)
	if d.Find(`#type option[value="street_work"]`).Length() != 1 || d.Find(`#module option[value="street_work/park"]`).Length() != 1 {
		t.Error("new measure not offered in the session form")
	}
	// Creating an existing code again overwrites nothing: 422 naming it.
	d = snPost(t, h, &coord, "/measures", form("street_work", "name_de", "Überschrieben"), http.StatusUnprocessableEntity)
	if msg := d.Find("#new-code-error").Text(); !strings.Contains(msg, "street_work") || !strings.Contains(msg, "Aufsuchende Arbeit") {
		t.Errorf("existing code: error %q", msg)
	}
	d = snPost(t, h, &coord, "/measures/street_work/modules", form("park", "name_de", "Überschrieben"), http.StatusUnprocessableEntity)
	if msg := d.Find("#module-street_work-code-error").Text(); !strings.Contains(msg, "park") {
		t.Errorf("existing module code: error %q", msg)
	}
	if n := snCount(t, h, "SELECT count(*) FROM prevention.measures m LEFT JOIN prevention.measure_modules mm ON mm.measure_id = m.id WHERE m.name_de = 'Überschrieben' OR mm.name_de = 'Überschrieben'"); n != 0 {
		t.Error("a create overwrote an existing entry")
	}
	// Editing is its own action.
	snPost(t, h, &coord, "/measures/street_work/modules/park", form("ignored", "name_de", "Parkanlage"), http.StatusSeeOther)
	if m := snGet(t, h, &coord, "/measures", http.StatusOK).Find(`section#measure-street_work tr.module[data-code="park"] td[lang="de"]`); m.Text() != "Parkanlage" {
		t.Errorf("module edit: %q", m.Text())
	}
	snPost(t, h, &coord, "/measures/street_work", form("street_work", "active", ""), http.StatusSeeOther)
	if snGet(t, h, &sw, "/sessions/new", http.StatusOK).Find(`#type option[value="street_work"]`).Length() != 0 {
		t.Error("inactive measure still offered")
	}
	if snGet(t, h, &coord, "/measures", http.StatusOK).Find(`section#measure-street_work[data-active="false"]`).Length() != 1 {
		t.Error("inactive measure not listed as inactive")
	}
	if got := auditCount(t, h, models.AuditMeasureSave); got != 4 {
		t.Errorf("catalogue changes audited %d times, want 4", got)
	}
}
