package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestInternalErrorsDoNotLeak: an error carrying SQL or a panic produces a
// generic 500 (problem+json or page) without the error text or a trace.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	tdb := dbtest.New(t)
	s, err := New(Config{}, tdb.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	secret := `ERROR: relation "prevention.participants" SELECT first_name FROM x (SQLSTATE 42P01)`
	s.fiber.Get("/api/v1/boom", func(c *fiber.Ctx) error { return fmt.Errorf("wrapped: %w", errors.New(secret)) })
	s.fiber.Get("/boom", func(c *fiber.Ctx) error { return errors.New(secret) })
	s.fiber.Get("/panic", func(c *fiber.Ctx) error { panic(secret) })
	for _, path := range []string{"/api/v1/boom", "/boom", "/panic"} {
		resp, err := s.fiber.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 500 {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
		for _, leak := range []string{"SELECT", "SQLSTATE", "prevention", "goroutine", ".go:"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("%s: response contains %q", path, leak)
			}
		}
		if !strings.Contains(string(body), "interner Fehler") && !strings.Contains(string(body), "internen Fehler") &&
			!strings.Contains(string(body), "Interner Fehler") {
			t.Errorf("%s: no localised message: %s", path, body)
		}
	}
}

// TestDenyByDefault: a route whose rule names no role is refused to every
// signed-in user, and an unknown path is 404 in the web and the API.
func TestDenyByDefault(t *testing.T) {
	tdb := dbtest.New(t)
	logins := dbtest.Seed(t, tdb.Gorm)
	s, err := New(Config{}, tdb.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	s.fiber.Get("/closed", s.guard(Route{Method: "GET", Path: "/closed", Access: Side, Handler: func(c *fiber.Ctx) error {
		ran = true
		return nil
	}}))
	for _, role := range models.Roles {
		var cookie string
		err := models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
			u, err := st.UserByEmail(logins[role])
			if err != nil {
				return err
			}
			_, cookie, err = st.NewSession(u.ID, "de", true)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("GET", "/closed", nil)
		req.AddCookie(&http.Cookie{Name: "kurve_session", Value: cookie})
		resp, err := s.fiber.Test(req, int(10*time.Second/time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 403 {
			t.Errorf("%s: status %d on a route without roles", role, resp.StatusCode)
		}
	}
	if ran {
		t.Error("handler of a closed route ran")
	}
	for _, path := range []string{"/nothing", "/api/v1/nothing"} {
		resp, _ := s.fiber.Test(httptest.NewRequest("GET", path, nil))
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"/profile": "/profile", "/a?b=c": "/a?b=c", "": "/", "//evil": "/", "/\\evil": "/",
		"https://evil/": "/", "evil": "/", "javascript:x": "/",
	}
	for in, want := range cases {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestErrorResponsesRollBack: a handler that wrote something and then
// answered with an error status leaves nothing behind, unless it asked to
// keep its writes (failed logins).
func TestErrorResponsesRollBack(t *testing.T) {
	tdb := dbtest.New(t)
	s, err := New(Config{}, tdb.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	write := func(keep bool) fiber.Handler {
		return func(c *fiber.Ctx) error {
			if keep {
				commitOnError(c)
			}
			if err := audit(c, nil, "test.partial", "", "", map[string]any{"keep": keep}); err != nil {
				return err
			}
			return c.Status(fiber.StatusUnprocessableEntity).SendString("form shown again")
		}
	}
	s.fiber.Get("/partial", s.guard(Route{Method: "GET", Path: "/partial", Access: Guest, Handler: write(false)}))
	s.fiber.Get("/counted", s.guard(Route{Method: "GET", Path: "/counted", Access: Guest, Handler: write(true)}))
	for _, path := range []string{"/partial", "/counted"} {
		resp, err := s.fiber.Test(httptest.NewRequest("GET", path, nil))
		if err != nil || resp.StatusCode != 422 {
			t.Fatalf("%s: %v %v", path, resp.StatusCode, err)
		}
	}
	var kept, dropped int64
	tdb.Gorm.Raw("SELECT count(*) FROM audit.events WHERE action = 'test.partial' AND details->>'keep' = 'true'").Scan(&kept)
	tdb.Gorm.Raw("SELECT count(*) FROM audit.events WHERE action = 'test.partial' AND details->>'keep' = 'false'").Scan(&dropped)
	if kept != 1 || dropped != 0 {
		t.Fatalf("kept %d (want 1), dropped-but-present %d (want 0)", kept, dropped)
	}
}
