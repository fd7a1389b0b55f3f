//go:build !mutate

package dbtest

import "testing"

// skipWithoutDatabase skips nothing in an ordinary build: every test
// gets its database (see pure.go for make mutate's build).
func skipWithoutDatabase(testing.TB) {}
