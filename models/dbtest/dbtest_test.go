package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"kurve/models"
)

func TestMain(m *testing.M) {
	Configure(os.Getenv("KURVE_TEST_DATABASE_URL"), os.Getenv("KURVE_TEST_MUTATION"))
	os.Exit(m.Run())
}

// TestStaleTemplatesOfOthersSurvive: a checkout drops only the stale
// databases it built itself, never another checkout's (two checkouts
// testing against one server used to drop each other's templates).
func TestStaleTemplatesOfOthersSurvive(t *testing.T) {
	ctx := context.Background()
	admin, err := models.Open(AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(admin)
	sqlDB, _ := admin.DB()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	prefix := "kurve_dbtest_" + hex.EncodeToString(b)
	own, others, current := prefix+"_own", prefix+"_others", prefix+"_current"
	for _, n := range []string{own, others, current} {
		if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+n); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = conn.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+n+" WITH (FORCE)") })
	}
	for _, n := range []string{own, current} {
		if err := markOwn(ctx, conn, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMENT ON DATABASE "+others+" IS 'kurve test database of checkout 0123456789ab'"); err != nil {
		t.Fatal(err)
	}
	if err := dropOwnStale(ctx, conn, prefix+`\_%`, current); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string]bool{own: false, others: true, current: true} {
		var exists bool
		if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", n).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != want {
			t.Errorf("%s exists %v, want %v", n, exists, want)
		}
	}
}
