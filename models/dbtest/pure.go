//go:build mutate

package dbtest

import "testing"

// skipWithoutDatabase skips a database test in a build with the tag
// mutate: make mutate runs gremlins over the pure rule files thousands of
// times, and only their unit tests take part (the database tests are make
// test's; their time would make a run last hours).
func skipWithoutDatabase(tb testing.TB) {
	tb.Helper()
	tb.Skip("dbtest: database tests do not run in a mutate build")
}
