package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"kurve/models"
)

// pgCluster is a private PostgreSQL cluster of the machine's installation,
// for the replica test: as root its commands run as the postgres user,
// since PostgreSQL refuses to run as root.
type pgCluster struct {
	t          *testing.T
	bin, dir   string
	port       int
	runAs      []string
	ownerUID   int
	ownerGID   int
	logForFail string
}

func newPGCluster(t *testing.T, name string) *pgCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no PostgreSQL server binaries (scripts/setup.sh installs them)")
	}
	sort.Strings(bins)
	c := &pgCluster{t: t, bin: filepath.Dir(bins[len(bins)-1]), ownerUID: -1, ownerGID: -1}
	base, err := os.MkdirTemp("", "kurve-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal("running as root needs the postgres user to run a cluster")
		}
		c.ownerUID, _ = strconv.Atoi(u.Uid)
		c.ownerGID, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(base, c.ownerUID, c.ownerGID); err != nil {
			t.Fatal(err)
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	c.dir = filepath.Join(base, "data")
	c.logForFail = filepath.Join(base, "server.log")
	_, port, _ := net.SplitHostPort(freeAddr(t))
	c.port, _ = strconv.Atoi(port)
	t.Cleanup(func() {
		_ = c.cmd("pg_ctl", "-D", c.dir, "-m", "immediate", "stop").Run()
		os.RemoveAll(base)
	})
	return c
}

func (c *pgCluster) cmd(name string, args ...string) *exec.Cmd {
	argv := append(append([]string{}, c.runAs...), append([]string{filepath.Join(c.bin, name)}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = "/"
	return cmd
}

func (c *pgCluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.cmd(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(c.logForFail)
		c.t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out, log)
	}
}

func (c *pgCluster) start(settings ...string) {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c log_statement=all", c.port, filepath.Dir(c.dir))
	for _, s := range settings {
		opts += " -c " + s
	}
	c.run("pg_ctl", "-D", c.dir, "-l", c.logForFail, "-w", "-t", "60", "-o", opts, "start")
}

func (c *pgCluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// TestStatisticsFromReplica (issue 14, SPEC §10): with KURVE_REPLICA_URL
// the evaluator's statistics are read on a streaming replica — the
// aggregate function runs there and not on the primary — while the
// primary keeps everything else, the query's audit entry included; the
// wall holds on the replica as on the primary.
func TestStatisticsFromReplica(t *testing.T) {
	primary := newPGCluster(t, "primary")
	primary.run("initdb", "-D", primary.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
	primary.start("wal_level=replica", "max_wal_senders=4")
	primary.run("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", "postgres", "kurve")
	t.Setenv("DATABASE_URL", primary.url("kurve"))
	t.Setenv("KURVE_DATA_KEY_FILE", writeKey(t))
	for _, args := range [][]string{{"migrate"}, {"seed", "--demo"}} {
		if out, err := kurve(t, "", args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	evalTok := tokenFor(t, "evaluation@es.kurve.example")

	replica := newPGCluster(t, "replica")
	replica.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", "postgres", "-D", replica.dir, "-R", "-X", "stream", "--checkpoint=fast")
	replica.start("hot_standby=on")
	rdb, err := models.Open(replica.url("kurve"))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(rdb)
	var standby bool
	if err := rdb.Raw("SELECT pg_is_in_recovery()").Scan(&standby).Error; err != nil || !standby {
		t.Fatalf("the replica is not a standby: %v %v", standby, err)
	}
	pdb, err := models.Open(primary.url("kurve"))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(pdb)

	t.Setenv("KURVE_REPLICA_URL", replica.url("kurve"))
	addr := startServing(t).addr
	// Every statement is logged on both: which one ran the aggregate?
	outcomeCalls := func(c *pgCluster) int {
		log, err := os.ReadFile(c.logForFail)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(log), "FROM statistics.outcomes(")
	}
	var auditedBefore int64
	pdb.Raw("SELECT count(*) FROM audit.events WHERE action = ?", models.AuditStatsQuery).Scan(&auditedBefore)
	for _, path := range []string{"/api/v1/stats/outcomes?by=site", "/api/v1/stats/outcomes?by=site,year"} {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+evalTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), `"rows"`) {
			t.Fatalf("GET %s with a replica: %d %s", path, resp.StatusCode, body.String())
		}
	}
	if n := outcomeCalls(replica); n == 0 {
		t.Error("statistics.outcomes never ran on the replica")
	}
	if n := outcomeCalls(primary); n != 0 {
		t.Errorf("statistics.outcomes ran %d times on the primary", n)
	}
	var audited int64
	pdb.Raw("SELECT count(*) FROM audit.events WHERE action = ?", models.AuditStatsQuery).Scan(&audited)
	if audited != auditedBefore+2 {
		t.Errorf("%d statistics queries audited on the primary, want 2", audited-auditedBefore)
	}
	// The wall on the replica: the statistics role reads no case table,
	// the enforcement role nothing of prevention, prevention nothing of
	// enforcement.
	for _, c := range []struct {
		role  models.DBRole
		table string
	}{{models.DBStatistics, "prevention.participants"}, {models.DBEnforcement, "prevention.participants"},
		{models.DBPrevention, "enforcement.referrals"}, {models.DBStatistics, "stats_base.cube"}} {
		err := rdb.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SELECT set_config('role', ?, true)", string(c.role)).Error; err != nil {
				return err
			}
			return tx.Exec("SELECT 1 FROM " + c.table + " LIMIT 1").Error
		})
		if !models.IsPermissionDenied(err) {
			t.Errorf("on the replica, %s reads %s: %v", c.role, c.table, err)
		}
	}
}
