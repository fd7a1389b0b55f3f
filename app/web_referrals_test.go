package app_test

import (
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

// Referral and intake pages: a police liaison submits referrals through the
// form, a coordinator works them off the intake queue, and nothing of the
// police's own data crosses to the coordinator, nor anything of the case
// back to the police.

var (
	rfISODateRE    = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	rfGermanDateRE = regexp.MustCompile(`\d{1,2}\.\d{1,2}\.\d{4}`)
	rfMonthRE      = regexp.MustCompile(`^\d{2}/\d{4}$`)
)

// Police-only values of rfForm: none may show on a coordinator's page.
const (
	rfUnit    = "KK 12 Essen-Mitte"
	rfOfficer = "KHK Ottokar Beispiel"
	rfNote    = "Geheime Polizeinotiz"
)

// rfForm is a complete referral form; kv override fields.
func rfForm(first, last, ref string, kv ...string) url.Values {
	f := url.Values{"first_name": {first}, "last_name": {last}, "date_of_birth": {wcDay(-10)}, "gender": {"male"},
		"site": {"ES"}, "reason_category": {"violence"}, "police_reference": {ref}, "referring_unit": {rfUnit},
		"officer_name": {rfOfficer}, "guardian_name": {"Sabine " + last}, "guardian_phone": {"0201 5550123"},
		"notes": {rfNote + " zu " + first}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// rfSubmit posts a referral as the police liaison and expects the redirect
// to the list.
func rfSubmit(t *testing.T, h *harness, police *webSession, form url.Values) {
	t.Helper()
	resp := h.web("POST", "/referrals", police, form)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/referrals" {
		t.Fatalf("submit referral: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// rfGet opens a page and expects status.
func rfGet(t *testing.T, h *harness, ws *webSession, path string, status int) *goquery.Document {
	t.Helper()
	resp := h.web("GET", path, ws, nil)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, status)
	}
	return doc(t, resp)
}

// rfFeedback maps police reference to the status (code and text) the
// police list shows.
func rfFeedback(d *goquery.Document) map[string][2]string {
	out := map[string][2]string{}
	d.Find("#referrals tr.referral").Each(func(_ int, s *goquery.Selection) {
		out[strings.TrimSpace(s.Find(".referral-reference").Text())] = [2]string{s.AttrOr("data-status", ""),
			strings.TrimSpace(s.Find(".referral-status").Text())}
	})
	return out
}

// rfQueue maps the names in the intake queue to their referral ids.
func rfQueue(t *testing.T, h *harness, coord *webSession) map[string]string {
	t.Helper()
	out := map[string]string{}
	rfGet(t, h, coord, "/intake", http.StatusOK).Find("#intake a.intake-link").Each(func(_ int, s *goquery.Selection) {
		out[s.Text()] = strings.TrimPrefix(s.AttrOr("href", ""), "/intake/")
	})
	return out
}

func TestWebReferralFlow(t *testing.T) {
	h := newHarness(t, app.Config{})
	police := h.signIn(models.RolePoliceLiaison)
	coord := h.signIn(models.RoleCoordinator)

	d := rfGet(t, h, &police, "/referrals", http.StatusOK)
	if d.Find("#referrals-empty").Length() != 1 || d.Find("#feedback-explained").Text() == "" {
		t.Error("empty list lacks its empty state or the feedback explanation")
	}
	if d.Find(`a[href="/referrals/new"]`).Length() == 0 {
		t.Error("list lacks the link to a new referral")
	}
	if v, _ := d.Find("#nav-referrals").Attr("aria-current"); v != "page" {
		t.Errorf("nav link current %q", v)
	}

	d = rfGet(t, h, &police, "/referrals/new", http.StatusOK)
	for _, sel := range []string{`input#first_name[required]`, `input#last_name[required]`, `input#date_of_birth[type="date"]`,
		`select#gender option[value="diverse"]`, `select#site option[value="ES"][selected]`, `select#site option[value="DU"]`,
		`select#reason_category option[value="property"]`, `input#police_reference[required]`, `input#referring_unit`,
		`input#officer_name`, `input#guardian_name`, `input#guardian_phone[type="tel"]`, `textarea#notes`,
		`form[action="/referrals"][method="post"] input[name="_csrf"][value]`} {
		if d.Find(sel).Length() == 0 {
			t.Errorf("referral form lacks %s", sel)
		}
	}
	// The form carries the session's token masked, another string on each
	// page (against BREACH), never the token itself.
	if v, _ := d.Find(`input[name="_csrf"]`).Attr("value"); v == "" || v == police.csrf {
		t.Errorf("referral form's CSRF field %q is the raw token or empty", v)
	}
	if !strings.Contains(d.Find("#police-only-hint").Text(), "nie") {
		t.Errorf("the form does not say that police data stays with the police: %q", d.Find("#police-only-hint").Text())
	}

	// A missing name: 422, the error at the field, all input kept, nothing stored.
	resp := h.web("POST", "/referrals", &police, rfForm("", "Muster", "KK-4711-A", "reason_category", "property", "site", "DU"))
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
	if d.Find("#form-alert").Length() != 1 {
		t.Error("no error summary")
	}
	if v, _ := d.Find("#last_name").Attr("value"); v != "Muster" {
		t.Errorf("last name not kept: %q", v)
	}
	if v, _ := d.Find("#police_reference").Attr("value"); v != "KK-4711-A" {
		t.Errorf("reference not kept: %q", v)
	}
	if got := d.Find("#notes").Text(); got != rfNote+" zu " {
		t.Errorf("notes not kept: %q", got)
	}
	if v := d.Find("#reason_category option[selected]").AttrOr("value", ""); v != "property" {
		t.Errorf("reason not kept: %q", v)
	}
	if v := d.Find("#site option[selected]").AttrOr("value", ""); v != "DU" {
		t.Errorf("site not kept: %q", v)
	}
	// An unreadable date says so, next to the other errors.
	resp = h.web("POST", "/referrals", &police, rfForm("Lena", "", "KK-4711-A", "date_of_birth", "10.03.2015"))
	d = doc(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(d.Find("#date_of_birth-error").Text(), "JJJJ-MM-TT") ||
		d.Find("#last_name-error").Length() != 1 {
		t.Errorf("bad date: %d, %q", resp.StatusCode, d.Find("#date_of_birth-error").Text())
	}
	if n := auditCount(t, h, models.AuditReferralCreate); n != 0 {
		t.Fatalf("rejected forms stored %d referrals", n)
	}

	rfSubmit(t, h, &police, rfForm("Lena", "Muster", "KK-4711-A"))
	rfSubmit(t, h, &police, rfForm("Tom", "Zweiter", "KK-4712-B", "reason_category", "property"))
	if n := auditCount(t, h, models.AuditReferralCreate); n != 2 {
		t.Errorf("submissions audited %d times", n)
	}

	// The police list: reference, status "received", the month only.
	resp = h.web("GET", "/referrals", &police, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if !strings.Contains(d.Find(".flash").Text(), "eingereicht") {
		t.Errorf("flash %q", d.Find(".flash").Text())
	}
	fb := rfFeedback(d)
	if len(fb) != 2 || fb["KK-4711-A"] != [2]string{"received", "Eingegangen"} || fb["KK-4712-B"] != [2]string{"received", "Eingegangen"} {
		t.Errorf("feedback %v", fb)
	}
	// The month the referral arrived (in Berlin), which the database
	// stamped: a test clock pinned to another day does not move it.
	var month string
	h.db.Gorm.Raw(`SELECT to_char(max(created_at) AT TIME ZONE 'Europe/Berlin', 'MM/YYYY') FROM enforcement.referrals`).Scan(&month)
	since := strings.TrimSpace(d.Find("#referrals .referral-since").First().Text())
	if !rfMonthRE.MatchString(since) || since != month {
		t.Errorf("since %q, want the month the referral arrived (%s) as MM/YYYY", since, month)
	}
	main := d.Find("main").Text()
	if m := rfISODateRE.FindString(main); m != "" {
		t.Errorf("police list shows a day: %q", m)
	}
	if m := rfGermanDateRE.FindString(main); m != "" {
		t.Errorf("police list shows a day: %q", m)
	}
	if strings.Contains(main, "Lena") || strings.Contains(main, "Muster") {
		t.Error("police list shows the child's name")
	}

	// The intake queue shows the referral with name, age and reason.
	d = rfGet(t, h, &coord, "/intake", http.StatusOK)
	if v, _ := d.Find("#nav-intake").Attr("aria-current"); v != "page" {
		t.Errorf("intake nav current %q", v)
	}
	row := d.Find(`#intake tr.intake-row`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Find(".intake-link").Text() == "Lena Muster"
	})
	if row.Length() != 1 {
		t.Fatalf("queue lacks the referral: %q", d.Find("#intake").Text())
	}
	if cells := row.Find("td"); cells.Eq(2).Text() != "10" || cells.Eq(3).Text() != "Gewaltdelikt" ||
		!rfISODateRE.MatchString(cells.Eq(0).Find("time").AttrOr("datetime", "")) || !rfGermanDateRE.MatchString(cells.Eq(0).Text()) {
		t.Errorf("queue row %q", row.Text())
	}
	queue := rfQueue(t, h, &coord)
	lena, tom := queue["Lena Muster"], queue["Tom Zweiter"]
	if len(lena) != 36 || len(tom) != 36 {
		t.Fatalf("queue %v", queue)
	}

	// One referral: identity and guardian contact, none of the police's own data.
	reads := auditCount(t, h, models.AuditReferralRead)
	resp = h.web("GET", "/intake/"+lena, &coord, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("intake page: %d", resp.StatusCode)
	}
	html := readAll(t, resp)
	d, _ = goquery.NewDocumentFromReader(strings.NewReader(html))
	if d.Find("#intake-first-name").Text() != "Lena" || d.Find("#intake-last-name").Text() != "Muster" ||
		d.Find("#intake-guardian-name").Text() != "Sabine Muster" || d.Find("#intake-reason").Text() != "Gewaltdelikt" {
		t.Errorf("intake details %q", d.Find("#intake-details dl").Text())
	}
	if d.Find(`#intake-guardian-phone a[href="tel:0201%205550123"]`).Text() != "0201 5550123" {
		t.Errorf("guardian phone %q", d.Find("#intake-guardian-phone").Text())
	}
	if d.Find("#intake-dob").Text() != deDate(wcDay(-10)) || d.Find("#intake-dob time").AttrOr("datetime", "") != wcDay(-10) {
		t.Errorf("date of birth %q", d.Find("#intake-dob").Text())
	}
	for _, secret := range []string{rfNote, rfOfficer, rfUnit, "KK-4711-A"} {
		if strings.Contains(html, secret) {
			t.Errorf("intake page shows police data %q", secret)
		}
	}
	for _, sel := range []string{`form#accept-form[action="/intake/` + lena + `/accept"] input[name="_csrf"]`,
		`form#decline-form[action="/intake/` + lena + `/decline"] input[name="_csrf"]`,
		`#decline-form select[name="reason"] option[value="outside_area"]`} {
		if d.Find(sel).Length() != 1 {
			t.Errorf("intake page lacks %s", sel)
		}
	}
	if v, _ := d.Find("#nav-intake").Attr("aria-current"); v != "true" {
		t.Errorf("intake nav current %q below /intake", v)
	}
	if n := auditCount(t, h, models.AuditReferralRead); n != reads+1 {
		t.Errorf("intake read audited %d times", n-reads)
	}
	rfGet(t, h, &coord, "/intake/00000000-0000-0000-0000-00000000abcd", http.StatusNotFound)

	// Accept: a new case with status referred, the contact copied, no police note.
	resp = h.web("POST", "/intake/"+lena+"/accept", &coord, url.Values{})
	resp.Body.Close()
	pid, ok := strings.CutPrefix(resp.Header.Get("Location"), "/participants/")
	if resp.StatusCode != http.StatusSeeOther || !ok || len(pid) != 36 {
		t.Fatalf("accept: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	d = wcPage(t, h, &coord, pid, http.StatusOK)
	if wcStatusOf(d) != "referred" || d.Find("h1 .case-name").Text() != "Lena Muster" {
		t.Errorf("new case: status %q, name %q", wcStatusOf(d), d.Find("h1 .case-name").Text())
	}
	if !strings.Contains(d.Find(".flash").Text(), "angenommen") {
		t.Errorf("flash %q", d.Find(".flash").Text())
	}
	if notes := d.Find("#case-notes").Text(); strings.Contains(notes, rfNote) {
		t.Errorf("case notes %q", notes)
	}
	// The guardian the police named, carried over, custody to confirm.
	if g := d.Find("#case-guardians .guardian-name").Text(); !strings.Contains(g, "Sabine Muster") || !strings.Contains(g, "Sorgerecht nicht bestätigt") {
		t.Errorf("guardian carried over: %q", g)
	}
	if d.Find("#case-guardians form.custody-form").Length() != 1 {
		t.Error("no form to confirm custody")
	}
	if got := d.Find("#family-phone").Text(); got != "0201 5550123" {
		t.Errorf("family phone %q", got)
	}
	if a, p := auditCount(t, h, models.AuditReferralAccept), auditCount(t, h, models.AuditParticipantCreate); a != 1 || p != 1 {
		t.Errorf("accept audited %d, participant creation %d", a, p)
	}
	queue = rfQueue(t, h, &coord)
	if _, still := queue["Lena Muster"]; still || queue["Tom Zweiter"] != tom {
		t.Errorf("queue after accepting %v", queue)
	}
	resp = h.web("POST", "/intake/"+lena+"/accept", &coord, url.Values{})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("second acceptance: %d", resp.StatusCode)
	}

	// Decline without a reason: 422 on the intake page, nothing decided.
	resp = h.web("POST", "/intake/"+tom+"/decline", &coord, url.Values{"reason": {"bored"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad decline reason: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if d.Find("#intake-alert").Length() != 1 || !strings.Contains(d.Find("#decline-reason-error").Text(), "Grund") ||
		d.Find("#decline-reason").AttrOr("aria-invalid", "") != "true" || d.Find("#intake-first-name").Text() != "Tom" {
		t.Errorf("decline error page: %q", d.Find("main").Text())
	}
	if _, still := rfQueue(t, h, &coord)["Tom Zweiter"]; !still || auditCount(t, h, models.AuditReferralDecline) != 0 {
		t.Error("a refused decline changed the queue")
	}
	resp = h.web("POST", "/intake/"+tom+"/decline", &coord, url.Values{"reason": {"outside_area"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/intake" {
		t.Fatalf("decline: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	d = rfGet(t, h, &coord, "/intake", http.StatusOK)
	if d.Find("#intake-empty").Length() != 1 || d.Find("#intake a.intake-link").Length() != 0 {
		t.Errorf("queue after declining %q", d.Find("main").Text())
	}
	if !strings.Contains(d.Find(".flash").Text(), "abgelehnt") {
		t.Errorf("flash %q", d.Find(".flash").Text())
	}
	if n := auditCount(t, h, models.AuditReferralDecline); n != 1 {
		t.Errorf("decline audited %d times", n)
	}

	// Without police_feedback consent the police learn nothing of either.
	fb = rfFeedback(rfGet(t, h, &police, "/referrals", http.StatusOK))
	if fb["KK-4711-A"] != [2]string{"received", "Eingegangen"} || fb["KK-4712-B"] != [2]string{"received", "Eingegangen"} {
		t.Errorf("feedback after intake %v", fb)
	}
}

// TestWebIntakeConflict: when another coordinator decides while the
// accept is under way, the page answers 409 with the referral and no case
// is opened.
func TestWebIntakeConflict(t *testing.T) {
	h := newHarness(t, app.Config{})
	police := h.signIn(models.RolePoliceLiaison)
	coord := h.signIn(models.RoleCoordinator)
	rfSubmit(t, h, &police, rfForm("Ida", "Konflikt", "KK-0815-C"))
	id := rfQueue(t, h, &coord)["Ida Konflikt"]
	if id == "" {
		t.Fatal("referral not in the queue")
	}

	// The other decision is written but not committed yet: the accept sees
	// the referral, then waits on the decision's key.
	tx := h.db.Gorm.Begin()
	defer tx.Rollback()
	if err := tx.Exec(`INSERT INTO prevention.intake_decisions (referral_id, site_id, decision, decline_reason, decided_by)
		SELECT r.id, r.site_id, 'declined', 'duplicate', ? FROM enforcement.referrals r WHERE r.id = ?`,
		wcStaffID(t, h, models.RoleCoordinator), id).Error; err != nil {
		t.Fatal(err)
	}
	done := make(chan *http.Response, 1)
	go func() { done <- h.web("POST", "/intake/"+id+"/accept", &coord, url.Values{}) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int64
		if err := h.db.Gorm.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).
			Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the accept never waited for the other decision")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	resp := <-done
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("concurrent accept: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	if !strings.Contains(d.Find("#intake-alert").Text(), "inzwischen") || d.Find("#intake-first-name").Text() != "Ida" ||
		d.Find("#accept-form, #decline-form").Length() != 0 {
		t.Errorf("conflict page %q", d.Find("main").Text())
	}
	if n := auditCount(t, h, models.AuditParticipantCreate); n != 0 {
		t.Errorf("a refused accept opened %d cases", n)
	}
	var cases int64
	if err := h.db.Gorm.Raw("SELECT count(*) FROM prevention.participants").Scan(&cases).Error; err != nil || cases != 0 {
		t.Errorf("participants after the refused accept: %d (%v)", cases, err)
	}
}

// TestWebReferralAccess: the referral pages are the police's, the intake
// pages the coordinators'; everyone else gets 403, and the police get no
// case page.
func TestWebReferralAccess(t *testing.T) {
	h := newHarness(t, app.Config{})
	others := []models.Role{models.RoleSocialWorker, models.RoleMediator, models.RoleEvaluator, models.RoleAdmin, models.RoleDPO}
	paths := []string{"/intake", "/referrals", "/referrals/new"}
	for _, role := range others {
		ws := h.signIn(role)
		for _, path := range paths {
			resp := h.web("GET", path, &ws, nil)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", role, path, resp.StatusCode)
			}
		}
		resp := h.web("POST", "/referrals", &ws, rfForm("Eva", "Fremd", "KK-1"))
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST /referrals: %d, want 403", role, resp.StatusCode)
		}
		if d := rfGet(t, h, &ws, "/", http.StatusOK); d.Find(`a[href="/intake"], a[href="/referrals"]`).Length() != 0 {
			t.Errorf("%s sees links to referral pages", role)
		}
	}
	if n := auditCount(t, h, models.AuditReferralCreate); n != 0 {
		t.Errorf("refused submissions stored %d referrals", n)
	}

	police := h.signIn(models.RolePoliceLiaison)
	for _, path := range []string{"/intake", "/participants", "/intake/00000000-0000-0000-0000-00000000abcd"} {
		resp := h.web("GET", path, &police, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("police GET %s: %d, want 403", path, resp.StatusCode)
		}
	}
	d := rfGet(t, h, &police, "/", http.StatusOK)
	if d.Find(`#home-referrals[href="/referrals"]`).Length() != 1 || d.Find(`#home-new-referral[href="/referrals/new"]`).Length() != 1 ||
		d.Find(`#nav-referrals`).Length() != 1 || d.Find(`a[href="/intake"], a[href="/participants"]`).Length() != 0 {
		t.Error("police start page: wrong links")
	}

	coord := h.signIn(models.RoleCoordinator)
	resp := h.web("GET", "/referrals", &coord, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("coordinator GET /referrals: %d, want 403", resp.StatusCode)
	}
	d = rfGet(t, h, &coord, "/", http.StatusOK)
	if d.Find(`#home-intake[href="/intake"]`).Length() != 1 || d.Find(`#nav-intake`).Length() != 1 || d.Find(`#nav-referrals`).Length() != 0 {
		t.Error("coordinator start page: wrong links")
	}
}
