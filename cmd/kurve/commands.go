package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"gorm.io/gorm"

	"kurve/app"
	"kurve/migrations"
	"kurve/models"
)

func openDB(cfg *config) (*gorm.DB, error) {
	if err := cfg.requireDB(); err != nil {
		return nil, err
	}
	db, err := models.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	models.SetConns(db, cfg.DBConns)
	return db, nil
}

// openCurrentDB opens the database and refuses one whose schema is behind
// this binary's migrations.
func openCurrentDB(ctx context.Context, cfg *config) (*gorm.DB, error) {
	db, err := openDB(cfg)
	if err != nil {
		return nil, err
	}
	if err := app.CheckSchema(ctx, db); err != nil {
		models.Close(db)
		return nil, err
	}
	return db, nil
}

// backgroundConns is the pool of the background work of `kurve serve`:
// one connection each for the sealer, the statistics refresh, retention
// and housekeeping.
const backgroundConns = 4

// serveGCPercent is the garbage collector's target of `kurve serve` when
// GOGC is not set: the heap may grow to three times what is live before
// a collection, instead of twice. A statistics table allocates about
// 10 MB while it is built; at the default a third of the server's Go time
// went to collecting it (issue 17's benchmark: 0.75–0.79 of the queries'
// own ceiling, 0.80 with 200). At most four tables are built at once
// (app/heavy.go), so the heap stays small either way.
const serveGCPercent = 200

// serveMemoryLimit is the soft memory limit of `kurve serve` when
// GOMEMLIMIT is not set (issue 15: resident memory under load at most 150
// MB). Below it the collector keeps serveGCPercent; near it, it collects
// more often rather than let the heap grow. With every page in one
// template set the live heap is about 35 MB, so the limit holds without
// costing throughput: in the benchmark the server stayed at 98–138 MB
// after every phase with the same requests per second as without it
// (95–252 MB, peak 315 MB). Before, with a 63 MB live heap, a 130 MiB
// limit cost 5–30 %.
const serveMemoryLimit = 120 << 20

func cmdServe(ctx context.Context, cfg *config) error {
	if err := cfg.checkServe(); err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	if cfg.DataKey == nil {
		slog.Warn("no KURVE_DATA_KEY set; allowed only in development")
	}
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	if !cfg.Production {
		// A key that reads none of the data is refused in production
		// (checkAll); in development the server starts and shows nothing
		// it cannot decrypt.
		if fs, err := models.CheckDataKeys(ctx, db, cfg.dataKeys()); err == nil && len(fs) > 0 {
			slog.Warn("data key", "finding", fs[0].Problem)
		}
	}
	if cfg.Production {
		// The production start runs `kurve check` and refuses on findings.
		findings, err := checkAll(ctx, cfg, db)
		if err != nil {
			return err
		}
		if len(findings) > 0 {
			return fmt.Errorf("KURVE_ENV=production refuses to serve:\n%s", describeFindings(findings))
		}
	}
	var replica *gorm.DB
	if cfg.ReplicaURL != "" {
		if replica, err = models.Open(cfg.ReplicaURL); err != nil {
			return fmt.Errorf("KURVE_REPLICA_URL: %w", err)
		}
		defer models.Close(replica)
		// The replica replays the primary: the same migrations, roles
		// and policies.
		if err := app.CheckSchema(ctx, replica); err != nil {
			return fmt.Errorf("KURVE_REPLICA_URL: %w", err)
		}
	}
	// Requests run on a pool of their own whose connections start as
	// kurve_auth (models.OpenRequests), sized by KURVE_DB_CONNS; the
	// background work (sealer, statistics, retention, housekeeping) keeps
	// a few connections of the login role's pool.
	requests, err := models.OpenRequests(cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer models.Close(requests)
	models.SetConns(requests, cfg.DBConns)
	models.SetConns(db, backgroundConns)
	srv, err := app.New(app.Config{Production: cfg.Production, Replica: replica, Requests: requests, SecureCookies: cfg.SecureCookies,
		TrustedProxies: cfg.TrustedProxies, BaseURL: cfg.BaseURL, DataKey: cfg.DataKey, OldDataKeys: cfg.OldDataKeys,
		StatsK: cfg.StatsK, StatsRelaxed: cfg.StatsRelaxed, StatsRefresh: cfg.StatsRefresh,
		RetentionMonths: cfg.Retention.CaseMonths, MetricsToken: cfg.MetricsToken}, db)
	if err != nil {
		return err
	}
	signer, ok := cfg.auditSigner()
	if !ok {
		// Development only (checkServe): checkpoints are signed, but no
		// later verify can prove them.
		signer = models.AuditSignerFromDataKey(models.EphemeralDataKey())
		slog.Warn("no KURVE_DATA_KEY or KURVE_AUDIT_KEY: audit checkpoints are signed with a throwaway key")
	}
	srv.StartHousekeeping(ctx)
	srv.StartStatsRefresh(ctx)
	srv.StartRetention(ctx, cfg.Retention)
	sealing := srv.StartAuditSealer(ctx, signer, time.Second)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.App().Listener(ln) }()
	if cfg.MetricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		ms := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s for metrics: %w", cfg.MetricsAddr, err)
		}
		go func() {
			if err := ms.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
		defer ms.Close()
		slog.Info("metrics listening", "addr", mln.Addr().String())
	}
	slog.Info("listening", "addr", ln.Addr().String(), "production", cfg.Production)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	if err := srv.App().ShutdownWithTimeout(20 * time.Second); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// The requests are done: one last round seals what they appended.
	<-sealing
	last, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.SealAudit(last, signer)
	return nil
}

// checkAll is every finding of `kurve check`: the configuration's and the
// login role's.
func checkAll(ctx context.Context, cfg *config, db *gorm.DB) ([]models.Finding, error) {
	findings := cfg.findings()
	role, err := models.CheckLoginRole(ctx, db)
	if err != nil {
		return nil, err
	}
	keys, err := models.CheckDataKeys(ctx, db, cfg.dataKeys())
	return append(append(findings, role...), keys...), err
}

func describeFindings(fs []models.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  - %s\n", f)
	}
	return b.String()
}

// cmdCheck is `kurve check`: the configuration and the database login
// role as production needs them (SPEC §10, issue 14); exit status 1 with
// each finding and its fix.
func cmdCheck(ctx context.Context, cfg *config, out io.Writer) error {
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	findings, err := checkAll(ctx, cfg, db)
	if err != nil {
		return err
	}
	if len(findings) > 0 {
		return fmt.Errorf("%d finding(s):\n%s", len(findings), describeFindings(findings))
	}
	fmt.Fprintln(out, "ok: configuration and database login role fit for production")
	return nil
}

func cmdMigrate(ctx context.Context, cfg *config, out io.Writer) error {
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	n, err := models.Migrate(ctx, db, migrations.FS)
	if err != nil {
		return err
	}
	st, err := models.CheckSchema(ctx, db, migrations.FS)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "applied %d migration(s); schema at version %d\n", n, st.Current)
	// Records written before the search index existed (migration 00027)
	// are indexed now, when the data key is at hand.
	if cfg.DataKey != nil {
		cipher, err := models.NewCipher(*cfg.DataKey, cfg.OldDataKeys...)
		if err != nil {
			return err
		}
		m, err := models.IndexMissing(ctx, db, cipher, 500)
		if err != nil {
			return err
		}
		if m > 0 {
			fmt.Fprintf(out, "indexed %d record(s) for search\n", m)
		}
	}
	return nil
}

func cmdKeyGenerate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("key generate", flag.ContinueOnError)
	audit := fs.Bool("audit", false, "a key for audit checkpoints (KURVE_AUDIT_KEY) instead of a data key")
	dev := fs.Bool("development", false, "a data key marked for development, refused in production")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *audit {
		seed := make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			return err
		}
		_, err := fmt.Fprintln(out, base64.RawURLEncoding.EncodeToString(seed))
		return err
	}
	key := models.GenerateDataKey()
	if *dev {
		key = models.GenerateDevelopmentKey()
	}
	_, err := fmt.Fprintln(out, key)
	return err
}

// cmdKeyReencrypt finishes a key rotation: every encrypted value not yet
// under KURVE_DATA_KEY is decrypted with the old key it names and written
// again under the current one. Interruptible and repeatable.
func cmdKeyReencrypt(ctx context.Context, cfg *config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("key reencrypt", flag.ContinueOnError)
	batch := fs.Int("batch", 500, "values per transaction")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.DataKey == nil {
		return errors.New("key reencrypt needs KURVE_DATA_KEY (the new key) and KURVE_OLD_DATA_KEYS (the keys to replace)")
	}
	if *batch < 1 {
		return usageError("--batch must be at least 1")
	}
	cipher, err := models.NewCipher(*cfg.DataKey, cfg.OldDataKeys...)
	if err != nil {
		return err
	}
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	n, err := models.Reencrypt(ctx, db, cipher, *batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "re-encrypted %d value(s) under key %s\n", n, cipher.KeyID())
	// Re-encryption dropped the search tokens of what it rewrote
	// (migration 00027); the index is rebuilt under the new key.
	m, err := models.IndexMissing(ctx, db, cipher, *batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "indexed %d record(s) for search under key %s\n", m, cipher.KeyID())
	return nil
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument " + fs.Arg(0))
	}
	return nil
}

// asAdmin runs fn as kurve_admin, the role that manages sites and users.
func asAdmin(ctx context.Context, cfg *config, fn func(*models.Store) error) error {
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	return models.InTx(ctx, db, models.DBAdmin, models.Actor{Role: models.RoleAdmin}, fn)
}

// describe turns a validation error into one line per field, for the CLI.
func describe(err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	msgs := make([]string, 0, len(ve.Fields))
	for _, f := range ve.Fields {
		msgs = append(msgs, fmt.Sprintf("--%s: %s", f.Field, strings.TrimPrefix(f.MessageID, "validation.")))
	}
	return usageError("invalid input: " + strings.Join(msgs, "; "))
}

func cmdSiteCreate(ctx context.Context, cfg *config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("site create", flag.ContinueOnError)
	code := fs.String("code", "", "site code, e.g. ES")
	name := fs.String("name", "", "site name, e.g. Essen")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return asAdmin(ctx, cfg, func(st *models.Store) error {
		site := &models.Site{Code: strings.ToUpper(strings.TrimSpace(*code)), Name: *name}
		if err := st.CreateSite(site); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return fmt.Errorf("site %s exists already", site.Code)
			}
			return describe(err)
		}
		fmt.Fprintf(out, "site %s created\n", site.Code)
		return nil
	})
}

func cmdUserCreate(ctx context.Context, cfg *config, args []string, stdin io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address (login)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "role")
	site := fs.String("site", "", "site code")
	lang := fs.String("language", "de", "interface language")
	pwStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	password := ""
	if *pwStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		if password = strings.TrimRight(line, "\r\n"); password == "" {
			return usageError("--password-stdin: no password on standard input")
		}
	}
	return asAdmin(ctx, cfg, func(st *models.Store) error {
		u, err := st.CreateUser(models.NewUserInput{Email: *email, Name: *name, Role: models.Role(*role),
			SiteCode: strings.ToUpper(*site), Language: *lang, Password: password})
		if errors.Is(err, models.ErrConflict) {
			return fmt.Errorf("a user with that e-mail address exists already")
		}
		if err != nil {
			return describe(err)
		}
		details := map[string]any{"role": u.Role, "site": u.Site.Code, "via": "cli"}
		if err := st.Audit(models.AuditEvent{Action: models.AuditUserCreate, ObjectType: "user", ObjectID: u.ID, Details: details}); err != nil {
			return err
		}
		fmt.Fprintf(out, "user %s created\n", u.ID)
		if *pwStdin {
			return nil
		}
		// Without a password the account waits for its user to set one.
		token, expires, err := st.IssuePasswordLink(u.ID, "", time.Now())
		if err != nil {
			return err
		}
		if err := st.Audit(models.AuditEvent{Action: models.AuditUserPasswordLink, ObjectType: "user", ObjectID: u.ID}); err != nil {
			return err
		}
		fmt.Fprintf(out, "set-password link (valid until %s, hand it over personally): %s/password/%s\n",
			expires.UTC().Format(time.RFC3339), cfg.BaseURL, token)
		return nil
	})
}

func cmdTokenCreate(ctx context.Context, cfg *config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	email := fs.String("email", "", "the user's e-mail address")
	ttl := fs.Duration("ttl", models.DefaultTokenTTL, "lifetime, e.g. 720h")
	name := fs.String("name", "cli", "label shown on the profile page")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	return models.InTx(ctx, db, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail(*email)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("no active user with that e-mail address")
		}
		if err != nil {
			return err
		}
		t, plain, err := st.CreateAPIToken(u.ID, *name, *ttl)
		if err != nil {
			return describe(err)
		}
		if err := st.Audit(models.AuditEvent{ActorID: &u.ID, ActorRole: string(u.Role), SiteID: &u.SiteID,
			Action: models.AuditTokenCreated, ObjectType: "api_token", ObjectID: t.ID, Details: map[string]any{"via": "cli"}}); err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, plain)
		return err
	})
}

func cmdSeed(ctx context.Context, cfg *config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	demo := fs.Bool("demo", false, "demo sites and one user per role")
	synthetic := fs.Bool("synthetic", false, "synthetic case load at scale")
	participants := fs.Int("participants", models.DefaultSyntheticParticipants, "participants of the synthetic data")
	seed := fs.Int64("seed", 1, "random seed of the synthetic data")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	kind := "demo"
	switch {
	case *demo == *synthetic:
		return usageError("seed needs either --demo or --synthetic")
	case *synthetic:
		kind = "synthetic"
		if *participants < 1 {
			return usageError("--participants must be at least 1")
		}
	default:
		var stray []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "participants" || f.Name == "seed" {
				stray = append(stray, "--"+f.Name)
			}
		})
		if len(stray) > 0 {
			return usageError(strings.Join(stray, " and ") + " go with --synthetic")
		}
	}
	if cfg.Production {
		return fmt.Errorf("refusing to seed %s data with KURVE_ENV=production", kind)
	}
	if cfg.DataKey == nil {
		return fmt.Errorf("seed --%s encrypts case data and needs KURVE_DATA_KEY (make run generates a local one)", kind)
	}
	cipher, err := models.NewCipher(*cfg.DataKey, cfg.OldDataKeys...)
	if err != nil {
		return err
	}
	if *synthetic {
		db, err := openCurrentDB(ctx, cfg)
		if err != nil {
			return err
		}
		defer models.Close(db)
		rep, err := models.SeedSynthetic(ctx, db, cipher, models.SyntheticOptions{Participants: *participants, Seed: *seed, Today: time.Now()})
		if err != nil {
			return err
		}
		// Counts only: the data is synthetic, but a summary never shows names.
		fmt.Fprintf(out, "Synthetic data: %d sites, %d users, %d families, %d participants, %d sessions (%d entries), %d visits, %d referrals, %d assessments in %s\n",
			rep.Sites, rep.Users, rep.Families, rep.Participants, rep.Sessions, rep.SessionEntries, rep.Visits, rep.Referrals,
			rep.Assessments, rep.Took.Round(100*time.Millisecond))
		// The statistics pages read materialized views; without a refresh
		// they would show none of the new data until the server's next one.
		return refreshStatistics(ctx, db, out)
	}
	var logins []models.DemoLogin
	err = asAdmin(ctx, cfg, func(st *models.Store) error {
		logins, err = st.SeedDemo()
		return err
	})
	if err != nil {
		return err
	}
	// Case data is written the way a coordinator would, under the
	// prevention role and its policies.
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	var coord, sw, med, police *models.User
	err = models.InTx(ctx, db, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		for _, l := range logins {
			u, err := st.UserByEmail(l.Email)
			if err != nil {
				return err
			}
			switch l.Role {
			case models.RoleCoordinator:
				coord = u
			case models.RoleSocialWorker:
				sw = u
			case models.RoleMediator:
				med = u
			case models.RolePoliceLiaison:
				police = u
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var cases int
	err = models.InTx(ctx, db, models.DBPrevention, models.Actor{UserID: coord.ID, SiteID: coord.SiteID, Role: coord.Role},
		func(st *models.Store) error {
			st.UseCipher(cipher)
			cases, err = st.SeedDemoCases(sw.ID, med.ID, time.Now())
			return err
		})
	if err != nil {
		return err
	}
	// Referrals: submitted under the enforcement role, decided through the
	// intake crossing, each side under its own role.
	var refs []string
	err = models.InTx(ctx, db, models.DBEnforcement, models.Actor{UserID: police.ID, SiteID: police.SiteID, Role: police.Role},
		func(st *models.Store) error {
			st.UseCipher(cipher)
			refs, err = st.SeedDemoReferrals(coord.Site.Code, time.Now())
			return err
		})
	if err != nil {
		return err
	}
	err = models.InTx(ctx, db, models.DBPrevention, models.Actor{UserID: coord.ID, SiteID: coord.SiteID, Role: coord.Role},
		func(st *models.Store) error {
			st.UseCipher(cipher)
			return st.SeedDemoIntake(refs, sw.ID, time.Now())
		})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Demo cases created: %d; demo referrals: %d\n", cases, len(refs))
	fmt.Fprintln(out, "Demo logins (password for all: "+models.DemoPassword+"):")
	for _, l := range logins {
		fmt.Fprintf(out, "  %-18s %s\n", l.Role, l.Email)
	}
	return nil
}

// cmdStatsRefresh recomputes the statistics views now (the server does it
// every KURVE_STATS_REFRESH).
func cmdStatsRefresh(ctx context.Context, cfg *config, out io.Writer) error {
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	return refreshStatistics(ctx, db, out)
}

func refreshStatistics(ctx context.Context, db *gorm.DB, out io.Writer) error {
	start := time.Now()
	refreshed, err := models.RefreshStatistics(ctx, db)
	switch {
	case err != nil:
		return err
	case refreshed:
		fmt.Fprintf(out, "Statistics refreshed in %s\n", time.Since(start).Round(100*time.Millisecond))
	default:
		fmt.Fprintln(out, "Statistics not refreshed: another refresh is running; the server's next one includes the data")
	}
	return nil
}

func cmdAuditVerify(ctx context.Context, cfg *config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	var files []string
	fs.Func("checkpoint", "a checkpoint kept outside the database, as printed by `kurve audit checkpoint` (repeatable)", func(f string) error {
		files = append(files, f)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var external []*models.Checkpoint
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var c models.Checkpoint
		if err := json.Unmarshal(b, &c); err != nil || c.Size <= 0 {
			return fmt.Errorf("%s: not a checkpoint as printed by `kurve audit checkpoint`", f)
		}
		external = append(external, &c)
	}
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	var rep *models.AuditReport
	var brk *models.AuditBreak
	err = models.AsSealer(ctx, db, func(tx *gorm.DB) (err error) {
		rep, brk, err = models.VerifyAudit(ctx, tx, cfg.auditKeys(), external...)
		return err
	})
	if err != nil {
		return err
	}
	if brk != nil {
		return fmt.Errorf("audit log broken at entry %d: %s (%d entries before it intact)", brk.Seq, brk.Reason, rep.Sealed)
	}
	fmt.Fprintf(out, "audit chain intact: %d entries\n", rep.Sealed)
	for _, c := range rep.Checkpoints {
		fmt.Fprintf(out, "proven against the checkpoint of %d entries signed %s by key %s\n", c.Size, c.SignedAt.Format(time.RFC3339), c.KeyID)
	}
	if rep.Unsealed > 0 {
		fmt.Fprintf(out, "%d entries await the sealer (oldest appended %s ago)\n", rep.Unsealed, time.Since(rep.OldestUnsealed).Round(time.Second))
	}
	return nil
}

// cmdAuditCheckpoint prints the latest signed checkpoint, to be kept
// outside the database (and given to `kurve audit verify --checkpoint`).
func cmdAuditCheckpoint(ctx context.Context, cfg *config, out io.Writer) error {
	db, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	var c *models.Checkpoint
	err = models.AsSealer(ctx, db, func(tx *gorm.DB) (err error) {
		c, err = models.LatestCheckpoint(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	if c == nil {
		return errors.New("no checkpoint yet: the sealer has not run (`kurve audit seal`)")
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

// cmdAuditSeal links every appended entry into the chain and signs a
// checkpoint, as the server does every second.
func cmdAuditSeal(ctx context.Context, cfg *config, out io.Writer) error {
	signer, ok := cfg.auditSigner()
	if !ok {
		return errors.New("no key to sign audit checkpoints: set KURVE_DATA_KEY or KURVE_AUDIT_KEY")
	}
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	var last *models.Checkpoint
	for {
		c, err := models.SealAudit(ctx, db, signer, time.Now())
		if err != nil {
			return err
		}
		if c == nil {
			break
		}
		last = c
	}
	if last == nil {
		fmt.Fprintln(out, "nothing to seal (or another instance is sealing)")
		return nil
	}
	fmt.Fprintf(out, "sealed: the chain has %d entries; checkpoint signed by key %s\n", last.Size, last.KeyID)
	return nil
}

// cmdRetentionRun applies the retention rules now (the server does it once
// a day); --dry-run does everything and rolls it back, printing the counts.
func cmdRetentionRun(ctx context.Context, cfg *config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("retention run", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "count what would be erased and purged; change nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openCurrentDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer models.Close(db)
	rep, err := models.RunRetention(ctx, db, cfg.Retention, time.Now(), *dry, false)
	if err != nil {
		return err
	}
	verb := "done"
	if *dry {
		verb = "dry run, nothing changed"
	}
	fmt.Fprintf(out, "retention %s (%s; cases ended more than %d months ago):\n", verb, rep.Day.Format(time.DateOnly), cfg.Retention.CaseMonths)
	fmt.Fprintf(out, "  cases erased:              %d\n  declined referrals retired: %d\n  sessions purged:           %d\n",
		rep.CasesErased, rep.ReferralsRetired, rep.SessionsPurged)
	fmt.Fprintf(out, "  API tokens purged:         %d\n  kept answers purged:       %d\n  parked forms purged:       %d\n",
		rep.TokensPurged, rep.IdempotencyPurged, rep.ParkedFormsPurged)
	fmt.Fprintf(out, "  password links purged:     %d\n", rep.PasswordLinksPurged)
	return nil
}
