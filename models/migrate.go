package models

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

func gooseProvider(db *gorm.DB, migrations fs.FS) (*goose.Provider, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// The session lock makes concurrent `kurve migrate` runs (several
	// instances starting at once) wait for each other instead of racing.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("models: migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration, each in its own transaction. It
// is idempotent and returns the number of migrations applied.
func Migrate(ctx context.Context, db *gorm.DB, migrations fs.FS) (int, error) {
	p, err := gooseProvider(db, migrations)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("models: migrate: %w", err)
	}
	return len(res), nil
}

// SchemaStatus tells how the database's schema compares with the binary's
// migrations.
type SchemaStatus struct {
	Current int64
	Latest  int64
}

// UpToDate reports whether every migration has been applied.
func (s SchemaStatus) UpToDate() bool { return s.Current >= s.Latest }

// CheckSchema returns the applied and the latest migration version.
func CheckSchema(ctx context.Context, db *gorm.DB, migrations fs.FS) (SchemaStatus, error) {
	p, err := gooseProvider(db, migrations)
	if err != nil {
		return SchemaStatus{}, err
	}
	// Read as kurve_jobs: the serving login role owns nothing and reads
	// nothing itself (migration 00021), the owner may switch to it too.
	var cur int64
	err = InTx(ctx, db, DBJobs, Actor{}, func(st *Store) error {
		return st.db.Raw("SELECT coalesce(max(version_id), 0) FROM public.goose_db_version WHERE is_applied").Scan(&cur).Error
	})
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("models: schema version: %w", err)
	}
	srcs := p.ListSources()
	var latest int64
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return SchemaStatus{Current: cur, Latest: latest}, nil
}
