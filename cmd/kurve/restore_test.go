package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestBackupRestoreDrill (issue 14): a demo database dumped with pg_dump
// and restored into a new database works with the same data key — the
// audit log verifies, a participant decrypts — while a wrong key is
// refused by `kurve check` and by a production start, and in development
// shows nothing of the data.
func TestBackupRestoreDrill(t *testing.T) {
	pgDump, err1 := exec.LookPath("pg_dump")
	pgRestore, err2 := exec.LookPath("pg_restore")
	if err1 != nil || err2 != nil {
		t.Fatal("pg_dump or pg_restore not found: install postgresql-client (CI's .ci/run does)")
	}
	tdb, keyFile := demoDatabase(t)
	if _, err := kurve(t, "", "audit", "seal"); err != nil {
		t.Fatal(err)
	}
	var want struct{ ID, FirstNameEnc string }
	tdb.Gorm.Raw("SELECT id, first_name_enc FROM prevention.participants ORDER BY case_number LIMIT 1").Scan(&want)

	// Backup, then restore into a database of its own.
	dump := filepath.Join(t.TempDir(), "kurve.dump")
	if out, err := exec.Command(pgDump, "--format=custom", "--file", dump, "--dbname", tdb.URL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "kurve_restore_" + hex.EncodeToString(b)
	dbtest.Exec(t, tdb.Gorm, "CREATE DATABASE "+name)
	t.Cleanup(func() {
		if admin, err := models.Open(dbtest.AdminURL()); err == nil {
			admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			models.Close(admin)
		}
	})
	restored := dbtest.URLFor(name)
	if out, err := exec.Command(pgRestore, "--exit-on-error", "--dbname", restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	t.Setenv("DATABASE_URL", restored)
	if out, err := kurve(t, "", "audit", "verify"); err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify on the restored database: %q %v", out, err)
	}
	db, err := models.Open(restored)
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	key, err := readKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cipher, _ := models.NewCipher(key)
	var coord *models.User
	if err := models.InTx(context.Background(), db, models.DBAuth, models.Actor{}, func(st *models.Store) (err error) {
		coord, err = st.UserByEmail("koordination@es.kurve.example")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = models.InTx(context.Background(), db, models.DBPrevention, models.Actor{UserID: coord.ID, SiteID: coord.SiteID, Role: coord.Role},
		func(st *models.Store) error {
			st.UseCipher(cipher)
			p, err := st.ParticipantByID(want.ID)
			if err == nil && (p.FirstName == "" || strings.HasPrefix(p.FirstName, "v1:")) {
				t.Errorf("restored participant's name %q", p.FirstName)
			}
			return err
		})
	if err != nil {
		t.Fatalf("participant on the restored database: %v", err)
	}

	// With another key: `kurve check` and a production start refuse,
	// naming the key the data needs (served as a least-privilege role, so
	// that the key is the only finding).
	t.Setenv("KURVE_DATA_KEY_FILE", writeKey(t))
	t.Setenv("DATABASE_URL", leastPrivilegeLoginTo(t, restored))
	t.Setenv("KURVE_ENV", "production")
	t.Setenv("KURVE_BASE_URL", "https://kurve.example.org")
	if _, err := kurve(t, "", "check"); err == nil || !strings.Contains(err.Error(), "data key(s) "+key.ID) || strings.Contains(err.Error(), "superuser") {
		t.Fatalf("check with a wrong key: %v", err)
	}
	if err := run(context.Background(), []string{"serve"}, strings.NewReader(""), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), key.ID) {
		t.Fatalf("production start with a wrong key: %v", err)
	}
	// In development it starts, and shows nothing it cannot read.
	t.Setenv("KURVE_ENV", "development")
	t.Setenv("KURVE_BASE_URL", "")
	tok := tokenFor(t, "koordination@es.kurve.example")
	addr := startServing(t).addr
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/participants/"+want.ID, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || strings.Contains(body.String(), want.FirstNameEnc) {
		t.Errorf("a participant with the wrong key: %d %s", resp.StatusCode, body)
	}
}

func readKeyFile(path string) (models.DataKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return models.DataKey{}, err
	}
	return models.ParseDataKey(string(b))
}
