package app

import (
	"context"
	"encoding/hex"
	"fmt"
	gojson "github.com/goccy/go-json"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"gorm.io/gorm"

	"kurve/locales"
	"kurve/migrations"
	"kurve/models"
	"kurve/views"
)

// Config is what the HTTP layer needs, parsed once by cmd/kurve.
type Config struct {
	// Production turns on secure cookies and HSTS.
	Production bool
	// SecureCookies marks cookies Secure with the __Host- prefix; on by
	// default in production (behind TLS).
	SecureCookies bool
	// BodyLimit is the largest request body accepted, in bytes.
	BodyLimit int
	// TrustedProxies lists proxy addresses whose X-Forwarded-For is used
	// for the client address (login throttling).
	TrustedProxies []string
	// DataKey encrypts new values; OldDataKeys are still read. Without a
	// key (development only) a throwaway key is used.
	DataKey     *models.DataKey
	OldDataKeys []models.DataKey
	// StatsK is the k of k-anonymity for evaluators' tables (default 5,
	// never below 3). StatsRelaxed counts participants without evaluation
	// consent too, where the law allows it.
	StatsK       int
	StatsRelaxed bool
	// StatsRefresh is how often the statistics views are recomputed
	// (default 15 minutes).
	StatsRefresh time.Duration
	// Replica, when set (KURVE_REPLICA_URL), is a streaming replica the
	// evaluators' statistics read from; everything else, their audit
	// entries included, stays on the primary (issue 14, SPEC §10).
	Replica *gorm.DB
	// Requests, when set, is the pool requests run on
	// (models.OpenRequests: connections that start as kurve_auth, which
	// saves every request a round trip); the pool given to New serves the
	// background work, and requests too when Requests is nil.
	Requests *gorm.DB
	// MetricsToken is the bearer token /metrics asks for on the
	// application's port (KURVE_METRICS_TOKEN); without one /metrics is
	// 404 there, and served only on KURVE_METRICS_ADDR (MetricsHandler).
	MetricsToken string
	// RetentionMonths is how long a case is kept after it ended
	// (KURVE_RETENTION_MONTHS), as the consent form tells families;
	// default models.DefaultRetention.
	RetentionMonths int
	// BaseURL is the public URL of the application (KURVE_BASE_URL), for
	// links that leave it: calendar feeds, set-password links. Default
	// http://127.0.0.1:8080.
	BaseURL string
	// Clock is the time the server works with (nil: the real time). Tests
	// pin it, for example to 23:30 UTC, when Berlin is already on the
	// next day.
	Clock func() time.Time
}

// DefaultBodyLimit is the request body limit when none is configured.
const DefaultBodyLimit = 1 << 20

// Server wires the route table to its dependencies.
type Server struct {
	cfg Config
	db  *gorm.DB
	// req is the pool of requests: cfg.Requests, else db.
	req     *gorm.DB
	i18n    *I18n
	views   *Renderer
	metrics *metrics
	cipher  *models.Cipher
	routes  []Route
	fiber   *fiber.App
	outage  outage
	// dash keeps the start pages' attention lists (dashcache.go).
	dash dashCache
	// heavy queues the statistics tables (heavy.go).
	heavy *heavyGate
}

// New builds the Fiber application with every route of the route table.
func New(cfg Config, db *gorm.DB) (*Server, error) {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.StatsK == 0 {
		cfg.StatsK = models.DefaultK
	}
	if cfg.StatsK < models.MinK {
		return nil, fmt.Errorf("app: k-anonymity of %d is below the minimum of %d", cfg.StatsK, models.MinK)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:8080"
	}
	if cfg.RetentionMonths <= 0 {
		cfg.RetentionMonths = models.DefaultRetention.CaseMonths
	}
	if cfg.StatsRefresh <= 0 {
		cfg.StatsRefresh = 15 * time.Minute
	}
	tr, err := NewI18n(locales.FS)
	if err != nil {
		return nil, err
	}
	rnd, err := NewRenderer(views.Templates)
	if err != nil {
		return nil, err
	}
	key := cfg.DataKey
	if key == nil {
		if cfg.Production {
			return nil, fmt.Errorf("app: production needs a data key")
		}
		slog.Warn("no data key: using a throwaway key; encrypted values will be unreadable after a restart")
		k := models.EphemeralDataKey()
		key = &k
	}
	cipher, err := models.NewCipher(*key, cfg.OldDataKeys...)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, db: db, req: db, i18n: tr, views: rnd, metrics: newMetrics(), cipher: cipher, heavy: newHeavyGate()}
	if cfg.Requests != nil {
		s.req = cfg.Requests
	}
	if sqlDB, err := s.req.DB(); err == nil {
		s.metrics.watchPool(sqlDB)
	}
	s.fiber = fiber.New(fiber.Config{
		AppName:                 "kurve",
		JSONEncoder:             gojson.Marshal,
		BodyLimit:               cfg.BodyLimit,
		ErrorHandler:            s.handleError,
		ReadTimeout:             30 * time.Second,
		WriteTimeout:            60 * time.Second,
		IdleTimeout:             120 * time.Second,
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: len(cfg.TrustedProxies) > 0,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		// Values taken from the request must not change under a handler
		// that keeps them (Fiber reuses its buffers otherwise).
		Immutable: true,
		// A malformed multipart body is answered by the error handler
		// (problem+json on the API), not by fasthttp's plain 400 page.
		DisablePreParseMultipartForm: true,
	})
	s.fiber.Use(recover.New(recover.Config{EnableStackTrace: false}))
	// Compressed answers where the client asks (issue 15): gzip, deflate or
	// brotli. Forms carry their CSRF token masked per page (maskCSRF), so
	// the length of a compressed page tells nothing about it (BREACH); the
	// pages that show a secret once (profile: API tokens and calendar URL;
	// set-password links) are never compressed. The level follows who
	// fetches: pages go to phones, where bytes cost more than the server's
	// milliseconds (default level); static assets are fetched once a
	// version and kept (best); the API's answers go to programs on office
	// networks, where the statistics' 244 KB JSON took 2.0 ms of gzip and
	// 5.1 ms of brotli at the default level and 1.2 ms at the fastest, for
	// 65 KB instead of 51 KB (fastest).
	secret := func(p string) bool {
		return strings.HasPrefix(p, "/profile") || strings.HasPrefix(p, "/password/") || strings.HasPrefix(p, "/admin/users")
	}
	for _, lc := range []struct {
		level compress.Level
		takes func(path string) bool
	}{
		{compress.LevelBestCompression, func(p string) bool { return strings.HasPrefix(p, "/static/") }},
		{compress.LevelBestSpeed, func(p string) bool { return strings.HasPrefix(p, "/api/") }},
		{compress.LevelDefault, func(p string) bool {
			return !strings.HasPrefix(p, "/static/") && !strings.HasPrefix(p, "/api/") && !secret(p)
		}},
	} {
		s.fiber.Use(compress.New(compress.Config{Level: lc.level, Next: func(c *fiber.Ctx) bool { return !lc.takes(c.Path()) }}))
	}
	s.fiber.Use(s.requestContext)
	s.routes = s.routeTable()
	for _, r := range s.routes {
		s.fiber.Add(r.Method, r.Path, s.guard(r))
	}
	return s, nil
}

func proxyHeader(trusted []string) string {
	if len(trusted) > 0 {
		return fiber.HeaderXForwardedFor
	}
	return ""
}

// App returns the Fiber application (for app.Test and Listen).
func (s *Server) App() *fiber.App { return s.fiber }

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.routes }

// StartStatsRefresh recomputes the statistics views now and then every
// StatsRefresh until ctx ends. With several instances, one refreshes and
// the others skip (an advisory lock); readers are never blocked.
func (s *Server) StartStatsRefresh(ctx context.Context) {
	go func() {
		t := time.NewTicker(s.cfg.StatsRefresh)
		defer t.Stop()
		for {
			start := time.Now()
			// Not again when another instance refreshed within most of
			// the interval.
			done, err := models.RefreshStatisticsOlderThan(ctx, s.db, s.cfg.StatsRefresh*9/10)
			switch {
			case err != nil && ctx.Err() == nil:
				slog.Error("statistics refresh", "err", err)
				s.metrics.job("statistics_refresh", jobFailed, start)
			case done:
				slog.Info("statistics refreshed", "took_ms", time.Since(start).Milliseconds())
				s.metrics.job("statistics_refresh", jobDone, start)
			case err == nil:
				s.metrics.job("statistics_refresh", jobSkipped, start)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// MetricsHandler serves /metrics for a listener of its own
// (KURVE_METRICS_ADDR), away from the application's public port.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.httpHandler() }

// StartAuditSealer links appended audit entries into the chain and signs a
// checkpoint every interval until ctx ends (SPEC §9, migration 00015). On
// several instances one seals at a time (advisory lock); the others' rounds
// return at once. The returned channel closes when the loop has stopped.
func (s *Server) StartAuditSealer(ctx context.Context, signer models.AuditSigner, every time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			s.SealAudit(ctx, signer)
		}
	}()
	return done
}

// SealAudit runs one sealing round and writes the checkpoint it signed to
// the structured log, so that checkpoints also exist outside the database.
func (s *Server) SealAudit(ctx context.Context, signer models.AuditSigner) {
	start := time.Now()
	c, err := models.SealAudit(ctx, s.db, signer, start)
	if err != nil {
		s.metrics.job("audit_seal", jobFailed, start)
	} else {
		s.metrics.job("audit_seal", jobDone, start)
	}
	switch {
	case err != nil && ctx.Err() == nil:
		slog.Error("audit seal", "err", err)
	case c != nil:
		slog.Info("audit checkpoint", "size", c.Size, "head", hex.EncodeToString(c.Head), "signed_at", c.SignedAt.Format(time.RFC3339Nano),
			"key_id", c.KeyID, "signature", hex.EncodeToString(c.Signature))
	}
}

// StartRetention runs the day's retention (models.RunRetention) once the
// program's day has begun, checking every hour; of several instances one
// runs it (it claims the day in audit.retention_runs).
func (s *Server) StartRetention(ctx context.Context, r models.Retention) {
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			start := time.Now()
			rep, err := models.RunRetention(ctx, s.db, r, s.now(), false, true)
			switch {
			case err != nil:
				s.metrics.job("retention", jobFailed, start)
			case rep.Ran:
				s.metrics.job("retention", jobDone, start)
			default:
				s.metrics.job("retention", jobSkipped, start)
			}
			switch {
			case err != nil && ctx.Err() == nil:
				slog.Error("retention", "err", err)
			case err == nil && rep.Ran:
				slog.Info("retention", "day", rep.Day.Format(time.DateOnly), "cases_erased", rep.CasesErased, "referrals_retired", rep.ReferralsRetired,
					"sessions_purged", rep.SessionsPurged, "tokens_purged", rep.TokensPurged)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// StartHousekeeping deletes expired sessions and old login failures and
// marks expired consents every few minutes until ctx ends. Several instances may run it at once: the
// deletes are idempotent.
func (s *Server) StartHousekeeping(ctx context.Context) {
	go func() {
		t := time.NewTicker(5 * time.Minute)
		defer t.Stop()
		for {
			start := time.Now()
			err := models.InTx(ctx, s.db, models.DBAuth, models.Actor{}, func(st *models.Store) error {
				if _, err := st.DeleteExpiredSessions(); err != nil {
					return err
				}
				_, err := st.DeleteExpiredIdempotencyKeys()
				return err
			})
			if err == nil {
				err = models.InTx(ctx, s.db, models.DBPrevention, models.Actor{}, func(st *models.Store) error {
					_, err := st.ExpireConsents(s.today())
					return err
				})
			}
			if err != nil {
				s.metrics.job("housekeeping", jobFailed, start)
			} else {
				s.metrics.job("housekeeping", jobDone, start)
			}
			if err != nil && ctx.Err() == nil {
				slog.Error("housekeeping", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// CheckSchema returns an error when the database is behind the binary's
// migrations; the server refuses to start then.
func CheckSchema(ctx context.Context, db *gorm.DB) error {
	st, err := models.CheckSchema(ctx, db, migrations.FS)
	if err != nil {
		return err
	}
	if !st.UpToDate() {
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `kurve migrate`", st.Current, st.Latest)
	}
	return nil
}

var _ fs.FS = views.Static
