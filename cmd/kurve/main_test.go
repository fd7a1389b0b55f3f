package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

func kurve(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out)
	return out.String(), err
}

func TestCLI(t *testing.T) {
	tdb := dbtest.New(t)
	t.Setenv("DATABASE_URL", tdb.URL)
	t.Setenv("KURVE_DATA_KEY_FILE", writeKey(t))

	out, err := kurve(t, "", "key", "generate")
	if _, perr := models.ParseDataKey(out); err != nil || perr != nil {
		t.Fatalf("key generate: %q %v %v", out, err, perr)
	}
	if out, err := kurve(t, "", "migrate"); err != nil || !strings.Contains(out, "applied 0") {
		t.Fatalf("migrate on a migrated database: %q %v", out, err)
	}
	if _, err := kurve(t, "", "site", "create", "--code", "ES", "--name", "Essen"); err != nil {
		t.Fatal(err)
	}
	if _, err := kurve(t, "", "site", "create", "--code", "ES", "--name", "Essen"); err == nil {
		t.Error("duplicate site accepted")
	}
	if _, err := kurve(t, "", "site", "create", "--code", "essen", "--name", "Essen"); err == nil {
		t.Error("bad site code accepted")
	}
	// Without --password-stdin: the account has no password and the command
	// prints a one-time set-password link built from KURVE_BASE_URL.
	t.Setenv("KURVE_BASE_URL", "https://kurve.example.org")
	out, err = kurve(t, "", "user", "create", "--email", "link@example.org", "--name", "Lina Link", "--role", "social_worker", "--site", "ES")
	link := regexp.MustCompile(`https://kurve\.example\.org/password/([A-Za-z0-9_-]{20,})`).FindStringSubmatch(out)
	if err != nil || link == nil {
		t.Fatalf("user create without --password-stdin: %q %v", out, err)
	}
	err = models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.PasswordLinkUser(link[1], time.Now())
		if err == nil && (u.Email != "link@example.org" || u.PasswordHash != "") {
			t.Errorf("link of %s, password hash set: %v", u.Email, u.PasswordHash != "")
		}
		return err
	})
	if err != nil {
		t.Fatalf("printed link does not work: %v", err)
	}
	for _, weak := range []string{"aaaaaaaaaaaa\n", "k@example.org-2026!\n", "kurve-demo-2026\n"} {
		if _, err := kurve(t, weak, "user", "create", "--email", "k@example.org", "--name", "K", "--role", "coordinator", "--site", "ES", "--password-stdin"); err == nil {
			t.Errorf("weak password %q accepted", strings.TrimSpace(weak))
		}
	}
	if _, err := kurve(t, "Lerche-Tapete-Nordwind-47\n", "user", "create", "--email", "k@example.org", "--name", "K", "--role", "boss", "--site", "ES", "--password-stdin"); err == nil {
		t.Error("unknown role accepted")
	}
	if _, err := kurve(t, "short\n", "user", "create", "--email", "k@example.org", "--name", "K", "--role", "coordinator", "--site", "ES", "--password-stdin"); err == nil {
		t.Error("short password accepted")
	}
	if out, err := kurve(t, "Lerche-Tapete-Nordwind-47\n", "user", "create", "--email", "k@example.org", "--name", "K", "--role", "coordinator", "--site", "es", "--password-stdin"); err != nil || strings.Contains(out, "Lerche") {
		t.Fatalf("user create: %q %v", out, err)
	}
	tok, err := kurve(t, "", "token", "create", "--email", "k@example.org", "--ttl", "2h")
	tok = strings.TrimSpace(tok)
	if err != nil || !strings.HasPrefix(tok, models.TokenPrefix) || strings.Contains(tok, "\n") {
		t.Fatalf("token create printed %q, %v", tok, err)
	}
	err = models.InTx(context.Background(), tdb.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByAPIToken(tok)
		if err == nil && u.Email != "k@example.org" {
			t.Errorf("token belongs to %s", u.ID)
		}
		return err
	})
	if err != nil {
		t.Fatalf("created token does not work: %v", err)
	}
	if _, err := kurve(t, "", "token", "create", "--email", "nobody@example.org"); err == nil {
		t.Error("token for unknown user")
	}
	for i, cases := range []string{"Demo cases created: 9; demo referrals: 6", "Demo cases created: 0; demo referrals: 0"} {
		out, err := kurve(t, "", "seed", "--demo")
		if err != nil || strings.Count(out, "@es.kurve.example") != len(models.Roles) || !strings.Contains(out, cases) {
			t.Fatalf("seed run %d: %q %v", i, out, err)
		}
	}
	// Every status of SPEC §3 is in the demo data.
	var statuses []string
	tdb.Gorm.Raw("SELECT DISTINCT status FROM prevention.participants ORDER BY 1").Scan(&statuses)
	if len(statuses) != len(models.Statuses) {
		t.Errorf("demo statuses %v", statuses)
	}
	// Key rotation: a new key, the old one for reading, then re-encryption.
	if out, err := kurve(t, "", "key", "reencrypt"); err != nil || !strings.Contains(out, "re-encrypted 0") {
		t.Fatalf("reencrypt under the same key: %q %v", out, err)
	}
	oldKey, _ := os.ReadFile(os.Getenv("KURVE_DATA_KEY_FILE"))
	t.Setenv("KURVE_DATA_KEY_FILE", writeKey(t))
	t.Setenv("KURVE_OLD_DATA_KEYS", strings.TrimSpace(string(oldKey)))
	if out, err := kurve(t, "", "key", "reencrypt", "--batch", "7"); err != nil || strings.Contains(out, "re-encrypted 0 ") {
		t.Fatalf("reencrypt under a new key: %q %v", out, err)
	}
	t.Setenv("KURVE_OLD_DATA_KEYS", "")
	if out, err := kurve(t, "", "key", "reencrypt"); err != nil || !strings.Contains(out, "re-encrypted 0") {
		t.Fatalf("after rotation the old key is not needed: %q %v", out, err)
	}
	// The audit log: sealed, proven, its checkpoint kept outside; then the
	// last entry removed and a changed entry, as a superuser would.
	dbtest.Exec(t, tdb.Gorm, "INSERT INTO audit.events (action) VALUES ('test.cli'), ('test.cli'), ('test.cli')")
	if out, err := kurve(t, "", "audit", "seal"); err != nil || !strings.Contains(out, "sealed") {
		t.Fatalf("audit seal: %q %v", out, err)
	}
	if out, err := kurve(t, "", "audit", "verify"); err != nil || !strings.Contains(out, "intact") || !strings.Contains(out, "proven against") {
		t.Fatalf("audit verify: %q %v", out, err)
	}
	cp, err := kurve(t, "", "audit", "checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	kept := t.TempDir() + "/checkpoint.json"
	if err := os.WriteFile(kept, []byte(cp), 0o600); err != nil {
		t.Fatal(err)
	}
	var size int
	tdb.Gorm.Raw("SELECT max(seq) FROM audit.events").Scan(&size)
	dbtest.Exec(t, tdb.Gorm, fmt.Sprintf(`BEGIN; SET LOCAL session_replication_role = replica;
		DELETE FROM audit.events WHERE seq = %d; DELETE FROM audit.checkpoints; COMMIT`, size))
	if _, err := kurve(t, "", "audit", "verify", "--checkpoint", kept); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("entry %d", size)) {
		t.Fatalf("truncated audit log: %v", err)
	}
	dbtest.Exec(t, tdb.Gorm, `BEGIN; SET LOCAL session_replication_role = replica; UPDATE audit.events SET action = 'tampered.entry' WHERE seq = 1; COMMIT`)
	if _, err := kurve(t, "", "audit", "verify"); err == nil || !strings.Contains(err.Error(), "entry 1:") {
		t.Fatalf("tampered audit log: %v", err)
	}
	var ue usageError
	if _, err := kurve(t, "", "frobnicate"); !errors.As(err, &ue) {
		t.Errorf("unknown command: %v", err)
	}
}

func TestSeedSynthetic(t *testing.T) {
	tdb := dbtest.New(t)
	t.Setenv("DATABASE_URL", tdb.URL)
	t.Setenv("KURVE_DATA_KEY_FILE", writeKey(t))
	var ue usageError
	for _, args := range [][]string{{"seed"}, {"seed", "--demo", "--synthetic"}, {"seed", "--demo", "--seed", "3"},
		{"seed", "--synthetic", "--participants", "0"}} {
		if _, err := kurve(t, "", args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v", args, err)
		}
	}
	out, err := kurve(t, "", "seed", "--synthetic", "--participants", "200", "--seed", "3")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// Counts and durations only, never a name.
	if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "Synthetic data: 8 sites,") ||
		!strings.Contains(lines[0], " 200 participants,") || !strings.HasPrefix(lines[1], "Statistics refreshed") {
		t.Fatalf("seed --synthetic: %q %v", out, err)
	}
	var n int64
	tdb.Gorm.Raw("SELECT count(*) FROM prevention.participants").Scan(&n)
	if n != 200 {
		t.Errorf("%d participants", n)
	}
	if _, err := kurve(t, "", "seed", "--synthetic", "--participants", "200"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second run: %v", err)
	}
	var before, after time.Time
	tdb.Gorm.Raw("SELECT at FROM stats_base.refreshed").Scan(&before)
	if out, err := kurve(t, "", "stats", "refresh"); err != nil || !strings.HasPrefix(out, "Statistics refreshed") {
		t.Errorf("stats refresh: %q %v", out, err)
	}
	tdb.Gorm.Raw("SELECT at FROM stats_base.refreshed").Scan(&after)
	if !after.After(before) {
		t.Errorf("stats refresh did not refresh: %v → %v", before, after)
	}
	t.Setenv("KURVE_ENV", "production")
	if _, err := kurve(t, "", "seed", "--synthetic", "--participants", "200"); err == nil || !strings.Contains(err.Error(), "production") {
		t.Errorf("synthetic seed in production: %v", err)
	}
}

func TestServeRefusesWithoutKeyInProductionOrBehindSchema(t *testing.T) {
	tdb := dbtest.New(t)
	t.Setenv("DATABASE_URL", tdb.URL)
	t.Setenv("KURVE_ENV", "production")
	if _, err := kurve(t, "", "serve"); err == nil || !strings.Contains(err.Error(), "KURVE_DATA_KEY") {
		t.Fatalf("production without key: %v", err)
	}
	if _, err := kurve(t, "", "seed", "--demo"); err == nil {
		t.Error("demo seed in production")
	}
	t.Setenv("KURVE_DATA_KEY", "k0011223344556677:tooshort")
	if _, err := kurve(t, "", "serve"); err == nil {
		t.Fatal("malformed key accepted")
	}
	t.Setenv("KURVE_ENV", "development")
	t.Setenv("KURVE_DATA_KEY", "")
	dbtest.Exec(t, tdb.Gorm, "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")
	if _, err := kurve(t, "", "serve"); err == nil || !strings.Contains(err.Error(), "kurve migrate") {
		t.Fatalf("schema behind: %v", err)
	}
}

func TestServeAndGracefulShutdown(t *testing.T) {
	tdb := dbtest.New(t)
	t.Setenv("DATABASE_URL", tdb.URL)
	t.Setenv("KURVE_DATA_KEY_FILE", writeKey(t))
	srv := startServing(t) // ready: /readyz answered 200
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not shut down")
	}
}

func writeKey(t *testing.T) string {
	t.Helper()
	f := t.TempDir() + "/key"
	var out bytes.Buffer
	if err := cmdKeyGenerate(nil, &out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestStatsConfig: k below 3, an unknown consent mode or a refresh shorter
// than a minute stop every command with a message naming the variable.
func TestStatsConfig(t *testing.T) {
	for name, value := range map[string]string{"KURVE_STATS_K": "2", "KURVE_STATS_EVALUATION_CONSENT": "maybe", "KURVE_STATS_REFRESH": "5s"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			if _, err := kurve(t, "", "key", "generate"); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%s: %v", name, value, err)
			}
		})
	}
	t.Setenv("KURVE_STATS_K", "7")
	t.Setenv("KURVE_STATS_EVALUATION_CONSENT", "relaxed")
	cfg, err := loadConfig()
	if err != nil || cfg.StatsK != 7 || !cfg.StatsRelaxed || cfg.StatsRefresh != 15*time.Minute {
		t.Errorf("config %+v %v", cfg, err)
	}
}

// TestPoolConfig: KURVE_DB_CONNS sizes the pool, within 2 to 500.
func TestPoolConfig(t *testing.T) {
	for _, v := range []string{"1", "501", "many"} {
		t.Setenv("KURVE_DB_CONNS", v)
		if _, err := kurve(t, "", "key", "generate"); err == nil || !strings.Contains(err.Error(), "KURVE_DB_CONNS") {
			t.Errorf("KURVE_DB_CONNS=%s: %v", v, err)
		}
	}
	t.Setenv("KURVE_DB_CONNS", "64")
	if cfg, err := loadConfig(); err != nil || cfg.DBConns != 64 {
		t.Errorf("config %+v %v", cfg, err)
	}
	t.Setenv("KURVE_DB_CONNS", "")
	if cfg, err := loadConfig(); err != nil || cfg.DBConns != models.DefaultConns {
		t.Errorf("default: config %+v %v", cfg, err)
	}
}

// TestTwoInstancesOneChain runs two servers on one database under
// concurrent audited load: each seals every second, one at a time (the
// advisory lock), and after both stop the whole log is one intact chain,
// every entry sealed, proven against a signed checkpoint; of the two, one
// ran the day's retention (issue 12).
func TestTwoInstancesOneChain(t *testing.T) {
	tdb, _ := demoDatabase(t)
	tok := tokenFor(t, "koordination@es.kurve.example")
	// Statistics last refreshed a day ago: the first instance refreshes
	// them when it starts, the second finds them fresh.
	dbtest.Exec(t, tdb.Gorm, "UPDATE stats_base.refreshed SET at = now() - interval '1 day'")
	var addrs, metricsAddrs []string
	var instances []*serving
	for range 2 {
		// Each instance reads its configuration when it starts; metrics
		// on a listener of their own (issue 14).
		maddr := freeAddr(t)
		t.Setenv("KURVE_METRICS_ADDR", maddr)
		metricsAddrs = append(metricsAddrs, maddr)
		s := startServing(t)
		instances = append(instances, s)
		addrs = append(addrs, s.addr)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 15 {
				req, _ := http.NewRequest("GET", "http://"+addrs[i%2]+"/api/v1/participants", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				}
				if err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d requests failed", failed.Load())
	}
	time.Sleep(1500 * time.Millisecond) // both sealers have had a round
	// A session made on one instance works on the other.
	jar := webLogin(t, addrs[0], "koordination@es.kurve.example", models.DemoPassword)
	if code, body := webGet(t, addrs[1], "/", jar); code != 200 || !strings.Contains(body, `class="logout"`) {
		t.Errorf("the session made on instance 1 on instance 2: %d", code)
	}
	// The statistics were refreshed once across the two (the second found
	// them fresh), each instance reports its jobs, and /metrics is not on
	// the application's port.
	refreshes := 0
	for i, maddr := range metricsAddrs {
		resp, err := http.Get("http://" + maddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`kurve_job_runs_total{job="audit_seal",outcome="done"}`, `kurve_job_runs_total{job="retention",outcome=`,
			`kurve_job_last_run_timestamp_seconds{job="housekeeping"}`, `go_sql_open_connections{db_name="kurve"}`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("instance %d metrics lack %s", i+1, want)
			}
		}
		if strings.Contains(string(body), `kurve_job_runs_total{job="statistics_refresh",outcome="done"} 1`) {
			refreshes++
		}
		if code, _ := webGet(t, addrs[i], "/metrics", nil); code != http.StatusNotFound {
			t.Errorf("instance %d: /metrics on the application's port: %d", i+1, code)
		}
	}
	if refreshes != 1 {
		t.Errorf("statistics refreshed by %d instances, want 1", refreshes)
	}
	// A deactivated user is refused by both at once.
	dbtest.Exec(t, tdb.Gorm, `UPDATE org.users SET active = false WHERE email = 'koordination@es.kurve.example'`)
	for i, addr := range addrs {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/participants", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("instance %d answers the deactivated user's token with %d", i+1, resp.StatusCode)
		}
		if code, body := webGet(t, addr, "/", jar); code != 200 || strings.Contains(body, `class="logout"`) {
			t.Errorf("instance %d still knows the deactivated user's session", i+1)
		}
	}
	for _, s := range instances {
		if err := s.stop(); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	}
	var listed int64
	tdb.Gorm.Raw("SELECT count(*) FROM audit.events WHERE action = ?", models.AuditParticipantList).Scan(&listed)
	// The 240 API lists, and the two start pages of the signed-in
	// coordinator (one on each instance).
	if listed != 16*15+2 {
		t.Errorf("%d list requests audited, want %d", listed, 16*15+2)
	}
	// Both instances tried the day's retention when they started: one ran.
	var runs, audited int64
	tdb.Gorm.Raw("SELECT count(*) FROM audit.retention_runs WHERE finished_at IS NOT NULL").Scan(&runs)
	tdb.Gorm.Raw("SELECT count(*) FROM audit.events WHERE action = ?", models.AuditRetentionRun).Scan(&audited)
	if runs != 1 || audited != 1 {
		t.Errorf("retention ran %d times (%d audited) on two instances in one day, want once", runs, audited)
	}
	t.Setenv("KURVE_ADDR", "")
	out, err := kurve(t, "", "audit", "verify")
	if err != nil || !strings.Contains(out, "intact") || !strings.Contains(out, "proven against") || strings.Contains(out, "await the sealer") {
		t.Fatalf("audit verify after two instances: %q %v", out, err)
	}
}

// webLogin signs in through the login form of the instance at addr and
// returns the cookies of the new session.
func webLogin(t *testing.T, addr, email, password string) http.CookieJar {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get("http://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("login page without a CSRF token")
	}
	resp, err = client.PostForm("http://"+addr+"/login", url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	return jar
}

// webGet fetches path from the instance at addr with jar's cookies (nil:
// none), without following redirects' results beyond the final page.
func webGet(t *testing.T, addr, path string, jar http.CookieJar) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Jar: jar}).Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

func waitReady(addr string) bool {
	for range 100 {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
