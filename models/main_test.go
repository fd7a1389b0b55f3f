package models_test

import (
	"os"
	"testing"

	"kurve/models/dbtest"
)

// TestMain points the per-test databases at KURVE_TEST_DATABASE_URL (read
// here, once), else at the local server.
func TestMain(m *testing.M) {
	dbtest.Configure(os.Getenv("KURVE_TEST_DATABASE_URL"), os.Getenv("KURVE_TEST_MUTATION"))
	os.Exit(m.Run())
}
