package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// leastPrivilegeLogin creates a login role as README's "Least privilege"
// describes (owns nothing, NOINHERIT, member of the kurve_* roles) and
// returns the database URL that connects as it. The role is dropped with
// the test.
func leastPrivilegeLogin(t *testing.T, tdb *dbtest.DB) string {
	t.Helper()
	return leastPrivilegeLoginTo(t, tdb.URL)
}

// leastPrivilegeLoginTo is leastPrivilegeLogin for the database at dbURL.
func leastPrivilegeLoginTo(t *testing.T, dbURL string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	role := "kurve_app_" + hex.EncodeToString(b)
	admin, err := models.Open(dbtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(admin)
	dbtest.Exec(t, admin, "CREATE ROLE "+role+" LOGIN NOINHERIT")
	dbtest.Exec(t, admin, "GRANT kurve_prevention, kurve_mediation, kurve_enforcement, kurve_statistics, kurve_admin, kurve_auth, kurve_dpo, kurve_sealer, kurve_jobs TO "+role)
	t.Cleanup(func() {
		admin, err := models.Open(dbtest.AdminURL())
		if err != nil {
			return
		}
		defer models.Close(admin)
		// The test's database is dropped after this cleanup has run, so
		// the role may still hold privileges there: drop it with them.
		admin.Exec("DROP OWNED BY " + role)
		if err := admin.Exec("DROP ROLE IF EXISTS " + role).Error; err != nil {
			t.Logf("drop role %s: %v", role, err)
		}
	})
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}

// TestLeastPrivilegeServe (issue 14): `kurve check` passes for a login
// role that owns nothing and refuses the owner (here a superuser) with
// fixes; a production serve refuses the owner and serves everything as
// the least-privilege role — requests on each side, the statistics
// refresh, the audit sealer — and its missed role switch would be refused.
func TestLeastPrivilegeServe(t *testing.T) {
	tdb, keyFile := demoDatabase(t)
	t.Setenv("KURVE_ENV", "production")
	t.Setenv("KURVE_BASE_URL", "https://kurve.example.org")
	// As the owner: findings, and production refuses to serve.
	_, err := kurve(t, "", "check")
	if err == nil || !strings.Contains(err.Error(), "superuser") || !strings.Contains(err.Error(), "owns") {
		t.Fatalf("check as the owner: %v", err)
	}
	if err := run(context.Background(), []string{"serve"}, strings.NewReader(""), &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "refuses to serve") {
		t.Fatalf("production serve as the owner: %v", err)
	}
	// A development key is a finding too.
	var dev bytes.Buffer
	if err := cmdKeyGenerate([]string{"--development"}, &dev); err != nil {
		t.Fatal(err)
	}
	devKey := t.TempDir() + "/dev-key"
	if err := os.WriteFile(devKey, dev.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	login := leastPrivilegeLogin(t, tdb)
	t.Setenv("DATABASE_URL", login)
	t.Setenv("KURVE_DATA_KEY_FILE", devKey)
	if _, err := kurve(t, "", "check"); err == nil || !strings.Contains(err.Error(), "development key") {
		t.Fatalf("check with a development key: %v", err)
	}
	t.Setenv("KURVE_DATA_KEY_FILE", keyFile)
	out, err := kurve(t, "", "check")
	if err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("check as the least-privilege role: %q %v", out, err)
	}
	// The role itself reads nothing without a switch.
	db, err := models.Open(login)
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	if err := db.Exec("SELECT 1 FROM prevention.participants LIMIT 1").Error; !models.IsPermissionDenied(err) {
		t.Errorf("the login role reads participants without a role switch: %v", err)
	}
	tok, evalTok := tokenFor(t, "koordination@es.kurve.example"), tokenFor(t, "evaluation@es.kurve.example")
	// Statistics last refreshed a day ago: serve refreshes them at start.
	dbtest.Exec(t, tdb.Gorm, "UPDATE stats_base.refreshed SET at = now() - interval '1 day'")
	srv := startServing(t)
	addr := srv.addr
	for _, c := range []struct{ path, token string }{
		{"/api/v1/participants", tok}, {"/api/v1/stats/outcomes?by=site", evalTok}, {"/api/v1/sites", tok},
	} {
		req, _ := http.NewRequest("GET", "http://"+addr+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s as the least-privilege role: %d", c.path, resp.StatusCode)
		}
	}
	// The statistics refresh and the sealer ran as that role.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var refreshed, unsealed int64
		tdb.Gorm.Raw("SELECT count(*) FROM stats_base.refreshed WHERE at > now() - interval '1 minute'").Scan(&refreshed)
		tdb.Gorm.Raw("SELECT count(*) FROM audit.events WHERE seq IS NULL").Scan(&unsealed)
		if refreshed == 1 && unsealed == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: statistics refreshed %d, %d audit entries unsealed", refreshed, unsealed)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	t.Setenv("KURVE_ENV", "development")
	if out, err := kurve(t, "", "audit", "verify"); err != nil {
		t.Fatalf("audit verify after serving as the least-privilege role: %q %v", out, err)
	}
}
