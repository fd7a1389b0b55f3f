package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"gorm.io/gorm"

	"kurve/models"
	"kurve/models/dbtest"
)

// BenchmarkScale (issues 12 and 15) measures the requests users make most,
// on a running `kurve serve` (its sealer, statistics refresh and retention
// jobs included) over real HTTP, with vegeta keeping 16 and then 64
// requests in flight for KURVE_BENCH_SECONDS (default 20) each:
//
//   - the participant API and the case page: social workers reading their
//     own cases (GET /api/v1/participants/{id}, GET /participants/{id});
//   - the caseload's first page and the start page of the coordinator of
//     the largest site (Gelsenkirchen, a fifth of the participants);
//   - the social workers' start pages;
//   - the evaluator's full outcome table.
//
// In the same run pgbench does the minimum work of each with as many
// clients, as the superuser, without row-level security: for the pages
// one indexed read of a participant and one insert into a copy of the
// audit table per transaction; for the statistics the outcome function's
// own query and the insert, directly before and after each request (the
// ceiling is the mean of the two). Reported per request and client count:
// req/s, p50/p95/p99 in ms, the ceiling in transactions/s, the ratio and
// the server's resident memory after the phase, as a Markdown table for
// README. `kurve serve` runs as a process of its own, so its memory is
// not the load generator's. The synthetic data set
// (KURVE_BENCH_PARTICIPANTS, default 100000) is built once and kept, as
// for BenchmarkStatsOutcomes. KURVE_BENCH_ONLY (a regular expression)
// picks requests by name.
//
//	make bench
func BenchmarkScale(b *testing.B) {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		b.Skip("pgbench is not installed (Debian: postgresql-client)")
	}
	n := envInt(b, "KURVE_BENCH_PARTICIPANTS", 100_000)
	seconds := envInt(b, "KURVE_BENCH_SECONDS", 20)
	only := regexp.MustCompile(os.Getenv("KURVE_BENCH_ONLY"))
	tdb := dbtest.Synthetic(b, n)
	requests := benchRequests(b, tdb.Gorm)
	scripts := map[string]string{"read": minimumReadScript(b, tdb.Gorm), "stats": statsScript(b)}

	// serve refreshes statistics older than most of its interval at start;
	// the measurement waits for that refresh, so make it due.
	dbtest.Exec(b, tdb.Gorm, "UPDATE stats_base.refreshed SET at = now() - interval '1 day'")
	srv := startServe(b, tdb.URL)
	for _, r := range requests {
		for i := range r.targets {
			r.targets[i].URL = "http://" + srv.addr + r.targets[i].URL
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	table := []string{"| request | clients | req/s | p50 / p95 / p99 ms | ceiling tps | ratio | server MB (peak so far) | CPU ms/req: server + PostgreSQL + load |",
		"|---|---|---|---|---|---|---|---|"}
	// The machine's speed drifts over minutes (other tenants, the
	// processor's clock: the same statistics query took 88 ms and, minutes
	// later, 150 ms), so a ceiling measured once and used for a request
	// measured minutes later skews its ratio either way. Each request's
	// ceiling is the mean of its script's pgbench runs directly before and
	// directly after it; consecutive requests of one script share the run
	// between them.
	lastKey, lastTPS := "", 0.0
	ceiling := func(script string, clients int) float64 {
		pg := postgresCPU()
		tps, lat, own := runPgbench(b, pgbench, tdb.URL, scripts[script], clients, seconds)
		perTx := 1000 / (tps * float64(seconds))
		b.Logf("pgbench %s, %d clients: %.0f tps (p50 %.1f, p95 %.1f, p99 %.1f ms); CPU ms/tx: PostgreSQL %.2f + pgbench %.2f", script, clients, tps,
			ms(lat(0.50)), ms(lat(0.95)), ms(lat(0.99)), (postgresCPU()-pg)*perTx, own.Seconds()*perTx)
		lastKey, lastTPS = fmt.Sprint(script, clients), tps
		return tps
	}
	for _, clients := range []int{16, 64} {
		for _, r := range requests {
			if !only.MatchString(r.name) {
				continue
			}
			before := lastTPS
			if lastKey != fmt.Sprint(r.ceiling, clients) {
				before = ceiling(r.ceiling, clients)
			}
			attack(r.targets, clients, 3*time.Second) // warm the pool, the plan caches and the buffers
			cpu := [3]float64{processCPU(srv.pid, false), postgresCPU(), processCPU(os.Getpid(), false)}
			app := attack(r.targets, clients, time.Duration(seconds)*time.Second)
			perReq := 1000 / float64(app.Requests)
			cpu = [3]float64{(processCPU(srv.pid, false) - cpu[0]) * perReq, (postgresCPU() - cpu[1]) * perReq, (processCPU(os.Getpid(), false) - cpu[2]) * perReq}
			if app.Success < 1 {
				b.Fatalf("%s, %d clients: %.4f succeeded: %v, %v", r.name, clients, app.Success, app.StatusCodes, app.Errors)
			}
			rss, peak := memoryMB(srv.pid, "VmRSS"), memoryMB(srv.pid, "VmHWM")
			tps := (before + ceiling(r.ceiling, clients)) / 2
			ratio := app.Throughput / tps
			b.ReportMetric(ratio, fmt.Sprintf("ratio-%s@%d", r.metric, clients))
			// The server's resident memory right after the phase, and its
			// peak so far.
			row := fmt.Sprintf("| %s | %d | %.0f | %.1f / %.1f / %.1f | %.0f | %.2f | %d (%d) | %.2f + %.2f + %.2f |", r.name, clients, app.Throughput,
				ms(app.Latencies.P50), ms(app.Latencies.P95), ms(app.Latencies.P99), tps, ratio, rss, peak, cpu[0], cpu[1], cpu[2])
			b.Log(row)
			table = append(table, row)
		}
	}
	peak := memoryMB(srv.pid, "VmHWM")
	b.ReportMetric(float64(peak), "server-peak-MB")
	b.Logf("on %s, %d participants, %d s per phase; server (kurve serve, a process of its own) resident after each phase and at its peak %d MB\n%s",
		machine(), n, seconds, peak, strings.Join(table, "\n"))
}

// benchRequest is one line of BenchmarkScale's table: its targets and the
// pgbench script of its minimum work ("read" or "stats").
type benchRequest struct {
	name, metric, ceiling string
	targets               []vegeta.Target
}

// benchRequests builds the requests of BenchmarkScale: tokens and web
// sessions for up to 64 social workers of the synthetic sites, the
// coordinator of the largest site and the demo evaluator.
func benchRequests(b *testing.B, db *gorm.DB) []*benchRequest {
	var rows []struct{ Email, ParticipantID string }
	err := db.Raw(benchCases).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		b.Fatalf("read targets: %d rows, %v", len(rows), err)
	}
	api := &benchRequest{name: "`GET /api/v1/participants/{id}` (social workers)", metric: "participant-api", ceiling: "read"}
	page := &benchRequest{name: "`GET /participants/{id}` (social workers)", metric: "participant-page", ceiling: "read"}
	home := &benchRequest{name: "`GET /` start page (social workers)", metric: "start-social-worker", ceiling: "read"}
	tokens, cookies := map[string]string{}, map[string]string{}
	for _, r := range rows {
		if _, ok := tokens[r.Email]; !ok {
			tokens[r.Email] = apiToken(b, db, r.Email)
			cookies[r.Email] = webCookie(b, db, r.Email)
			home.targets = append(home.targets, vegeta.Target{Method: "GET", URL: "/", Header: cookieHeader(cookies[r.Email])})
		}
		api.targets = append(api.targets, vegeta.Target{Method: "GET", URL: "/api/v1/participants/" + r.ParticipantID,
			Header: http.Header{"Authorization": {"Bearer " + tokens[r.Email]}}})
		page.targets = append(page.targets, vegeta.Target{Method: "GET", URL: "/participants/" + r.ParticipantID,
			Header: cookieHeader(cookies[r.Email])})
	}
	for _, r := range []*benchRequest{api, page} {
		rand.Shuffle(len(r.targets), func(i, j int) { r.targets[i], r.targets[j] = r.targets[j], r.targets[i] })
	}
	coordinator := largestSiteStaff(b, db, "coordinator")
	var siteCases int
	db.Raw(`SELECT count(*) FROM prevention.participants p JOIN org.sites s ON s.id = p.site_id WHERE s.code = 'GE'`).Scan(&siteCases)
	coord := cookieHeader(webCookie(b, db, coordinator))
	evaluator := http.Header{"Authorization": {"Bearer " + apiToken(b, db, "evaluation@es.kurve.example")}}
	b.Logf("%d cases of %d social workers; the coordinator's site has %d participants", len(rows), len(tokens), siteCases)
	return []*benchRequest{api, page,
		{name: "`GET /participants` caseload, first page (coordinator, largest site)", metric: "caseload", ceiling: "read",
			targets: []vegeta.Target{{Method: "GET", URL: "/participants", Header: coord}}},
		{name: "`GET /` start page (coordinator, largest site)", metric: "start-coordinator", ceiling: "read",
			targets: []vegeta.Target{{Method: "GET", URL: "/", Header: coord}}},
		// Search (issue 16): a common surname and a first and last name,
		// through the blind index, at the largest site.
		{name: "`GET /participants?q=…` caseload search (coordinator, largest site)", metric: "search", ceiling: "read",
			targets: []vegeta.Target{{Method: "GET", URL: "/participants?q=M%C3%BCller", Header: coord},
				{Method: "GET", URL: "/participants?q=Yusuf+Haddad", Header: coord}}},
		home,
		{name: "`GET /api/v1/stats/outcomes?by=site,age_band,year` (evaluator)", metric: "stats", ceiling: "stats",
			targets: []vegeta.Target{{Method: "GET", URL: "/api/v1/stats/outcomes?by=site,age_band,year", Header: evaluator}}},
	}
}

// largestSiteStaff is the e-mail address of an active user of role at the
// synthetic data set's largest site (Gelsenkirchen).
func largestSiteStaff(b *testing.B, db *gorm.DB, role string) string {
	var email string
	if err := db.Raw(`SELECT u.email FROM org.users u JOIN org.sites s ON s.id = u.site_id
		WHERE s.code = 'GE' AND u.role = ? AND u.active ORDER BY u.email LIMIT 1`, role).Scan(&email).Error; err != nil || email == "" {
		b.Fatalf("no %s at GE: %v", role, err)
	}
	return email
}

func cookieHeader(cookie string) http.Header {
	return http.Header{"Cookie": {"kurve_session=" + cookie}}
}

// webCookie signs email in (a session straight in the database, as the
// app's tests do) and returns the session cookie's value.
func webCookie(b *testing.B, db *gorm.DB, email string) string {
	var cookie string
	err := models.InTx(context.Background(), db, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail(email)
		if err != nil {
			return err
		}
		_, cookie, err = st.NewSession(u.ID, u.Language, true)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return cookie
}

// statsScript writes the pgbench script of the outcome table's minimum
// work: the outcome table's queries and the audit insert.
func statsScript(b *testing.B) string {
	// The request's three aggregates (the outcomes, crossing 3's police
	// contacts, which answers evaluators only, and the assessments; the
	// referral counts are not asked by age band).
	script := fmt.Sprintf(`BEGIN;
SELECT set_config('kurve.role', 'evaluator', true);
SELECT * FROM statistics.outcomes('{site,age_band,year}'::text[], NULL::text[], NULL::integer[], NULL::integer[], %[1]d, false);
SELECT * FROM crossing.police_outcomes('{site,age_band,year}'::text[], NULL::text[], NULL::integer[], NULL::integer[], %[1]d);
SELECT * FROM statistics.assessment_outcomes('{site,age_band,year}'::text[], NULL::text[], NULL::integer[], NULL::integer[], %[1]d, false);
INSERT INTO public.bench_events (at, actor_id, actor_role, action, object_type, object_id, site_id, request_id, details)
  VALUES (clock_timestamp(), gen_random_uuid(), 'evaluator', 'stats.outcomes', 'stats', 'outcomes',
          gen_random_uuid(), md5(random()::text), '{}');
COMMIT;
`, models.MinK)
	f := filepath.Join(b.TempDir(), "stats.sql")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		b.Fatal(err)
	}
	return f
}

// machine names the CPU and its cores, for the table's caption.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			model = string(m[1])
		}
	}
	return fmt.Sprintf("%s, %d cores", model, runtime.NumCPU())
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s: want a positive whole number", name)
	}
	return n
}

// benchCases are the cases up to 64 social workers of the synthetic sites
// are assigned to today, with the worker's e-mail address.
const benchCases = `WITH workers AS (
		SELECT id, email FROM org.users
		WHERE role = 'social_worker' AND email LIKE '%.synthetic.kurve.example' ORDER BY email LIMIT 64)
	SELECT w.email, a.participant_id::text AS participant_id
	FROM workers w JOIN prevention.assignments a ON a.user_id = w.id
	JOIN prevention.participants p ON p.id = a.participant_id
	WHERE a.kind = 'social_worker' AND a.from_on <= current_date
	  AND (a.until_on IS NULL OR a.until_on >= current_date) AND p.erased_at IS NULL`

func apiToken(b *testing.B, db *gorm.DB, email string) string {
	var plain string
	err := models.InTx(context.Background(), db, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail(email)
		if err != nil {
			return err
		}
		_, plain, err = st.CreateAPIToken(u.ID, "bench", 2*time.Hour)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return plain
}

// minimumReadScript writes the pgbench script of a read's minimum work:
// the same cases as readTargets (numbered in public.bench_ids) and an
// insert into public.bench_events, a copy of audit.events with its
// indexes. Both tables are the benchmark's own.
func minimumReadScript(b *testing.B, db *gorm.DB) string {
	for _, q := range []string{
		`DROP TABLE IF EXISTS public.bench_ids, public.bench_events`,
		`CREATE TABLE public.bench_ids (n int PRIMARY KEY, id uuid NOT NULL)`,
		`INSERT INTO public.bench_ids SELECT row_number() OVER (ORDER BY participant_id), participant_id::uuid FROM (` + benchCases + `) c`,
		`CREATE TABLE public.bench_events (LIKE audit.events INCLUDING INDEXES)`,
		`ALTER TABLE public.bench_events ALTER id ADD GENERATED BY DEFAULT AS IDENTITY`,
		`ANALYZE public.bench_ids`,
	} {
		dbtest.Exec(b, db, q)
	}
	var count int
	if err := db.Raw("SELECT count(*) FROM public.bench_ids").Scan(&count).Error; err != nil {
		b.Fatal(err)
	}
	script := fmt.Sprintf(`\set n random(1, %d)
BEGIN;
SELECT p.* FROM prevention.participants p WHERE p.id = (SELECT id FROM public.bench_ids WHERE n = :n);
INSERT INTO public.bench_events (at, actor_id, actor_role, action, object_type, object_id, site_id, request_id, details)
  VALUES (clock_timestamp(), gen_random_uuid(), 'social_worker', 'participant.read', 'participant', gen_random_uuid()::text,
          gen_random_uuid(), md5(random()::text), '{}');
COMMIT;
`, count)
	f := filepath.Join(b.TempDir(), "read.sql")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		b.Fatal(err)
	}
	return f
}

// servedProcess is `kurve serve` running as a process of its own, so that
// its memory is its own and not the load generator's.
type servedProcess struct {
	addr string
	pid  int
}

// startServe builds and runs `kurve serve` as a child process on the data
// set and waits until it answers and its first statistics refresh is
// done, so that the measurement does not include it. Retention is set out
// of reach of the synthetic cases, so that the kept data set stays as
// built.
func startServe(b *testing.B, dbURL string) *servedProcess {
	bin := filepath.Join(b.TempDir(), "kurve")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build kurve: %v\n%s", err, out)
	}
	addr := freeAddr(b)
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "KURVE_DATA_KEY="+dbtest.SyntheticDataKey(),
		"KURVE_ADDR="+addr, "KURVE_RETENTION_MONTHS=600")
	// KURVE_BENCH_GOMEMLIMIT tries the server under a soft memory limit
	// (the load generator is left without one).
	if limit := os.Getenv("KURVE_BENCH_GOMEMLIMIT"); limit != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+limit)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	refreshed := make(chan struct{})
	go func() {
		// The server's log (JSON lines): passed on from warnings up, and
		// watched for the end of the first statistics refresh.
		var once sync.Once
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, `"msg":"statistics refreshed"`) {
				once.Do(func() { close(refreshed) })
			}
			if !strings.Contains(line, `"level":"INFO"`) && !strings.Contains(line, `"level":"DEBUG"`) {
				fmt.Fprintln(os.Stderr, line)
			}
		}
	}()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				b.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			b.Error("serve did not stop within 30 s")
		}
	})
	if !waitReady(addr) {
		b.Fatal("serve not ready")
	}
	select {
	case <-refreshed:
	case <-time.After(5 * time.Minute):
		b.Fatal("no statistics refresh within 5 minutes")
	}
	return &servedProcess{addr: addr, pid: cmd.Process.Pid}
}

// memoryMB is a process's resident memory in MB: its peak (VmHWM) or now
// (VmRSS); -1 when it cannot be read.
func memoryMB(pid int, field string) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s*(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return -1
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return kb / 1024
}

// processCPU is the processor time (user and system, in seconds) process
// pid has used so far, from /proc; -1 when it cannot be read. With
// children, the time of its children that have ended and been waited for
// is added.
func processCPU(pid int, children bool) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The fields after the command's closing parenthesis: state is the
	// first (field 3); utime, stime, cutime and cstime are fields 14 to 17.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 15 {
		return -1
	}
	n := 2
	if children {
		n = 4
	}
	var sum float64
	for _, v := range f[11 : 11+n] {
		t, _ := strconv.ParseFloat(v, 64)
		sum += t
	}
	return sum / clockTicks
}

// clockTicks is the kernel's USER_HZ, the unit of /proc's times: 100 on
// every Linux this runs on (sysconf(_SC_CLK_TCK) is not reachable without
// cgo).
const clockTicks = 100

// postgresCPU is the processor time every PostgreSQL process on this
// machine has used so far, with the backends that have ended (pgbench's
// connections end with each run; the postmaster waits for them, so their
// time is its children's).
func postgresCPU() float64 {
	var sum float64
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			if t := processCPU(pid, true); t > 0 {
				sum += t
			}
		}
	}
	return sum
}

// attack keeps clients requests in flight for d (a closed loop: vegeta's
// unlimited rate with exactly that many workers) and returns the metrics.
func attack(targets []vegeta.Target, clients int, d time.Duration) *vegeta.Metrics {
	a := vegeta.NewAttacker(vegeta.Workers(uint64(clients)), vegeta.MaxWorkers(uint64(clients)),
		vegeta.Connections(clients), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var m vegeta.Metrics
	for res := range a.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{}, d, "reads") {
		m.Add(res)
	}
	m.Close()
	return &m
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// runPgbench runs script with clients connections for seconds and returns
// its transactions per second and a percentile function of its
// per-transaction latencies (from pgbench's transaction log), and the
// processor time pgbench itself used.
func runPgbench(b *testing.B, pgbench, dbURL, script string, clients, seconds int) (float64, func(float64) time.Duration, time.Duration) {
	dir := b.TempDir()
	cmd := exec.Command(pgbench, "--no-vacuum", "--client", strconv.Itoa(clients), "--jobs", "2",
		"--time", strconv.Itoa(seconds), "--file", script, "--log", "--log-prefix", filepath.Join(dir, "tx"), dbURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench printed no tps:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	var lat []time.Duration
	logs, _ := filepath.Glob(filepath.Join(dir, "tx*"))
	for _, name := range logs {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// client_id transaction_no time(µs) script_no time_epoch time_us
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				b.Fatalf("pgbench log %s: %q", name, sc.Text())
			}
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
		f.Close()
	}
	if len(lat) == 0 {
		b.Fatal("pgbench logged no transactions")
	}
	slices.Sort(lat)
	return tps, func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
