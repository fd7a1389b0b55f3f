package app_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"kurve/app"
	"kurve/models"
)

func TestAPIMe(t *testing.T) {
	h := newHarness(t, app.Config{})
	for _, role := range models.Roles {
		resp := h.api("GET", "/api/v1/me", h.token(role), "")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", role, resp.StatusCode)
		}
		var me map[string]any
		if err := json.Unmarshal([]byte(readAll(t, resp)), &me); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "email", "name", "role", "site", "language"} {
			if s, _ := me[k].(string); s == "" {
				t.Errorf("%s: /me lacks %s", role, k)
			}
		}
		if me["role"] != string(role) || me["site"] != "ES" || me["email"] != h.logins[role] {
			t.Errorf("%s: /me = %v", role, me)
		}
		if _, ok := me["password_hash"]; ok {
			t.Error("/me exposes the password hash")
		}
	}
}

func TestAPIErrors(t *testing.T) {
	h := newHarness(t, app.Config{})
	tok := h.token(models.RoleSocialWorker)
	cases := []struct {
		name, method, path, token, body string
		hdr                             []string
		status                          int
		detail                          string // German by default
	}{
		{"no token", "GET", "/api/v1/me", "", "", nil, 401, "Bitte melden Sie sich an"},
		{"bad token", "GET", "/api/v1/me", "kurve_not-a-token", "", nil, 401, "gültiges API-Token"},
		{"malformed token", "GET", "/api/v1/me", "garbage", "", nil, 401, ""},
		{"malformed json", "PATCH", "/api/v1/me", tok, `{"language":`, nil, 400, "kein gültiges JSON"},
		{"unknown field", "PATCH", "/api/v1/me", tok, `{"language":"de","admin":true}`, nil, 400, ""},
		{"wrong type", "PATCH", "/api/v1/me", tok, `{"language":7}`, nil, 400, ""},
		{"not json", "PATCH", "/api/v1/me", tok, "language=de", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"invalid value", "PATCH", "/api/v1/me", tok, `{"language":"fr"}`, nil, 422, "markierten Felder"},
		{"unknown route", "GET", "/api/v1/nothing-here", tok, "", nil, 404, "existiert nicht"},
		{"english detail", "GET", "/api/v1/me", "", "", []string{"Accept-Language", "en-GB,en;q=0.9"}, 401, "Please sign in"},
		{"arabic detail", "GET", "/api/v1/me", "", "", []string{"Accept-Language", "ar"}, 401, "تسجيل"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.api(tc.method, tc.path, tc.token, tc.body, tc.hdr...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, readAll(t, resp))
			}
			wwwAuth := resp.Header.Get("WWW-Authenticate")
			p := problem(t, resp)
			if tc.detail != "" && !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q lacks %q", p.Detail, tc.detail)
			}
			if tc.status == 401 && !strings.HasPrefix(wwwAuth, "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		})
	}
}

func TestAPIValidationErrorsAreLocalisedPerUser(t *testing.T) {
	h := newHarness(t, app.Config{})
	tok := h.token(models.RoleMediator) // demo mediator speaks Turkish
	resp := h.api("PATCH", "/api/v1/me", tok, `{"language":"xx"}`, "Accept-Language", "de")
	p := problem(t, resp)
	if resp.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "language" {
		t.Fatalf("problem %+v", p)
	}
	// The user's language wins over Accept-Language.
	if !strings.Contains(p.Errors[0].Message, "Dil") || strings.Contains(p.Detail, "Felder") {
		t.Errorf("not Turkish: %+v", p)
	}
	// A good update applies and changes the language of later errors.
	resp = h.api("PATCH", "/api/v1/me", tok, `{"language":"ar"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("update: %d %s", resp.StatusCode, readAll(t, resp))
	}
	resp.Body.Close()
	p = problem(t, h.api("PATCH", "/api/v1/me", tok, `{}`))
	if len(p.Errors) != 1 || !strings.ContainsAny(p.Errors[0].Message, "ابتثجحخدذرزسشصضطظعغفقكلمنهوي") {
		t.Errorf("not Arabic: %+v", p)
	}
}

// TestAPIBodyTooLarge needs a real listener: Fiber's in-memory app.Test
// refuses oversized bodies on the client side. The client announces a body
// over the limit and reads the answer before sending it (a client that
// keeps writing gets the 413 too, but may see the connection reset first).
func TestAPIBodyTooLarge(t *testing.T) {
	h := newHarness(t, app.Config{})
	base := h.listen()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PATCH /api/v1/me HTTP/1.1\r\nHost: kurve\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nAccept-Language: en\r\nContent-Length: %d\r\n\r\n",
		h.token(models.RoleCoordinator), app.DefaultBodyLimit+1)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
	p := problem(t, resp)
	if !strings.Contains(p.Detail, "too large") {
		t.Errorf("detail %q", p.Detail)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	const metricsToken = "metrics-token-for-the-test-0123456789"
	h := newHarness(t, app.Config{MetricsToken: metricsToken})
	for _, path := range []string{"/healthz", "/readyz"} {
		resp := h.api("GET", path, "", "")
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
		resp.Body.Close()
	}
	resp := h.api("GET", "/static/app.css", "", "")
	if css := readAll(t, resp); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(css, ":root") {
		t.Errorf("stylesheet: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, missing := range []string{"/static/", "/static/nope.css", "/static/../embed.go"} {
		if resp := h.api("GET", missing, "", ""); resp.StatusCode != 404 {
			t.Errorf("%s: %d", missing, resp.StatusCode)
		}
	}
	h.api("GET", "/api/v1/me", h.token(models.RoleAdmin), "").Body.Close()
	// Not open on the application's port: only with the token (issue 14).
	for _, tok := range []string{"", "wrong-token-wrong-token-wrong"} {
		if resp := h.api("GET", "/metrics", tok, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("/metrics with token %q: %d", tok, resp.StatusCode)
		}
	}
	body := readAll(t, h.api("GET", "/metrics", metricsToken, ""))
	for _, want := range []string{`kurve_http_requests_total{method="GET",route="/api/v1/me",status="200"}`,
		`go_sql_max_open_connections{db_name="kurve"}`, `go_sql_in_use_connections{db_name="kurve"}`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%.2000s", want, body)
		}
	}
	if strings.Contains(body, "es.kurve.example") {
		t.Error("metrics contain personal data")
	}
}

func TestReadyzFailsWhenSchemaBehind(t *testing.T) {
	h := newHarness(t, app.Config{})
	if err := h.db.Gorm.Exec("DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)").Error; err != nil {
		t.Fatal(err)
	}
	resp := h.api("GET", "/readyz", "", "")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("readyz %d with schema behind", resp.StatusCode)
	}
	resp.Body.Close()
}

// TestFavicon: /favicon.ico, which every browser asks for, leads to the
// icon instead of a 404 (issue 14); no page asks search engines to index
// it, the login page included (issue 15).
func TestFavicon(t *testing.T) {
	h := newHarness(t, app.Config{})
	if d := doc(t, h.do(httptest.NewRequest("GET", "/login", nil))); d.Find(`meta[name="robots"][content="noindex, nofollow"]`).Length() != 1 {
		t.Error("the login page may be indexed")
	}
	resp := h.do(httptest.NewRequest("GET", "/favicon.ico", nil))
	resp.Body.Close()
	icon := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(icon, "/static/favicon.svg?v=") {
		t.Fatalf("/favicon.ico: %d %q", resp.StatusCode, icon)
	}
	resp = h.do(httptest.NewRequest("GET", icon, nil))
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/svg+xml") || !strings.Contains(body, "<svg") {
		t.Fatalf("icon: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestAssetFingerprints (issue 15): pages link the static assets by a URL
// that carries their content's hash; such a URL may be kept a year, a
// plain one an hour; the hash is the ETag, and a matching If-None-Match
// is answered 304 without a body.
func TestAssetFingerprints(t *testing.T) {
	h := newHarness(t, app.Config{})
	ws := h.signIn(models.RoleSocialWorker)
	d := doc(t, h.web("GET", "/profile", &ws, nil))
	for _, sel := range []string{`link[rel="stylesheet"]`, `link[rel="icon"]`, `script[src]`} {
		attr := "href"
		if sel == `script[src]` {
			attr = "src"
		}
		u, _ := d.Find(sel).Attr(attr)
		if !regexp.MustCompile(`^/static/[a-z.]+\?v=[0-9a-f]{16}$`).MatchString(u) {
			t.Errorf("%s: %q is not fingerprinted", sel, u)
			continue
		}
		resp := h.do(httptest.NewRequest("GET", u, nil))
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || etag != `"`+u[strings.Index(u, "=")+1:]+`"` {
			t.Errorf("%s: %d %q %q", u, resp.StatusCode, resp.Header.Get("Cache-Control"), etag)
		}
		req := httptest.NewRequest("GET", u[:strings.Index(u, "?")], nil)
		req.Header.Set("If-None-Match", etag)
		resp = h.do(req)
		if body := readAll(t, resp); resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("Cache-Control") != "public, max-age=3600" {
			t.Errorf("%s unchanged: %d, %d bytes, %q", u, resp.StatusCode, len(body), resp.Header.Get("Cache-Control"))
		}
	}
	// A stale fingerprint gets the current file, for an hour only.
	resp := h.do(httptest.NewRequest("GET", "/static/app.css?v=0000000000000000", nil))
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("stale fingerprint: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
}

// TestCompression (issue 15): pages, API answers and assets are compressed
// when the client asks; the pages that show a secret once are not.
func TestCompression(t *testing.T) {
	h := newHarness(t, app.Config{})
	ws := h.signIn(models.RoleSocialWorker)
	for _, c := range []struct {
		path string
		ws   *webSession
		want string
	}{{"/login", nil, "gzip"}, {"/", &ws, "gzip"}, {"/static/app.css", nil, "gzip"}, {"/profile", &ws, ""}} {
		resp := h.web("GET", c.path, c.ws, nil, "Accept-Encoding", "gzip")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != c.want {
			t.Errorf("%s: %d, Content-Encoding %q, want %q", c.path, resp.StatusCode, resp.Header.Get("Content-Encoding"), c.want)
		}
		// Compressed once, whichever level its path takes.
		var body io.Reader = resp.Body
		if c.want == "gzip" {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			body = zr
		}
		plain, err := io.ReadAll(body)
		resp.Body.Close()
		if err != nil || !bytes.Contains(plain, []byte("<html")) && !bytes.Contains(plain, []byte("{")) {
			t.Errorf("%s: not readable after one decompression (%v): %.80q", c.path, err, plain)
		}
	}
	resp := h.api("GET", "/api/v1/me", h.token(models.RoleCoordinator), "", "Accept-Encoding", "br")
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "br" {
		t.Errorf("API with Accept-Encoding br: %q", resp.Header.Get("Content-Encoding"))
	}
}
