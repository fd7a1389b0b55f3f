// Command kurve is the single binary of Kurve: the web server and the
// operator's command line (SPEC §11). Configuration comes from the
// environment only; see config.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `kurve – case management for "Kurve kriegen"

Usage:
  kurve serve                      run the web server on KURVE_ADDR
  kurve migrate                    apply database migrations (idempotent)
  kurve check                      is the configuration and the database login
                                   role fit for production? (findings with
                                   their fixes; exit 1 when there are any)
  kurve key generate [--audit|--development]
                                   print a new data-encryption key (--audit:
                                   a key for audit checkpoints, KURVE_AUDIT_KEY;
                                   --development: marked, refused in production)
  kurve key reencrypt [--batch 500]
                                   rewrite encrypted values under KURVE_DATA_KEY
                                   (old keys from KURVE_OLD_DATA_KEYS)
  kurve site create --code ES --name Essen
  kurve user create --email E --name N --role ROLE --site CODE [--password-stdin] [--language de]
      without --password-stdin: prints a one-time set-password link (72 h)
  kurve token create --email E [--ttl 720h] [--name NAME]
  kurve seed --demo                sites and one demo user per role
  kurve seed --synthetic [--participants 100000] [--seed 1]
                                   synthetic case load at eight extra sites
                                   (about 20 sessions per participant; not
                                   in production; refuses to run twice)
  kurve stats refresh              recompute the statistics views now
  kurve audit verify [--checkpoint FILE]
                                   check the audit log's hash chain against its
                                   latest signed checkpoint (and FILE, one kept
                                   outside the database)
  kurve audit checkpoint           print the latest signed checkpoint (JSON)
  kurve audit seal                 link appended entries into the chain now
                                   (the server does it every second)
  kurve retention run [--dry-run]  erase cases ended KURVE_RETENTION_MONTHS
                                   (24) ago, anonymise referrals declined 6
                                   months ago, purge expired sessions and
                                   tokens (the server does it daily)

Environment: DATABASE_URL, KURVE_ADDR, KURVE_ENV, KURVE_DATA_KEY,
KURVE_OLD_DATA_KEYS, KURVE_AUDIT_KEY (each also as *_FILE), KURVE_SECURE_COOKIES,
KURVE_TRUSTED_PROXIES, KURVE_STATS_K, KURVE_STATS_EVALUATION_CONSENT,
KURVE_STATS_REFRESH, KURVE_RETENTION_MONTHS.
`

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprint(os.Stderr, usage)
			fmt.Fprintln(os.Stderr, "\nerror:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "kurve:", err)
		os.Exit(1)
	}
}

type usageError string

func (u usageError) Error() string { return string(u) }

// run dispatches a command line. It is separate from main for tests.
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError("no command")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	cmd, rest := args[0], args[1:]
	sub := ""
	if len(rest) > 0 {
		sub = rest[0]
	}
	switch {
	case cmd == "serve":
		return cmdServe(ctx, cfg)
	case cmd == "check":
		return cmdCheck(ctx, cfg, stdout)
	case cmd == "migrate":
		return cmdMigrate(ctx, cfg, stdout)
	case cmd == "key" && sub == "generate":
		return cmdKeyGenerate(rest[1:], stdout)
	case cmd == "key" && sub == "reencrypt":
		return cmdKeyReencrypt(ctx, cfg, rest[1:], stdout)
	case cmd == "site" && sub == "create":
		return cmdSiteCreate(ctx, cfg, rest[1:], stdout)
	case cmd == "user" && sub == "create":
		return cmdUserCreate(ctx, cfg, rest[1:], stdin, stdout)
	case cmd == "token" && sub == "create":
		return cmdTokenCreate(ctx, cfg, rest[1:], stdout)
	case cmd == "seed":
		return cmdSeed(ctx, cfg, rest, stdout)
	case cmd == "stats" && sub == "refresh":
		return cmdStatsRefresh(ctx, cfg, stdout)
	case cmd == "audit" && sub == "verify":
		return cmdAuditVerify(ctx, cfg, rest[1:], stdout)
	case cmd == "audit" && sub == "checkpoint":
		return cmdAuditCheckpoint(ctx, cfg, stdout)
	case cmd == "audit" && sub == "seal":
		return cmdAuditSeal(ctx, cfg, stdout)
	case cmd == "retention" && sub == "run":
		return cmdRetentionRun(ctx, cfg, rest[1:], stdout)
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError(fmt.Sprintf("unknown command %q", cmd))
}
