// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that is migrated once per set of migrations. It talks to the
// server named by KURVE_TEST_DATABASE_URL (default: the local server on
// 127.0.0.1:5432 as postgres). Real PostgreSQL only: no mocks.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"kurve/migrations"
	"kurve/models"
)

// defaultAdminURL is the local server of the development and CI machines.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var adminURL = defaultAdminURL

// Configure sets the maintenance connection used to create databases and
// the mutation applied to the template; each test package's TestMain
// passes KURVE_TEST_DATABASE_URL and KURVE_TEST_MUTATION (read there, once)
// before any test runs. An empty url keeps the default; an empty mutation
// is every ordinary run.
func Configure(url, mutationSQL string) {
	if url != "" {
		adminURL = url
	}
	mutation = mutationSQL
}

// AdminURL is the maintenance connection used to create databases.
func AdminURL() string { return adminURL }

// URLFor returns AdminURL with another database name.
func URLFor(dbname string) string {
	u, err := url.Parse(AdminURL())
	if err != nil {
		panic(err)
	}
	u.Path = "/" + dbname
	return u.String()
}

// checkout names this working copy. A template or kept database carries it
// as its comment, and only the checkout that built a database drops it when
// its migrations change: two checkouts testing against one server never
// drop each other's databases (a template named by the same migration hash
// is simply shared).
var checkout = func() string {
	_, file, _, _ := runtime.Caller(0)
	sum := sha256.Sum256([]byte(filepath.Dir(file)))
	return "kurve test database of checkout " + hex.EncodeToString(sum[:6])
}()

// dropOwnStale drops the databases named like pattern, other than keep,
// that this checkout built.
func dropOwnStale(ctx context.Context, conn *sql.Conn, pattern, keep string) error {
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE $1 AND datname <> $2 AND shobj_description(oid, 'pg_database') = $3`, pattern, keep, checkout)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		stale = append(stale, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, old := range stale {
		if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{old}.Sanitize()+" WITH (FORCE)"); err != nil {
			return err
		}
	}
	return nil
}

// markOwn records that this checkout built the database name.
func markOwn(ctx context.Context, conn *sql.Conn, name string) error {
	_, err := conn.ExecContext(ctx, "COMMENT ON DATABASE "+pgx.Identifier{name}.Sanitize()+" IS "+quoteLiteral(checkout))
	return err
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// mutation is SQL that make mutate-wall applies to the migrated template,
// for example a row-level-security policy made permissive: the tests then
// run against a database whose wall has one hole, and must fail (set by
// Configure).
var mutation string

// mutantMark is the comment of a mutant template: never taken for this
// checkout's ordinary template, so neither drops the other.
const mutantMark = " (mutant)"

func migrationsHash() string { return setHash(mutation) }

// setHash names a migration set with a mutation applied to it (none: "").
func setHash(mutation string) string {
	h := sha256.New()
	h.Write([]byte(mutation))
	names, _ := fs.Glob(migrations.FS, "*.sql")
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// templateName builds (once per migration set, across concurrent test
// processes) a migrated template database and returns its name.
func templateName(ctx context.Context, admin *gorm.DB) (string, error) {
	name := "kurve_tpl_" + migrationsHash()
	sqlDB, err := admin.DB()
	if err != nil {
		return "", err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// Test packages run as parallel processes: one builds, the others wait.
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(715202601)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(715202601)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// This checkout's templates of older migration sets are of no use any
	// more; other checkouts' templates are theirs, and mutants are dropped
	// by make mutate-wall.
	if mutation == "" {
		if err := dropOwnStale(ctx, conn, `kurve\_tpl\_%`, name); err != nil {
			return "", err
		}
	}
	build := name + "_build"
	if _, err := conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+build+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+build); err != nil {
		return "", err
	}
	db, err := models.Open(URLFor(build))
	if err != nil {
		return "", err
	}
	_, err = models.Migrate(ctx, db, migrations.FS)
	if err == nil && mutation != "" {
		err = db.Exec(mutation).Error
	}
	models.Close(db)
	if err != nil {
		return "", err
	}
	// Renamed only when complete, so a crashed build never becomes a template.
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+build+" RENAME TO "+name); err != nil {
		return "", err
	}
	mark := checkout
	if mutation != "" {
		mark += mutantMark
	}
	if _, err := conn.ExecContext(ctx, "COMMENT ON DATABASE "+name+" IS "+quoteLiteral(mark)); err != nil {
		return "", err
	}
	return name, nil
}

// DropMutant drops the template that the tests built for mutation, once
// make mutate-wall is done with it.
func DropMutant(ctx context.Context, mutation string) error {
	admin, err := models.Open(AdminURL())
	if err != nil {
		return err
	}
	defer models.Close(admin)
	name := "kurve_tpl_" + setHash(mutation)
	return admin.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)").Error
}

// DropMutants drops every mutant template this checkout built: left by an
// interrupted make mutate-wall or a test run by hand with
// KURVE_TEST_MUTATION.
func DropMutants(ctx context.Context) error {
	admin, err := models.Open(AdminURL())
	if err != nil {
		return err
	}
	defer models.Close(admin)
	var names []string
	if err := admin.WithContext(ctx).Raw(`SELECT datname FROM pg_database WHERE shobj_description(oid, 'pg_database') = ?`,
		checkout+mutantMark).Scan(&names).Error; err != nil {
		return err
	}
	for _, n := range names {
		if err := admin.WithContext(ctx).Exec("DROP DATABASE IF EXISTS " + pgx.Identifier{n}.Sanitize() + " WITH (FORCE)").Error; err != nil {
			return err
		}
	}
	return nil
}

// DB is one test's database.
type DB struct {
	Name string
	URL  string
	Gorm *gorm.DB
}

// New creates a fresh, migrated database for t and drops it afterwards.
func New(t testing.TB) *DB {
	t.Helper()
	skipWithoutDatabase(t)
	ctx := context.Background()
	admin, err := models.Open(AdminURL())
	if err != nil {
		t.Fatalf("dbtest: connect to %s: %v (is PostgreSQL running? see README)", redact(AdminURL()), err)
	}
	defer models.Close(admin)
	tpl, err := templateName(ctx, admin)
	if err != nil {
		t.Fatalf("dbtest: template: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "kurve_t_" + hex.EncodeToString(b)
	if err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + tpl).Error; err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	db, err := models.Open(URLFor(name))
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() {
		models.Close(db)
		admin, err := models.Open(AdminURL())
		if err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
			return
		}
		defer models.Close(admin)
		if err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error; err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	return &DB{Name: name, URL: URLFor(name), Gorm: db}
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return p.Redacted()
}

// Seed fills the database with the demo sites and users (as kurve_admin)
// and returns a map from role to that user's e-mail address.
func Seed(t testing.TB, db *gorm.DB) map[models.Role]string {
	t.Helper()
	out := map[models.Role]string{}
	err := models.InTx(context.Background(), db, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		logins, err := st.SeedDemo()
		for _, l := range logins {
			out[l.Role] = l.Email
		}
		return err
	})
	if err != nil {
		t.Fatalf("dbtest: seed: %v", err)
	}
	return out
}

// Exec runs SQL as the owner (the test's login role), failing the test on
// error.
func Exec(t testing.TB, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("dbtest: %s: %v", sql, fmt.Sprint(err))
	}
}

// Kept opens a database that outlives the test run, for benchmarks whose
// data set takes minutes to build: prefix plus the migration set's hash,
// created from the template when missing. fill runs only when the database
// is new; a database whose fill did not finish is dropped and built again
// (fill's last act must be the marker: built reports it). Kept databases
// of older migration sets are dropped.
func Kept(tb testing.TB, prefix string, built func(*gorm.DB) bool, fill func(*gorm.DB) error) *DB {
	tb.Helper()
	skipWithoutDatabase(tb)
	ctx := context.Background()
	admin, err := models.Open(AdminURL())
	if err != nil {
		tb.Fatalf("dbtest: connect to %s: %v", redact(AdminURL()), err)
	}
	defer models.Close(admin)
	tpl, err := templateName(ctx, admin)
	if err != nil {
		tb.Fatalf("dbtest: template: %v", err)
	}
	name := prefix + "_" + migrationsHash()
	sqlDB, err := admin.DB()
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	if err := dropOwnStale(ctx, conn, strings.ReplaceAll(prefix, "_", `\_`)+`\_%`, name); err != nil {
		tb.Fatal(err)
	}
	var exists bool
	if err := admin.Raw("SELECT EXISTS (SELECT FROM pg_database WHERE datname = ?)", name).Scan(&exists).Error; err != nil {
		tb.Fatal(err)
	}
	if exists {
		db, err := models.Open(URLFor(name))
		if err != nil {
			tb.Fatal(err)
		}
		if built(db) {
			tb.Cleanup(func() { models.Close(db) })
			return &DB{Name: name, URL: URLFor(name), Gorm: db}
		}
		models.Close(db)
		Exec(tb, admin, "DROP DATABASE "+name+" WITH (FORCE)")
	}
	Exec(tb, admin, "CREATE DATABASE "+name+" TEMPLATE "+tpl)
	if err := markOwn(ctx, conn, name); err != nil {
		tb.Fatal(err)
	}
	db, err := models.Open(URLFor(name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { models.Close(db) })
	if err := fill(db); err != nil {
		tb.Fatalf("dbtest: fill %s: %v", name, err)
	}
	return &DB{Name: name, URL: URLFor(name), Gorm: db}
}
