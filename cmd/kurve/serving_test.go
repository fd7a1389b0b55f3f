package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"kurve/models/dbtest"
)

// demoDatabase is a fresh database with the demo data; DATABASE_URL and
// KURVE_DATA_KEY_FILE point at it and at its key, whose file it returns.
func demoDatabase(t *testing.T) (*dbtest.DB, string) {
	t.Helper()
	tdb := dbtest.New(t)
	t.Setenv("DATABASE_URL", tdb.URL)
	keyFile := writeKey(t)
	t.Setenv("KURVE_DATA_KEY_FILE", keyFile)
	if _, err := kurve(t, "", "seed", "--demo"); err != nil {
		t.Fatal(err)
	}
	return tdb, keyFile
}

// tokenFor is a new API token of the active user with that e-mail address
// (`kurve token create`).
func tokenFor(t *testing.T, email string) string {
	t.Helper()
	tok, err := kurve(t, "", "token", "create", "--email", email, "--ttl", "1h")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(tok)
}

// freeAddr is a loopback address no one listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serving is a `kurve serve` of this process, started by startServing.
type serving struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
	err    error
	ended  bool
}

// startServing runs `kurve serve` on a free KURVE_ADDR with the
// environment as it is now (serve reads it when it starts) and waits until
// it is ready; the test fails with serve's error when it does not get
// there. It is stopped with the test unless stop was called.
func startServing(t *testing.T) *serving {
	t.Helper()
	s := &serving{addr: freeAddr(t), done: make(chan error, 1)}
	t.Setenv("KURVE_ADDR", s.addr)
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(context.Background())
	go func() { s.done <- run(ctx, []string{"serve"}, strings.NewReader(""), &bytes.Buffer{}) }()
	t.Cleanup(func() { _ = s.stop() })
	if !waitReady(s.addr) {
		t.Fatalf("kurve serve on %s not ready: %v", s.addr, s.stop())
	}
	return s
}

// stop ends the server and returns how it ended (graceful: nil).
func (s *serving) stop() error {
	if !s.ended {
		s.cancel()
		s.err, s.ended = <-s.done, true
	}
	return s.err
}
