package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DBRole is a PostgreSQL role a request's transaction switches to.
type DBRole string

// The database roles of SPEC §5 and §11, plus kurve_auth for login and
// session lookup before the user's side is known.
const (
	DBPrevention  DBRole = "kurve_prevention"
	DBEnforcement DBRole = "kurve_enforcement"
	DBStatistics  DBRole = "kurve_statistics"
	DBAdmin       DBRole = "kurve_admin"
	DBAuth        DBRole = "kurve_auth"
	// DBMediation is the prevention side as language mediators see it:
	// names, languages, contact and address only (SPEC §2).
	DBMediation DBRole = "kurve_mediation"
	// DBDPO is the data-protection officer's: the audit log, the sites and
	// the staff directory, and case numbers through audit.case_numbers();
	// no record of either side (SPEC §2, §9).
	DBDPO DBRole = "kurve_dpo"
	// DBJobs runs the background work that needs the owner's rights, each
	// through a definer function of its own (migration 00021): today the
	// refresh of the statistics views. It reads no table.
	DBJobs DBRole = "kurve_jobs"
)

// DBRoles lists every application database role.
var DBRoles = []DBRole{DBPrevention, DBMediation, DBEnforcement, DBStatistics, DBAdmin, DBDPO, DBAuth, DBJobs}

// Open connects to PostgreSQL. GORM's own logger is silenced: SQL and its
// parameters may carry personal data and must never reach the log.
//
// Every connection counts days in the program's zone (TimeZone
// Europe/Berlin), so current_date in SQL is the day the application calls
// today at every hour, also between 23:00 and 24:00 UTC.
func Open(dsn string) (*gorm.DB, error) { return OpenTraced(dsn, nil) }

// OpenRequests opens the pool that serves requests (issue 15): its
// connections start as kurve_auth (the startup parameter role, so RESET
// ROLE also returns there) with the requests' statement timeout. A
// request's transaction, which starts by identifying its user as
// kurve_auth, then needs no round trip to leave the login role, and no
// request can run as the login role by mistake. Background work keeps the
// pool of Open, whose transactions switch to their own roles.
func OpenRequests(dsn string, tracer pgx.QueryTracer) (*gorm.DB, error) {
	return open(dsn, tracer, DBAuth)
}

// startRoles records the pools of OpenRequests (their *sql.DB) and the
// role their connections start as.
var startRoles sync.Map

// startsAs is the role db's connections start as ("" for the login role).
func startsAs(db *gorm.DB) DBRole {
	sqlDB, err := db.DB()
	if err != nil {
		return ""
	}
	r, _ := startRoles.Load(sqlDB)
	role, _ := r.(DBRole)
	return role
}

// OpenTraced is Open with a tracer that sees every statement sent on the
// pool's connections, including BEGIN and COMMIT (tests count statements
// per request with it). A nil tracer traces nothing.
func OpenTraced(dsn string, tracer pgx.QueryTracer) (*gorm.DB, error) {
	return open(dsn, tracer, "")
}

func open(dsn string, tracer pgx.QueryTracer, role DBRole) (*gorm.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("models: database URL: %w", err)
	}
	cfg.RuntimeParams["timezone"] = ProgramZone.String()
	if role != "" {
		cfg.RuntimeParams["role"] = string(role)
		cfg.RuntimeParams["statement_timeout"] = statementTimeout
	}
	cfg.Tracer = tracer
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: stdlib.OpenDB(*cfg)}), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         true,
	})
	if err != nil {
		return nil, fmt.Errorf("models: open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("models: database handle: %w", err)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	SetConns(db, DefaultConns)
	if role != "" {
		startRoles.Store(sqlDB, role)
	}
	return db, nil
}

// DefaultConns is the pool size when none is configured: enough for the
// 16 to 64 requests in flight a 2-core instance serves well (more
// connections than that only queue in PostgreSQL instead of in the pool).
const DefaultConns = 20

// SetConns sizes the pool: at most n connections, all of them kept idle
// (closing and reopening connections under load costs more than keeping
// them).
func SetConns(db *gorm.DB, n int) {
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
	}
}

// Close closes the database pool.
func Close(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		startRoles.Delete(sqlDB)
		if err := sqlDB.Close(); err != nil {
			slog.Warn("closing database", "err", err)
		}
	}
}

// Ping checks that the database answers.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Actor is who a transaction acts for, and on which day. Policies read it
// through the transaction-local settings kurve.user_id, kurve.site_id,
// kurve.role and kurve.today.
type Actor struct {
	UserID string
	SiteID string
	Role   Role
	// Today is the program day of the request (from the server's clock);
	// org.today() answers it to every policy and function of the
	// transaction. Zero leaves the database's own day in the program zone.
	Today time.Time
}

// Store is the storage layer bound to one transaction. Handlers receive it
// from the request and never see GORM.
type Store struct {
	db     *gorm.DB
	actor  Actor
	cipher *Cipher
}

// UseCipher gives the store the cipher for encrypted columns.
func (s *Store) UseCipher(c *Cipher) { s.cipher = c }

// Actor returns who the store acts for.
func (s *Store) Actor() Actor { return s.actor }

// InTx runs fn in one transaction that first switches to the database role
// and sets the actor for row-level security. Everything fn does through the
// Store runs under that role; the role ends with the transaction, so pooled
// connections never keep it.
func InTx(ctx context.Context, db *gorm.DB, role DBRole, actor Actor, fn func(*Store) error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		s := &Store{db: tx}
		if role == DBAuth && actor == (Actor{}) && startsAs(db) == DBAuth {
			// The connection is kurve_auth already, with no actor and
			// the statement timeout (OpenRequests).
			return fn(s)
		}
		if err := s.SwitchRole(role, actor); err != nil {
			return err
		}
		return fn(s)
	})
}

// SwitchRole changes the transaction's database role and actor. It is used
// once after the session lookup (as kurve_auth) has identified the user.
func (s *Store) SwitchRole(role DBRole, actor Actor) error {
	if !validDBRole(role) {
		return fmt.Errorf("models: unknown database role %q", role)
	}
	day := ""
	if !actor.Today.IsZero() {
		day = dateOf(actor.Today).Format(time.DateOnly)
	}
	// One round trip: set_config('role', …, true) is SET LOCAL ROLE, with
	// the same membership check.
	err := s.db.Exec(`SELECT set_config('role', ?, true), set_config('kurve.user_id', ?, true),
		set_config('kurve.site_id', ?, true), set_config('kurve.role', ?, true), set_config('kurve.today', ?, true),
		set_config('statement_timeout', '`+statementTimeout+`', true)`,
		string(role), actor.UserID, actor.SiteID, string(actor.Role), day).Error
	if err != nil {
		return fmt.Errorf("models: set role %s and actor: %w", role, err)
	}
	s.actor = actor
	return nil
}

// statementTimeout bounds every statement of a request's transaction.
const statementTimeout = "15s"

func validDBRole(r DBRole) bool {
	for _, x := range DBRoles {
		if x == r {
			return true
		}
	}
	return false
}

// IsPermissionDenied reports whether err is PostgreSQL's insufficient
// privilege error (SQLSTATE 42501), the answer of the wall.
func IsPermissionDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, gorm.ErrDuplicatedKey) || (errors.As(err, &pgErr) && pgErr.Code == "23505")
}

// IsUnavailable reports whether err means that PostgreSQL cannot be
// reached or is not taking work (down, restarting, connection lost), as
// opposed to an error of the request: 503, try again later.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: shutting down or
		// starting up.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		pgconn.SafeToRetry(err)
}

// isExclusionViolation reports PostgreSQL's exclusion_violation (23P01): a
// row that an exclusion constraint refuses, such as a double booking.
func isExclusionViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23P01"
}

func notFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }
