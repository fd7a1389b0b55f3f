package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"kurve/app"
	"kurve/models"
)

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// passwordLogin signs in with the password only and returns the (possibly
// partial) session and where the server sent the browser.
func passwordLogin(t *testing.T, h *harness, role models.Role) (webSession, string) {
	t.Helper()
	anon := openLoginPage(t, h)
	resp := h.web("POST", "/login", &anon, loginForm(h.logins[role], models.DemoPassword, "/"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	ws := webSession{cookie: cookieNamed(resp, "kurve_session")}
	return ws, resp.Header.Get("Location")
}

func withCSRF(t *testing.T, h *harness, ws webSession, path string) (webSession, *http.Response) {
	t.Helper()
	resp := h.web("GET", path, &ws, nil)
	if resp.StatusCode != 200 {
		return ws, resp
	}
	d := doc(t, resp)
	ws.csrf, _ = d.Find(`input[name="_csrf"]`).First().Attr("value")
	secret := strings.ReplaceAll(d.Find("#totp-secret").Text(), " ", "")
	return ws, &http.Response{StatusCode: 200, Header: http.Header{"X-Secret": {secret}}}
}

func TestAdminMustEnrolThenUseSecondFactor(t *testing.T) {
	h := newHarness(t, app.Config{})
	ws, loc := passwordLogin(t, h, models.RoleAdmin)
	if !strings.HasPrefix(loc, "/profile/totp") {
		t.Fatalf("admin without TOTP sent to %q, want enrolment", loc)
	}
	// Partly signed in: nothing but the TOTP pages.
	for _, path := range []string{"/", "/profile"} {
		resp := h.web("GET", path, &ws, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/profile/totp") {
			t.Errorf("%s with a partial session: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	ws, page := withCSRF(t, h, ws, "/profile/totp")
	secret := page.Header.Get("X-Secret")
	if len(secret) < 16 {
		t.Fatalf("no secret on the set-up page: %q", secret)
	}
	resp := h.web("POST", "/profile/totp", &ws, url.Values{"code": {"000000"}, "next": {"/"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code at enrolment: %d", resp.StatusCode)
	}
	resp.Body.Close()
	now := time.Now()
	resp = h.web("POST", "/profile/totp", &ws, url.Values{"code": {totpCode(t, secret, now)}, "next": {"/"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("enrolment: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	full := webSession{cookie: cookieNamed(resp, "kurve_session")}
	if full.cookie == nil || full.cookie.Value == ws.cookie.Value {
		t.Fatal("session not rotated after the second factor")
	}
	if resp := h.web("GET", "/", &full, nil); resp.StatusCode != 200 {
		t.Fatalf("start page after enrolment: %d", resp.StatusCode)
	}

	// Next login: password, then the code prompt.
	ws, loc = passwordLogin(t, h, models.RoleAdmin)
	if !strings.HasPrefix(loc, "/login/totp") {
		t.Fatalf("enrolled admin sent to %q", loc)
	}
	// A partial session cannot replace the factor by enrolling again.
	resp = h.web("GET", "/profile/totp", &ws, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("re-enrolment with a partial session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ws, _ = withCSRF(t, h, ws, "/login/totp")
	resp = h.web("POST", "/login/totp", &ws, url.Values{"code": {totpCode(t, secret, now)}, "next": {"/"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// The next code, typed with Arabic-Indic digits and a space.
	next := totpCode(t, secret, now.Add(30*time.Second))
	arabic := strings.Map(func(r rune) rune { return r - '0' + '\u0660' }, next[:3]) + " " + next[3:]
	resp = h.web("POST", "/login/totp", &ws, url.Values{"code": {arabic}, "next": {"/profile"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/profile" {
		t.Fatalf("code login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	full = webSession{cookie: cookieNamed(resp, "kurve_session")}
	d := doc(t, h.web("GET", "/profile", &full, nil))
	if d.Find(`form[action="/profile/totp/disable"]`).Length() != 0 {
		t.Error("admin is offered to turn off the required second factor")
	}
	if n := auditCount(t, h, models.AuditTOTPEnabled); n != 1 {
		t.Errorf("%d totp_enabled audit entries", n)
	}
}

func TestSocialWorkerOptionalSecondFactor(t *testing.T) {
	h := newHarness(t, app.Config{})
	ws, loc := passwordLogin(t, h, models.RoleSocialWorker)
	if loc != "/" {
		t.Fatalf("social worker without TOTP sent to %q", loc)
	}
	ws, page := withCSRF(t, h, ws, "/profile/totp")
	secret := page.Header.Get("X-Secret")
	now := time.Now()
	resp := h.web("POST", "/profile/totp", &ws, url.Values{"code": {totpCode(t, secret, now)}, "next": {"/profile"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enrol: %d", resp.StatusCode)
	}
	// Disabling needs a current, unused code.
	resp = h.web("POST", "/profile/totp/disable", &ws, url.Values{"code": {"123"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("disable with a bad code: %d", resp.StatusCode)
	}
	resp.Body.Close()
	resp = h.web("POST", "/profile/totp/disable", &ws, url.Values{"code": {totpCode(t, secret, now.Add(30*time.Second))}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if _, loc := passwordLogin(t, h, models.RoleSocialWorker); loc != "/" {
		t.Fatalf("after disabling, login sent to %q", loc)
	}
}
