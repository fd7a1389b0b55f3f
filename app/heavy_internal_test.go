package app

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models/dbtest"
)

// TestHeavyGate: heavy requests run at most the gate's size at once; the
// next one waits for a turn, and after the wait in vain it is answered 503
// with Retry-After and a localised message, without the server taking it
// for a database outage.
func TestHeavyGate(t *testing.T) {
	g := &heavyGate{slots: make(chan struct{}, 1), wait: 50 * time.Millisecond}
	release, err := g.enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.enter(context.Background()); !errors.Is(err, errBusy) {
		t.Fatalf("a second heavy request while the only turn is taken: %v, want busy", err)
	}
	got := make(chan error, 1)
	go func() {
		r, err := g.enter(context.Background())
		if err == nil {
			r()
		}
		got <- err
	}()
	time.Sleep(10 * time.Millisecond)
	release()
	if err := <-got; err != nil {
		t.Errorf("a waiting request did not get the turn given back: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	hold, _ := g.enter(context.Background())
	if _, err := g.enter(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a request gone while it waited: %v", err)
	}
	hold()

	tdb := dbtest.New(t)
	s, err := New(Config{}, tdb.Gorm)
	if err != nil {
		t.Fatal(err)
	}
	if n := cap(s.heavy.slots); n < 2 {
		t.Errorf("the server's gate lets %d heavy requests run at once", n)
	}
	// Every statistics table is behind the gate.
	for _, r := range s.routes {
		if strings.Contains(r.Path, "/stats") && !r.Heavy {
			t.Errorf("%s %s builds a statistics table outside the gate", r.Method, r.Path)
		}
	}
	s.fiber.Get("/api/v1/busy", func(c *fiber.Ctx) error { return errBusy })
	resp, err := s.fiber.Test(httptest.NewRequest("GET", "/api/v1/busy", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "Auswertungen") {
		t.Errorf("busy: %d, Retry-After %q, %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if s.outage.active() {
		t.Error("a busy answer was taken for a database outage")
	}
}
