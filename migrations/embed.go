// Package migrations holds Kurve's versioned SQL migrations. They are the one
// place where schemas, roles, grants and row-level security policies are
// defined, so the wall between prevention and enforcement is reviewable here.
package migrations

import "embed"

// FS contains every migration file, applied in version order by goose.
//
//go:embed *.sql
var FS embed.FS
