package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"kurve/app"
	"kurve/models"
)

// openLoginPage is what a browser does first: GET /login gives an
// anonymous session cookie and a CSRF token in the form.
func openLoginPage(t *testing.T, h *harness, hdr ...string) webSession {
	t.Helper()
	resp := h.web("GET", "/login", nil, nil, hdr...)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /login: %d", resp.StatusCode)
	}
	c := cookieNamed(resp, "kurve_session")
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax", c)
	}
	d := doc(t, resp)
	csrf, _ := d.Find(`form[action="/login"] input[name="_csrf"]`).Attr("value")
	if csrf == "" {
		t.Fatal("login form without CSRF token")
	}
	return webSession{cookie: c, csrf: csrf}
}

func loginForm(email, password, next string) url.Values {
	return url.Values{"email": {email}, "password": {password}, "next": {next}}
}

func auditCount(t *testing.T, h *harness, action string) (n int64) {
	t.Helper()
	if err := h.db.Gorm.Raw("SELECT count(*) FROM audit.events WHERE action = ?", action).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoginFlow(t *testing.T) {
	h := newHarness(t, app.Config{})
	anon := openLoginPage(t, h)
	email := h.logins[models.RoleSocialWorker]

	// No CSRF token: refused, even with the right password.
	resp := h.web("POST", "/login", &anon, url.Values{"_csrf": {"forged"}, "email": {email}, "password": {models.DemoPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged CSRF: %d", resp.StatusCode)
	}
	resp.Body.Close()
	resp = h.web("POST", "/login", nil, loginForm(email, models.DemoPassword, "/"))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no session: %d", resp.StatusCode)
	}
	resp.Body.Close()

	// Wrong password: a localised form error, audited.
	resp = h.web("POST", "/login", &anon, loginForm(email, "wrong password", "/"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if msg := doc(t, resp).Find("#login-error").Text(); !strings.Contains(msg, "Passwort ist falsch") {
		t.Errorf("error message %q", msg)
	}
	if auditCount(t, h, models.AuditLoginFailed) != 1 {
		t.Error("failed login not audited")
	}

	// Right password: redirect to a relative next, new session (rotation).
	resp = h.web("POST", "/login", &anon, loginForm(email, models.DemoPassword, "/profile"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	fresh := cookieNamed(resp, "kurve_session")
	if fresh == nil || fresh.Value == anon.cookie.Value {
		t.Fatal("session not rotated at login")
	}
	if auditCount(t, h, models.AuditLogin) != 1 {
		t.Error("login not audited")
	}
	// The anonymous session is gone.
	resp = h.web("GET", "/profile", &anon, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old session still valid: %d", resp.StatusCode)
	}
	resp.Body.Close()
	user := webSession{cookie: fresh}
	resp = h.web("GET", "/profile", &user, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("profile: %d", resp.StatusCode)
	}
	d := doc(t, resp)
	user.csrf, _ = d.Find(`form.logout input[name="_csrf"]`).Attr("value")
	if d.Find("dd").First().Text() != "Demo Fachkraft" {
		t.Errorf("profile shows %q", d.Find("dd").First().Text())
	}

	// Logout ends the session.
	resp = h.web("POST", "/logout", &user, url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	resp.Body.Close()
	resp = h.web("GET", "/", &user, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestLoginRedirectsOnlyToRelativePaths(t *testing.T) {
	h := newHarness(t, app.Config{})
	for _, next := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""} {
		anon := openLoginPage(t, h)
		resp := h.web("POST", "/login", &anon, loginForm(h.logins[models.RoleCoordinator], models.DemoPassword, next))
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
		resp.Body.Close()
	}
}

func TestLoginThrottling(t *testing.T) {
	h := newHarness(t, app.Config{})
	anon := openLoginPage(t, h)
	email := h.logins[models.RoleDPO]
	for i := 0; i < models.MaxFailuresPerEmail; i++ {
		resp := h.web("POST", "/login", &anon, loginForm(email, "wrong password", "/"))
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	// Now even the right password is refused for a while.
	resp := h.web("POST", "/login", &anon, loginForm(email, models.DemoPassword, "/"), "Accept-Language", "en")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d", models.MaxFailuresPerEmail, resp.StatusCode)
	}
	// Retry-After: when the oldest failure of the window leaves it, about
	// 15 minutes from now.
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 14*60 || ra > 15*60 {
		t.Errorf("Retry-After %q, want about 900 seconds", resp.Header.Get("Retry-After"))
	}
	if msg := doc(t, resp).Find("#login-error").Text(); !strings.Contains(msg, "15") {
		t.Errorf("throttle message %q", msg)
	}
}

// TestLoginUnknownUserCostsAPasswordHash: an unknown address must not answer
// measurably faster than a wrong password (user enumeration). Both paths
// run argon2id, so their times are of the same order; without the dummy
// hash the unknown path takes a few milliseconds against tens.
func TestLoginUnknownUserCostsAPasswordHash(t *testing.T) {
	h := newHarness(t, app.Config{})
	anon := openLoginPage(t, h)
	measure := func(email string) time.Duration {
		var total time.Duration
		for i := 0; i < 4; i++ {
			start := time.Now()
			resp := h.web("POST", "/login", &anon, loginForm(email, "wrong password", "/"))
			total += time.Since(start)
			resp.Body.Close()
		}
		return total
	}
	known := measure(h.logins[models.RoleEvaluator])
	unknown := measure("nobody@es.kurve.example")
	if unknown < known/3 {
		t.Fatalf("unknown user answered in %v, known user with wrong password in %v", unknown, known)
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, app.Config{})
	r1 := h.web("GET", "/login", nil, nil)
	r2 := h.web("GET", "/login", nil, nil)
	csp := r1.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self' 'nonce-", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Error("CSP allows inline script")
	}
	if csp == r2.Header.Get("Content-Security-Policy") {
		t.Error("CSP nonce does not change per request")
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := r1.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if r1.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS outside production")
	}
	// The page itself has no inline script.
	d := doc(t, r1)
	if n := d.Find("script:not([src])").Length(); n > 0 {
		t.Errorf("%d inline scripts", n)
	}

	// Production: __Host- cookie, Secure, HSTS.
	key := models.EphemeralDataKey()
	hp := newHarness(t, app.Config{Production: true, SecureCookies: true, DataKey: &key})
	resp := hp.web("GET", "/login", nil, nil)
	c := cookieNamed(resp, "__Host-kurve_session")
	if c == nil || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
		t.Errorf("production cookie %+v", c)
	}
	if !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS in production")
	}
	resp.Body.Close()
}

func TestPasswordChange(t *testing.T) {
	h := newHarness(t, app.Config{})
	ws := h.signIn(models.RoleSocialWorker)
	other := h.signIn(models.RoleSocialWorker) // e.g. a forgotten session on another device
	bad := []url.Values{
		{"current_password": {"wrong password"}, "new_password": {"a new long password"}, "new_password_repeat": {"a new long password"}},
		{"current_password": {models.DemoPassword}, "new_password": {"short"}, "new_password_repeat": {"short"}},
		{"current_password": {models.DemoPassword}, "new_password": {"a new long password"}, "new_password_repeat": {"another long password"}},
		// The user's own name (Demo Fachkraft) in it, or too easy to guess.
		{"current_password": {models.DemoPassword}, "new_password": {"Fachkraft-Lerche-2026"}, "new_password_repeat": {"Fachkraft-Lerche-2026"}},
		{"current_password": {models.DemoPassword}, "new_password": {"password1234"}, "new_password_repeat": {"password1234"}},
	}
	for i, form := range bad {
		resp := h.web("POST", "/profile/password", &ws, form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("case %d: %d", i, resp.StatusCode)
		}
		if doc(t, resp).Find(".field-error").Length() != 1 {
			t.Errorf("case %d: want one field error", i)
		}
	}
	resp := h.web("POST", "/profile/password", &ws, url.Values{"current_password": {models.DemoPassword},
		"new_password": {"a new long password"}, "new_password_repeat": {"a new long password"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	// The flash shows once.
	if flash := doc(t, h.web("GET", "/profile", &ws, nil)).Find(".flash").Text(); !strings.Contains(flash, "Passwort wurde geändert") {
		t.Errorf("flash %q", flash)
	}
	if doc(t, h.web("GET", "/profile", &ws, nil)).Find(".flash").Length() != 0 {
		t.Error("flash shown twice")
	}
	if resp := h.web("GET", "/profile", &other, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("other session survived the password change: %d", resp.StatusCode)
	}
	anon := openLoginPage(t, h)
	resp = h.web("POST", "/login", &anon, loginForm(h.logins[models.RoleSocialWorker], "a new long password", "/"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the new password: %d", resp.StatusCode)
	}
	if auditCount(t, h, models.AuditPasswordChanged) != 1 {
		t.Error("password change not audited")
	}
}
