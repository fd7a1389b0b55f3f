package app_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"kurve/models/dbtest"
)

// logs collects every log line the package's tests produce, so that
// TestMain can check that none of them carries personal data.
var logs lockedBuffer

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// personalData are values of the synthetic demo users, families and test
// inputs that must never appear in a log line: staff names, e-mail
// addresses, passwords, and the children's and families' names, addresses,
// phone numbers and notes (every demo and synthetic family name ends in
// -Demo or -Synth).
var personalData = []string{"Demo Fachkraft", "Demo Koordination", "Demo Polizei", "es.kurve.example", "kurve-demo-2026", "wrong password",
	"a new long password", "-Demo", "-Synth", "Lindenstraße", "0201 555", "0201 424242", "Mira", "Beispiel", "Vertraulich 42",
	"Sozialpädagogische Notiz", "Polizeivermerk", "Meldungstest", "Langer Vermerk", "Notiz vor dem Zeitablauf", "Umzug war ein Irrtum",
	"Doppel", "Gute Entwicklung", "Grundschule"}

func TestMain(m *testing.M) {
	dbtest.Configure(os.Getenv("KURVE_TEST_DATABASE_URL"), os.Getenv("KURVE_TEST_MUTATION"))
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	code := m.Run()
	out := logs.String()
	for _, p := range personalData {
		if strings.Contains(out, p) {
			fmt.Fprintf(os.Stderr, "FAIL: a log line contains personal data (%q)\n", p)
			code = 1
		}
	}
	if os.Getenv("KURVE_TEST_SHOW_LOGS") != "" {
		fmt.Fprint(os.Stderr, out)
	}
	os.Exit(code)
}
