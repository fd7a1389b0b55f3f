package app_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kurve/app"
	"kurve/migrations"
	"kurve/models"
	"kurve/models/dbtest"
)

// privateCluster starts a PostgreSQL cluster of its own (scripts/
// dev-postgres.sh, in a temporary folder) and returns its URL and a
// function that runs the script's start or stop again.
func privateCluster(t *testing.T) (string, func(string)) {
	t.Helper()
	// The cluster runs as the unprivileged postgres user when the tests
	// run as root; it must be able to reach its folder (t.TempDir's parent
	// is private).
	dir, err := os.MkdirTemp("", "kurve-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	script, _ := filepath.Abs("../scripts/dev-postgres.sh")
	run := func(arg string) string {
		cmd := exec.Command(script, arg)
		cmd.Env = append(os.Environ(), "KURVE_PGDATA="+filepath.Join(dir, "pg"), "KURVE_PGPORT="+port, "KURVE_PGDATABASE=kurve")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("dev-postgres.sh %s: %v\n%s", arg, err, out)
		}
		return string(out)
	}
	out := run("start")
	t.Cleanup(func() { run("stop") })
	m := regexp.MustCompile(`DATABASE_URL='([^']+)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("dev-postgres.sh printed no URL: %s", out)
	}
	return m[1], func(arg string) { run(arg) }
}

// TestDatabaseOutage stops PostgreSQL under steady load and starts it
// again: meanwhile every request gets 503 problem+json with Retry-After
// and /readyz is 503, the log says so once, and the same process serves
// again within 5 seconds of PostgreSQL.
func TestDatabaseOutage(t *testing.T) {
	url, pg := privateCluster(t)
	db, err := models.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	if _, err := models.Migrate(context.Background(), db, migrations.FS); err != nil {
		t.Fatal(err)
	}
	logins := dbtest.Seed(t, db)
	srv, err := app.New(app.Config{Clock: testNow}, db)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, db: &dbtest.DB{Gorm: db}, logins: logins, now: testNow}
	token := h.token(models.RoleSocialWorker)
	logStart := len(logs.String())

	type answer struct {
		at          time.Time
		status      int
		retry, ctyp string
	}
	var mu sync.Mutex
	var answers []answer
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", "/api/v1/me", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := srv.App().Test(req, 10_000)
				a := answer{at: time.Now()}
				if err == nil {
					a.status, a.retry, a.ctyp = resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type")
					resp.Body.Close()
				}
				mu.Lock()
				answers = append(answers, a)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	pg("stop")
	time.Sleep(1500 * time.Millisecond)
	ready := h.api("GET", "/readyz", "", "")
	ready.Body.Close()
	if ready.StatusCode != 503 || ready.Header.Get("Retry-After") == "" {
		t.Errorf("/readyz during the outage: %d, Retry-After %q", ready.StatusCode, ready.Header.Get("Retry-After"))
	}
	pg("start")
	back := time.Now()
	deadline := back.Add(10 * time.Second)
	for {
		mu.Lock()
		last := answers[len(answers)-1]
		mu.Unlock()
		if last.status == 200 && last.at.After(back) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no 200 within 10 s of PostgreSQL starting again")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The end of the outage is logged once no request has been refused
	// for a second (app.outageSettle); the load goes on until then.
	for !strings.Contains(logs.String()[logStart:], "database available again") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	var served, refused time.Time
	n503 := 0
	for _, a := range answers {
		switch {
		case a.status == 503:
			n503++
			refused = a.at
			if a.retry == "" || !strings.HasPrefix(a.ctyp, "application/problem+json") {
				t.Errorf("503 without Retry-After (%q) or problem+json (%q)", a.retry, a.ctyp)
			}
		case a.status == 200:
			if a.at.After(back) && served.IsZero() {
				served = a.at
			}
		default:
			t.Errorf("answer %d during the outage test", a.status)
		}
	}
	if n503 == 0 {
		t.Error("no 503 while PostgreSQL was down")
	}
	if d := served.Sub(back); d > 5*time.Second {
		t.Errorf("served again %v after PostgreSQL, want within 5 s", d)
	}
	t.Logf("%d answers, %d × 503, last 503 %v before PostgreSQL was back, served again %v after",
		len(answers), n503, back.Sub(refused).Round(time.Millisecond), served.Sub(back).Round(time.Millisecond))
	out := logs.String()[logStart:]
	if n := strings.Count(out, "database unavailable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once", n)
	}
	if n := strings.Count(out, "database available again"); n != 1 {
		t.Errorf("the end of the outage was logged %d times, want once", n)
	}
	if strings.Contains(out, `"level":"ERROR","msg":"internal error"`) {
		t.Error("the outage produced internal errors")
	}
}
