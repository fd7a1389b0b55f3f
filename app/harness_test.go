package app_test

import (
	"context"
	"encoding/json"
	"gorm.io/gorm"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
	"kurve/models/dbtest"
)

// harness is a server on a fresh database with the demo users.
type harness struct {
	t      *testing.T
	srv    *app.Server
	db     *dbtest.DB
	logins map[models.Role]string
	// now is the server's clock.
	now func() time.Time
	// requests is the pool the server runs requests on (newHarness:
	// models.OpenRequests).
	requests *gorm.DB
}

// count runs a counting query as the owner and returns its number.
func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.Gorm.Raw(query, args...).Scan(&n).Error; err != nil {
		h.t.Fatal(err)
	}
	return n
}

// mediated lists the active demo children whom a language mediator is
// assigned to, by case number.
func (h *harness) mediated() []string {
	h.t.Helper()
	var ids []string
	h.db.Gorm.Raw(`SELECT p.id FROM prevention.participants p JOIN prevention.assignments a ON a.participant_id = p.id
		JOIN org.users u ON u.id = a.user_id WHERE p.status = 'active' AND u.role = 'language_mediator' ORDER BY p.case_number`).Scan(&ids)
	if len(ids) == 0 {
		h.t.Fatal("demo data: no active child with a mediator")
	}
	return ids
}

// today is the program's day by the server's clock, as YYYY-MM-DD.
func (h *harness) today() string { return models.ProgramDay(h.now()).Format(time.DateOnly) }

func newHarness(t *testing.T, cfg app.Config) *harness {
	t.Helper()
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	if cfg.Clock == nil {
		cfg.Clock = testNow
	}
	if cfg.Requests == nil {
		// As `kurve serve` runs: requests on a pool that starts as
		// kurve_auth, background work on the owner's.
		req, err := models.OpenRequests(tdb.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { models.Close(req) })
		cfg.Requests = req
	}
	srv, err := app.New(cfg, tdb.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, srv: srv, db: tdb, logins: logins, now: cfg.Clock, requests: cfg.Requests}
}

// listen serves the app on a loopback port and returns its base URL.
func (h *harness) listen() string {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	go func() { _ = h.srv.App().Listener(ln) }()
	h.t.Cleanup(func() { _ = h.srv.App().Shutdown() })
	return "http://" + ln.Addr().String()
}

// webSession is a signed-in browser: session cookie and CSRF token.
type webSession struct {
	cookie *http.Cookie
	csrf   string
}

// signIn opens a session for role directly in the database (the login
// form itself is tested separately; argon2 per role would slow the matrix).
func (h *harness) signIn(role models.Role) webSession {
	h.t.Helper()
	var ws webSession
	err := models.InTx(context.Background(), h.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail(h.logins[role])
		if err != nil {
			return err
		}
		sess, cookie, err := st.NewSession(u.ID, u.Language, true)
		ws = webSession{cookie: &http.Cookie{Name: "kurve_session", Value: cookie}, csrf: sess.CSRFToken}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ws
}

// token creates an API token for role.
func (h *harness) token(role models.Role) string {
	h.t.Helper()
	var plain string
	err := models.InTx(context.Background(), h.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail(h.logins[role])
		if err != nil {
			return err
		}
		_, plain, err = st.CreateAPIToken(u.ID, "test", time.Hour)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return plain
}

// do sends req through Fiber without a socket.
func (h *harness) do(req *http.Request) *http.Response {
	h.t.Helper()
	resp, err := h.srv.App().Test(req, 30_000)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

func (h *harness) api(method, path, token, body string, hdr ...string) *http.Response {
	h.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return h.do(req)
}

// web sends a browser request; form values get the session's CSRF token
// unless they set _csrf themselves.
func (h *harness) web(method, path string, ws *webSession, form url.Values, hdr ...string) *http.Response {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		if ws != nil && !form.Has("_csrf") {
			form.Set("_csrf", ws.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if ws != nil && ws.cookie != nil {
		req.AddCookie(ws.cookie)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return h.do(req)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return string(b)
}

func doc(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(readAll(t, resp)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// problem decodes a problem+json response and checks its content type.
func problem(t *testing.T, resp *http.Response) app.Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	var p app.Problem
	if err := json.Unmarshal([]byte(readAll(t, resp)), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != resp.StatusCode || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem %+v for status %d", p, resp.StatusCode)
	}
	return p
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
