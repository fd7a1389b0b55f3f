package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
	"kurve/models/dbtest"
)

// awGet fetches a page and checks its status.
func awGet(t *testing.T, h *harness, ws *webSession, path string, status int) *goquery.Document {
	t.Helper()
	return doc(t, expect(t, h.web("GET", path, ws, nil), status))
}

// awPost posts a form and checks the status; a redirect's target is
// returned, else "".
func awPost(t *testing.T, h *harness, ws *webSession, path string, form url.Values, status int) (*goquery.Document, string) {
	t.Helper()
	resp := expect(t, h.web("POST", path, ws, form), status)
	loc := resp.Header.Get("Location")
	return doc(t, resp), loc
}

// awForm reads the hidden fields of the form sel on a page (its CSRF
// token, submission key, version and whatever it posts again).
func awForm(t *testing.T, d *goquery.Document, sel string) url.Values {
	t.Helper()
	form := url.Values{}
	d.Find(sel + ` input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		form.Set(name, value)
	})
	if form.Get("_submission") == "" || form.Get("_csrf") == "" {
		t.Fatalf("%s: no form with CSRF token and submission key", sel)
	}
	return form
}

// awLinkPath is the path of the set-password link on the page that shows
// it once.
func awLinkPath(t *testing.T, d *goquery.Document) string {
	t.Helper()
	input := d.Find(`#admin-link-url`)
	raw, _ := input.Attr("value")
	if _, ro := input.Attr("readonly"); !ro || raw == "" {
		t.Fatalf("no readonly link on the page: %q", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || !strings.HasPrefix(u.Path, "/password/") {
		t.Fatalf("link %q", raw)
	}
	return u.Path
}

// awOpenLink opens a set-password link in a fresh browser: the page, and
// the anonymous session it opened for its form.
func awOpenLink(t *testing.T, h *harness, path string, hdr ...string) (*goquery.Document, webSession) {
	t.Helper()
	resp := expect(t, h.web("GET", path, nil, nil, hdr...), 200)
	if cc, rp := resp.Header.Get("Cache-Control"), resp.Header.Get("Referrer-Policy"); cc != "no-store" || rp != "no-referrer" {
		t.Errorf("set-password page: Cache-Control %q, Referrer-Policy %q", cc, rp)
	}
	c := cookieNamed(resp, "kurve_session")
	if c == nil {
		t.Fatal("the set-password page opened no session")
	}
	d := doc(t, resp)
	csrf, _ := d.Find(`#password-set-form input[name="_csrf"]`).Attr("value")
	if csrf == "" {
		t.Fatal("set-password form without CSRF token")
	}
	return d, webSession{cookie: c, csrf: csrf}
}

// awUser reads a user's row as the owner.
func awUser(t *testing.T, h *harness, id string) (name string, active bool, version int) {
	t.Helper()
	row := struct {
		Name    string
		Active  bool
		Version int
	}{}
	if err := h.db.Gorm.Raw("SELECT name, active, version FROM org.users WHERE id = ?", id).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	return row.Name, row.Active, row.Version
}

// awAssign has the coordinator open a case and assign the user to it
// from today on (through the API).
func awAssign(t *testing.T, h *harness, userID string) {
	t.Helper()
	coord := h.token(models.RoleCoordinator)
	p := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants", coord,
		`{"first_name":"Ada","last_name":"Zuweisungstest","date_of_birth":"2014-04-02","gender":"female","site":"ES"}`), 201))
	expect(t, h.api("POST", "/api/v1/participants/"+p["id"].(string)+"/assignments", coord,
		fmt.Sprintf(`{"user_id":%q,"kind":"social_worker","from":%q}`, userID, h.today())), 201).Body.Close()
}

// awCreateUser creates an account through the admin's form and returns
// its id and the path of its set-password link.
func awCreateUser(t *testing.T, h *harness, admin *webSession, email, name, lang string) (string, string) {
	t.Helper()
	resp := expect(t, h.web("POST", "/admin/users", admin, url.Values{"email": {email}, "name": {name}, "role": {"social_worker"},
		"site": {"ES"}, "language": {lang}}), http.StatusCreated)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("link page: Cache-Control %q", cc)
	}
	d := doc(t, resp)
	id, _ := d.Find("#admin-link-user").Attr("href")
	return strings.TrimPrefix(id, "/admin/users/"), awLinkPath(t, d)
}

// untranslatedRE finds a message ID shown instead of its text.
var untranslatedRE = regexp.MustCompile(`\b(admin|password_set|field|validation|role|home|error|problem|layout|nav|participant)\.[a-z_]+`)

// awTranslated fails when a page is not in lang or shows a message ID.
func awTranslated(t *testing.T, where string, d *goquery.Document, lang string) {
	t.Helper()
	if got, _ := d.Find("html").Attr("lang"); got != lang {
		t.Errorf("%s: lang %q, want %q", where, got, lang)
	}
	if dir, _ := d.Find("html").Attr("dir"); (lang == "ar") != (dir == "rtl") {
		t.Errorf("%s in %s: dir %q", where, lang, dir)
	}
	if m := untranslatedRE.FindString(d.Find("body").Text()); m != "" {
		t.Errorf("%s in %s: untranslated %q", where, lang, m)
	}
}

// TestAdminWebUsers: the admin creates a social worker through the form
// and hands over the one-time link; the set-password page refuses weak
// passwords with the reason, takes a good one, and the link is spent; the
// new user signs in. Deactivation asks before it ends an open assignment
// and then ends the user's session; the only admin cannot deactivate
// themselves; other roles never get in.
func TestAdminWebUsers(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	admin := h.signIn(models.RoleAdmin)

	home := awGet(t, h, &admin, "/", 200)
	if home.Find(`#home-users[href="/admin/users"]`).Length() != 1 || home.Find(`#home-sites[href="/admin/sites"]`).Length() != 1 {
		t.Error("no links to the user and site pages on the admin's start page")
	}
	if strings.Contains(home.Text(), "bald") {
		t.Error("the admin's start page still says the administration comes soon")
	}
	for _, role := range models.Roles {
		if role == models.RoleAdmin {
			continue
		}
		ws := h.signIn(role)
		for _, p := range []string{"/admin/users", "/admin/users/new", "/admin/sites"} {
			expect(t, h.web("GET", p, &ws, nil), http.StatusForbidden).Body.Close()
		}
		expect(t, h.web("POST", "/admin/users", &ws, url.Values{"email": {"x@es.kurve.example"}, "name": {"X"}, "role": {"admin"},
			"site": {"ES"}}), http.StatusForbidden).Body.Close()
	}

	// The list: every demo user, with role, site and second factor;
	// search, filters and pages.
	d := awGet(t, h, &admin, "/admin/users", 200)
	if n := d.Find("#admin-users tbody tr").Length(); n != len(models.Roles) {
		t.Errorf("%d users listed, want %d", n, len(models.Roles))
	}
	if d.Find(`#admin-user-new[href="/admin/users/new"]`).Length() != 1 {
		t.Error("no button for a new user")
	}
	row := d.Find(`#admin-users tbody tr`).FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.TrimSpace(s.Find(".user-email").Text()) == h.logins[models.RoleCoordinator]
	})
	if row.Find(".user-link").Text() != "Demo Koordination" || !strings.Contains(row.Text(), "Koordination") ||
		!strings.Contains(row.Text(), "ES") || row.Find(".user-active").Text() != "Ja" || row.Find(".user-totp").Text() != "Nicht eingerichtet" {
		t.Errorf("coordinator's row: %q", row.Text())
	}
	d = awGet(t, h, &admin, "/admin/users?q=KOORD", 200)
	if n := d.Find("#admin-users tbody tr").Length(); n != 1 || d.Find("#admin-users-q").AttrOr("value", "") != "KOORD" {
		t.Errorf("search: %d rows", n)
	}
	d = awGet(t, h, &admin, "/admin/users?role=dpo&site=es&active=true", 200)
	if n := d.Find("#admin-users tbody tr").Length(); n != 1 || d.Find(`#admin-users-role option[selected]`).AttrOr("value", "") != "dpo" {
		t.Errorf("role filter: %d rows", n)
	}
	d = awGet(t, h, &admin, "/admin/users?active=false", 200)
	if d.Find("#admin-users-empty").Length() != 1 {
		t.Error("no word that no deactivated user exists")
	}
	seen := map[string]bool{}
	next := "/admin/users?limit=3"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		d = awGet(t, h, &admin, next, 200)
		d.Find("#admin-users .user-email").Each(func(_ int, s *goquery.Selection) { seen[strings.TrimSpace(s.Text())] = true })
		next = d.Find("#admin-users-next").AttrOr("href", "")
		if next != "" && (!strings.Contains(next, "cursor=") || d.Find("#admin-users tbody tr").Length() != 3) {
			t.Errorf("next page link %q", next)
		}
		if pages > 0 && d.Find(`#admin-users-first`).Length() != 1 {
			t.Error("no link back to the first page")
		}
	}
	if len(seen) != len(models.Roles) {
		t.Errorf("paging showed %d users", len(seen))
	}
	resp := expect(t, h.web("GET", "/admin/users?role=boss", &admin, nil), http.StatusUnprocessableEntity)
	if d := doc(t, resp); d.Find("#admin-users-role-error").Text() == "" {
		t.Error("a bad role filter has no message")
	}

	// The form of a new user never asks for a password.
	d = awGet(t, h, &admin, "/admin/users/new", 200)
	if d.Find(`input[type="password"]`).Length() != 0 {
		t.Error("the admin is asked for a password")
	}
	for _, f := range []string{"email", "name", "role", "site", "language"} {
		id := d.Find(`#admin-user-form [name="`+f+`"]`).AttrOr("id", "")
		if id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("field %s has no label", f)
		}
	}
	if n := d.Find(`#site option[value!=""]`).Length(); n != 3 {
		t.Errorf("%d sites to choose from", n)
	}
	d, _ = awPost(t, h, &admin, "/admin/users", url.Values{"email": {"kein-at"}, "name": {" "}, "role": {"boss"}, "site": {"ES"}},
		http.StatusUnprocessableEntity)
	if d.Find("#name-error").Text() == "" || d.Find("#role-error").Text() == "" {
		t.Error("no messages at name and role")
	}
	d, _ = awPost(t, h, &admin, "/admin/users", url.Values{"email": {"kein-at"}, "name": {"Nora Lindqvist"}, "role": {"social_worker"},
		"site": {"XX"}}, http.StatusUnprocessableEntity)
	if d.Find("#email-error").Text() == "" || d.Find(`#name`).AttrOr("value", "") != "Nora Lindqvist" {
		t.Errorf("form errors: e-mail %q", d.Find("#email-error").Text())
	}

	// Created: the link, once, with its expiry and the hint to hand it
	// over personally.
	const email = "nora.lindqvist@es.kurve.example"
	resp = expect(t, h.web("POST", "/admin/users", &admin, url.Values{"email": {email}, "name": {"Nora Lindqvist"}, "role": {"social_worker"},
		"site": {"ES"}, "language": {"de"}}), http.StatusCreated)
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("link page: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	d = doc(t, resp)
	linkPath := awLinkPath(t, d)
	if d.Find("#admin-link-expires time").AttrOr("datetime", "") == "" || !strings.Contains(d.Find("#admin-link-once").Text(), "persönlich") {
		t.Errorf("link page: expiry %q, hint %q", d.Find("#admin-link-expires").Text(), d.Find("#admin-link-once").Text())
	}
	noraID := strings.TrimPrefix(d.Find("#admin-link-user").AttrOr("href", ""), "/admin/users/")
	if _, active, _ := awUser(t, h, noraID); !active || h.count("SELECT count(*) FROM org.users WHERE id = ? AND coalesce(password_hash, '') = ''", noraID) != 1 {
		t.Fatal("the new user is not active without a password")
	}
	d, _ = awPost(t, h, &admin, "/admin/users", url.Values{"email": {email}, "name": {"Doppelt"}, "role": {"social_worker"}, "site": {"ES"}},
		http.StatusUnprocessableEntity)
	if !strings.Contains(d.Find("#email-error").Text(), "schon ein Konto") {
		t.Errorf("duplicate e-mail: %q", d.Find("#email-error").Text())
	}

	// The set-password page states the rule before anything is typed and
	// refuses weak passwords with the reason at the field.
	d, nora := awOpenLink(t, h, linkPath)
	if rule := d.Find("#password-set-rule").Text(); !strings.Contains(rule, "12") || !strings.Contains(rule, "Namen") {
		t.Errorf("rule: %q", rule)
	}
	if d.Find("#password-set-account").Text() == "" || d.Find(`label[for="password"]`).Length() != 1 || d.Find(`label[for="password_repeat"]`).Length() != 1 {
		t.Error("set-password form without account or labels")
	}
	for _, c := range []struct{ password, repeat, field, text string }{
		{"kurz", "kurz", "password", "mindestens 12"},
		{"Lindqvist-Lerche-2026", "Lindqvist-Lerche-2026", "password", "Namen"},
		{"passwort1234", "passwort1234", "password", "zu erraten"},
		{"Lerche-Tapete-Nordwind-47", "Lerche-Tapete-Nordwind-48", "password_repeat", "nicht überein"},
	} {
		resp := h.web("POST", linkPath, &nora, url.Values{"password": {c.password}, "password_repeat": {c.repeat}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%q: status %d", c.password, resp.StatusCode)
			resp.Body.Close()
			continue
		}
		d := doc(t, resp)
		if d.Find("#"+c.field+`[aria-invalid="true"]`).Length() != 1 || !strings.Contains(d.Find("#"+c.field+"-error").Text(), c.text) {
			t.Errorf("%q: error %q", c.password, d.Find("#"+c.field+"-error").Text())
		}
	}
	if auditCount(t, h, models.AuditPasswordSet) != 0 {
		t.Fatal("a refused password was audited as set")
	}
	_, loc := awPost(t, h, &nora, linkPath, url.Values{"password": {"Lerche-Tapete-Nordwind-47"}, "password_repeat": {"Lerche-Tapete-Nordwind-47"}},
		http.StatusSeeOther)
	if loc != "/login" {
		t.Errorf("after setting the password: %q", loc)
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action = ? AND actor_id = ? AND object_id = ?", models.AuditPasswordSet, noraID, noraID); n != 1 {
		t.Errorf("%d audit entries of the password set by the user", n)
	}
	d = awGet(t, h, &nora, "/login", 200)
	if !strings.Contains(d.Find(".flash").Text(), "Passwort ist festgelegt") {
		t.Errorf("login page after setting the password: %q", d.Find(".flash").Text())
	}
	// Spent: a friendly 404 that says to ask for a new link.
	for _, method := range []string{"GET", "POST"} {
		var form url.Values
		if method == "POST" {
			form = url.Values{"password": {"Lerche-Tapete-Nordwind-99"}, "password_repeat": {"Lerche-Tapete-Nordwind-99"}}
		}
		resp := expect(t, h.web(method, linkPath, &nora, form), http.StatusNotFound)
		if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("spent link: headers %v", resp.Header)
		}
		if d := doc(t, resp); !strings.Contains(d.Find("#password-set-invalid").Text(), "Administration") {
			t.Errorf("%s spent link: %q", method, d.Find("main").Text())
		}
	}
	expect(t, h.web("GET", "/password/unbekannt", nil, nil), http.StatusNotFound).Body.Close()

	// The new user signs in with the new password.
	anon := openLoginPage(t, h)
	resp = expect(t, h.web("POST", "/login", &anon, loginForm(email, "Lerche-Tapete-Nordwind-47", "/")), http.StatusSeeOther)
	if resp.Header.Get("Location") != "/" {
		t.Fatalf("sign-in of the new user: %q", resp.Header.Get("Location"))
	}
	noraSession := webSession{cookie: cookieNamed(resp, "kurve_session")}
	resp.Body.Close()
	expect(t, h.web("GET", "/", &noraSession, nil), 200).Body.Close()

	// One open assignment: the admin sees the count, never the case.
	awAssign(t, h, noraID)
	d = awGet(t, h, &admin, "/admin/users/"+noraID, 200)
	if d.Find("#admin-user-open").AttrOr("data-count", "") != "1" || d.Find("#admin-user-open").Text() != "1 offene Zuweisung" ||
		strings.Contains(d.Text(), "Zuweisungstest") {
		t.Errorf("open assignments: %q", d.Find("#admin-user-open").Text())
	}
	if d.Find("#admin-user-totp-form").Length() != 0 || d.Find("#admin-user-link-form").Length() != 1 {
		t.Error("second factor reset offered without a second factor, or no new link")
	}
	_, _, version := awUser(t, h, noraID)

	// Deactivation asks first; nothing changes until confirmed.
	form := awForm(t, d, "#admin-user-active-form")
	if form.Get("active") != "false" || form.Get("version") != fmt.Sprint(version) {
		t.Fatalf("deactivation form %v", form)
	}
	d, _ = awPost(t, h, &admin, "/admin/users/"+noraID+"/active", form, 200)
	if txt := d.Find("#admin-confirm-text").Text(); !strings.Contains(txt, "1 offene Zuweisung endet heute") || !strings.Contains(txt, "Fachkraft") {
		t.Errorf("confirmation: %q", txt)
	}
	if d.Find(`#admin-confirm-cancel[href="/admin/users/`+noraID+`"]`).Length() != 1 {
		t.Error("no way back from the confirmation")
	}
	confirm := awForm(t, d, "#admin-confirm-form")
	if confirm.Get("end_assignments") != "1" || confirm.Get("active") != "false" || confirm.Get("version") != fmt.Sprint(version) ||
		d.Find("#admin-confirm-form").AttrOr("action", "") != "/admin/users/"+noraID+"/active" {
		t.Errorf("confirmation form %v", confirm)
	}
	if _, active, _ := awUser(t, h, noraID); !active {
		t.Fatal("deactivated before the confirmation")
	}
	expect(t, h.web("GET", "/", &noraSession, nil), 200).Body.Close()
	_, loc = awPost(t, h, &admin, "/admin/users/"+noraID+"/active", confirm, http.StatusSeeOther)
	if loc != "/admin/users/"+noraID {
		t.Errorf("after deactivation: %q", loc)
	}
	if _, active, _ := awUser(t, h, noraID); active {
		t.Fatal("not deactivated")
	}
	if n := h.count("SELECT count(*) FROM prevention.assignments WHERE user_id = ? AND (until_on IS NULL OR until_on >= ?::date)", noraID, h.today()); n != 0 {
		t.Errorf("%d assignments still open", n)
	}
	resp = expect(t, h.web("GET", "/", &noraSession, nil), http.StatusSeeOther)
	if !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("the deactivated user's session still works: %q", resp.Header.Get("Location"))
	}
	resp.Body.Close()
	d = awGet(t, h, &admin, "/admin/users/"+noraID, 200)
	if !strings.Contains(d.Find(".flash").Text(), "Fachkraft") || d.Find("#admin-user-reactivate").Length() != 1 ||
		d.Find("#admin-user-link-form").Length() != 0 || d.Find("#admin-user-open").AttrOr("data-count", "") != "0" {
		t.Errorf("page of the deactivated user: flash %q", d.Find(".flash").Text())
	}

	// A stale version is a conflict; the edit form changes name and site.
	expect(t, h.web("POST", "/admin/users/"+noraID, &admin, url.Values{"version": {fmt.Sprint(version)}, "name": {"Alt"},
		"role": {"social_worker"}, "site": {"ES"}, "language": {"de"}}), http.StatusConflict).Body.Close()
	edit := awForm(t, d, "#admin-user-form")
	edit.Set("name", "Nora Lindqvist-Berg")
	edit.Set("role", "social_worker")
	edit.Set("site", "DU")
	edit.Set("language", "tr")
	_, loc = awPost(t, h, &admin, "/admin/users/"+noraID, edit, http.StatusSeeOther)
	if name, _, _ := awUser(t, h, noraID); name != "Nora Lindqvist-Berg" || loc != "/admin/users/"+noraID {
		t.Errorf("edit: name %q, redirect %q", name, loc)
	}
	d = awGet(t, h, &admin, "/admin/users/"+noraID, 200)
	if d.Find(`#site option[selected]`).AttrOr("value", "") != "DU" || d.Find(`#language option[selected]`).AttrOr("value", "") != "tr" {
		t.Error("site or language not changed")
	}
	edit = awForm(t, d, "#admin-user-form")
	edit.Set("name", " ")
	edit.Set("role", "social_worker")
	edit.Set("site", "DU")
	edit.Set("language", "tr")
	d, _ = awPost(t, h, &admin, "/admin/users/"+noraID, edit, http.StatusUnprocessableEntity)
	if d.Find("#name-error").Text() == "" || d.Find("#form-alert").Length() != 1 {
		t.Error("an empty name has no message")
	}

	// Reactivated, a new link; with a second factor, its reset.
	d = awGet(t, h, &admin, "/admin/users/"+noraID, 200)
	_, loc = awPost(t, h, &admin, "/admin/users/"+noraID+"/active", awForm(t, d, "#admin-user-active-form"), http.StatusSeeOther)
	if _, active, _ := awUser(t, h, noraID); !active || loc != "/admin/users/"+noraID {
		t.Fatal("not reactivated")
	}
	d = awGet(t, h, &admin, "/admin/users/"+noraID, 200)
	resp = expect(t, h.web("POST", "/admin/users/"+noraID+"/password-link", &admin, awForm(t, d, "#admin-user-link-form")), http.StatusCreated)
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("new link page is cached")
	}
	newLink := awLinkPath(t, doc(t, resp))
	if newLink == linkPath {
		t.Error("the new link is the old one")
	}
	awOpenLink(t, h, newLink)
	dbtest.Exec(t, h.db.Gorm, "UPDATE org.users SET totp_secret = 'x', totp_enabled_at = now() WHERE id = ?", noraID)
	d = awGet(t, h, &admin, "/admin/users/"+noraID, 200)
	if d.Find("#admin-user-totp").Text() != "Eingerichtet" {
		t.Errorf("second factor: %q", d.Find("#admin-user-totp").Text())
	}
	_, loc = awPost(t, h, &admin, "/admin/users/"+noraID+"/totp-reset", awForm(t, d, "#admin-user-totp-form"), http.StatusSeeOther)
	if loc != "/admin/users/"+noraID || h.count("SELECT count(*) FROM org.users WHERE id = ? AND totp_enabled_at IS NULL", noraID) != 1 {
		t.Error("second factor not reset")
	}

	// The only admin cannot deactivate themselves: a message at the
	// button, nothing changed.
	adminID := userID(t, h, h.logins[models.RoleAdmin])
	d = awGet(t, h, &admin, "/admin/users/"+adminID, 200)
	d, _ = awPost(t, h, &admin, "/admin/users/"+adminID+"/active", awForm(t, d, "#admin-user-active-form"), http.StatusUnprocessableEntity)
	if msg := d.Find("#active-error").Text(); !strings.Contains(msg, "Administrator") && !strings.Contains(msg, "selbst") {
		t.Errorf("self-deactivation: %q", msg)
	}
	if _, active, _ := awUser(t, h, adminID); !active {
		t.Fatal("the only admin deactivated themselves")
	}
	expect(t, h.web("GET", "/admin/users", &admin, nil), 200).Body.Close()
	expect(t, h.web("GET", "/admin/users/00000000-0000-0000-0000-000000000000", &admin, nil), http.StatusNotFound).Body.Close()
}

// TestAdminWebSites: a site is created through the form (a bad or taken
// code at its field), offered for new accounts, and deactivated with its
// version; a stale version is a conflict.
func TestAdminWebSites(t *testing.T) {
	h := newHarness(t, app.Config{})
	admin := h.signIn(models.RoleAdmin)
	d := awGet(t, h, &admin, "/admin/sites", 200)
	if n := d.Find("#admin-sites tbody tr").Length(); n != 3 {
		t.Errorf("%d sites listed", n)
	}
	for _, id := range []string{"new-code", "new-name", "new-controller-name", "new-controller-address", "new-privacy-contact"} {
		if d.Find(`label[for="`+id+`"]`).Length() != 1 || d.Find("#"+id).Length() != 1 {
			t.Errorf("%s: no field with a label", id)
		}
	}
	d, _ = awPost(t, h, &admin, "/admin/sites", url.Values{"code": {"gel"}, "name": {""}}, http.StatusUnprocessableEntity)
	if d.Find("#new-code-error").Text() != "" || d.Find("#new-name-error").Text() == "" {
		t.Errorf("errors: code %q, name %q", d.Find("#new-code-error").Text(), d.Find("#new-name-error").Text())
	}
	d, _ = awPost(t, h, &admin, "/admin/sites", url.Values{"code": {"G1"}, "name": {"Gelsenkirchen"}}, http.StatusUnprocessableEntity)
	if d.Find("#new-code-error").Text() == "" || d.Find("#new-name").AttrOr("value", "") != "Gelsenkirchen" {
		t.Errorf("bad code: %q", d.Find("#new-code-error").Text())
	}
	_, loc := awPost(t, h, &admin, "/admin/sites", url.Values{"code": {"ge"}, "name": {"Gelsenkirchen"}, "controller_name": {"Stadt Gelsenkirchen"},
		"controller_address": {"Ebertstraße 11\n45879 Gelsenkirchen"}, "privacy_contact": {"datenschutz@gelsenkirchen.example"}}, http.StatusSeeOther)
	if loc != "/admin/sites/GE" {
		t.Fatalf("after creating: %q", loc)
	}
	d = awGet(t, h, &admin, loc, 200)
	if !strings.Contains(d.Find(".flash").Text(), "angelegt") || d.Find("#site-controller-name").AttrOr("value", "") != "Stadt Gelsenkirchen" ||
		d.Find(`#site-active[checked]`).Length() != 1 || !strings.Contains(d.Find("#site-controller-address").Text(), "45879") {
		t.Errorf("site page: %q", d.Find("main").Text())
	}
	d, _ = awPost(t, h, &admin, "/admin/sites", url.Values{"code": {"GE"}, "name": {"Noch einmal"}}, http.StatusUnprocessableEntity)
	if !strings.Contains(d.Find("#new-code-error").Text(), "vergeben") {
		t.Errorf("taken code: %q", d.Find("#new-code-error").Text())
	}
	offered := func() bool {
		return awGet(t, h, &admin, "/admin/users/new", 200).Find(`#site option[value="GE"]`).Length() == 1
	}
	if !offered() {
		t.Error("the new site is not offered for new accounts")
	}

	// Deactivated: the checkbox unticked, with the version.
	d = awGet(t, h, &admin, "/admin/sites/ge", 200)
	form := awForm(t, d, "#admin-site-form")
	form.Set("name", "Gelsenkirchen-Buer")
	form.Set("controller_name", "Stadt Gelsenkirchen")
	_, loc = awPost(t, h, &admin, "/admin/sites/GE", form, http.StatusSeeOther)
	if loc != "/admin/sites/GE" {
		t.Errorf("after saving: %q", loc)
	}
	if n := h.count("SELECT count(*) FROM org.sites WHERE code = 'GE' AND NOT active AND name = 'Gelsenkirchen-Buer'"); n != 1 {
		t.Fatal("site not deactivated")
	}
	d = awGet(t, h, &admin, "/admin/sites", 200)
	if d.Find(`#admin-sites tr[data-code="GE"]`).AttrOr("data-active", "") != "false" {
		t.Error("the list does not show the site deactivated")
	}
	if offered() {
		t.Error("a deactivated site is offered for new accounts")
	}
	form.Set("_submission", "stale-version")
	expect(t, h.web("POST", "/admin/sites/GE", &admin, form), http.StatusConflict).Body.Close()
	form = awForm(t, awGet(t, h, &admin, "/admin/sites/GE", 200), "#admin-site-form")
	form.Set("name", "")
	form.Set("active", "true")
	d, _ = awPost(t, h, &admin, "/admin/sites/GE", form, http.StatusUnprocessableEntity)
	if d.Find("#site-name-error").Text() == "" || d.Find(`#site-active[checked]`).Length() != 1 {
		t.Error("an empty name has no message, or the form lost its input")
	}
	expect(t, h.web("GET", "/admin/sites/XX", &admin, nil), http.StatusNotFound).Body.Close()
	ws := h.signIn(models.RoleCoordinator)
	expect(t, h.web("GET", "/admin/sites/ES", &ws, nil), http.StatusForbidden).Body.Close()
}

// TestAdminWebTranslations renders every page of the admin and the
// set-password page in German and Arabic: the page's language and
// direction, and no message ID instead of a text (nor a "missing
// translation" in the log).
func TestAdminWebTranslations(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	admin := h.signIn(models.RoleAdmin)
	before := strings.Count(logs.String(), "missing translation")
	for _, lang := range []string{"de", "ar"} {
		if lang != "de" {
			expect(t, h.web("POST", "/language", &admin, url.Values{"lang": {lang}, "next": {"/"}}), http.StatusSeeOther).Body.Close()
		}
		awTranslated(t, "start page", awGet(t, h, &admin, "/", 200), lang)
		awTranslated(t, "user list", awGet(t, h, &admin, "/admin/users?limit=2", 200), lang)
		awTranslated(t, "user list (second page)", awGet(t, h, &admin, "/admin/users?limit=2&cursor=YQ", 200), lang)
		awTranslated(t, "user list (bad filter)", doc(t, expect(t, h.web("GET", "/admin/users?active=vielleicht", &admin, nil), 422)), lang)
		awTranslated(t, "new user", awGet(t, h, &admin, "/admin/users/new", 200), lang)
		d, _ := awPost(t, h, &admin, "/admin/users", url.Values{"email": {"x"}, "name": {""}, "role": {"x"}, "site": {"ES"}}, 422)
		awTranslated(t, "new user (errors)", d, lang)
		userLang := lang
		id, link := awCreateUser(t, h, &admin, "uebersetzt-"+lang+"@es.kurve.example", "Testperson "+strings.ToUpper(lang), userLang)
		awTranslated(t, "user", awGet(t, h, &admin, "/admin/users/"+id, 200), lang)
		d = awGet(t, h, &admin, "/admin/users/"+id, 200)
		resp := expect(t, h.web("POST", "/admin/users/"+id+"/password-link", &admin, awForm(t, d, "#admin-user-link-form")), 201)
		d = doc(t, resp)
		awTranslated(t, "link", d, lang)
		if next := awLinkPath(t, d); next == link {
			t.Error("a new link is the old one")
		} else {
			link = next
		}
		awAssign(t, h, id)
		awAssign(t, h, id)
		d = awGet(t, h, &admin, "/admin/users/"+id, 200)
		if lang == "ar" && d.Find("#admin-user-open").Text() != "تكليفان مفتوحان" {
			t.Errorf("Arabic dual: %q", d.Find("#admin-user-open").Text())
		}
		d, _ = awPost(t, h, &admin, "/admin/users/"+id+"/active", awForm(t, d, "#admin-user-active-form"), 200)
		awTranslated(t, "confirmation", d, lang)
		adminID := userID(t, h, h.logins[models.RoleAdmin])
		d = awGet(t, h, &admin, "/admin/users/"+adminID, 200)
		d, _ = awPost(t, h, &admin, "/admin/users/"+adminID+"/active", awForm(t, d, "#admin-user-active-form"), 422)
		awTranslated(t, "self-deactivation", d, lang)
		awTranslated(t, "sites", awGet(t, h, &admin, "/admin/sites", 200), lang)
		d, _ = awPost(t, h, &admin, "/admin/sites", url.Values{"code": {"ES"}, "name": {"Doppelt"}}, 422)
		awTranslated(t, "sites (errors)", d, lang)
		awTranslated(t, "site", awGet(t, h, &admin, "/admin/sites/ES", 200), lang)

		// The set-password page speaks the language the admin chose
		// for the user.
		_, ws := awOpenLink(t, h, link)
		d, _ = awPost(t, h, &ws, link, url.Values{"password": {"kurz"}, "password_repeat": {"kurz"}}, 422)
		awTranslated(t, "set-password page (error)", d, lang)
		awTranslated(t, "set-password page", awGet(t, h, &ws, link, 200), lang)
		awTranslated(t, "spent link", doc(t, expect(t, h.web("GET", "/password/verbraucht", nil, nil, "Accept-Language", lang), 404)), lang)
	}
	if n := strings.Count(logs.String(), "missing translation") - before; n != 0 {
		t.Errorf("%d missing translations logged", n)
	}
}
