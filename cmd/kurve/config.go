package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"kurve/models"
)

// config is the typed configuration, parsed once from the environment.
// Secrets may also come from files named by the *_FILE variables.
type config struct {
	DatabaseURL string
	// ReplicaURL is a streaming replica for the statistics
	// (KURVE_REPLICA_URL, optional).
	ReplicaURL string
	Addr       string
	// BaseURL is the public URL for links (KURVE_BASE_URL; default from
	// KURVE_ADDR), never taken from request headers.
	BaseURL        string
	Production     bool
	DataKey        *models.DataKey
	OldDataKeys    []models.DataKey
	AuditKey       *models.AuditSigner // KURVE_AUDIT_KEY; else derived from DataKey
	Retention      models.Retention
	SecureCookies  bool
	TrustedProxies []string
	// Metrics (issue 14): on a listener of their own (KURVE_METRICS_ADDR),
	// and/or on the application's port behind a bearer token
	// (KURVE_METRICS_TOKEN, also as a file); neither: not served.
	MetricsAddr, MetricsToken string
	// Statistics (SPEC §6): k of k-anonymity, whether participants without
	// evaluation consent count too, and how often the views are refreshed.
	StatsK       int
	StatsRelaxed bool
	StatsRefresh time.Duration
	// DBConns is the most connections the requests' pool opens
	// (KURVE_DB_CONNS, default models.DefaultConns): about the requests
	// served at once. Other commands size their one pool by it too.
	DBConns int
}

// env reads a variable or, for NAME_FILE, the trimmed content of that file.
func env(name string) (string, error) {
	if file := os.Getenv(name + "_FILE"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv(name), nil
}

func loadConfig() (*config, error) {
	var errs []error
	get := func(name string) string {
		v, err := env(name)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	cfg := &config{DatabaseURL: get("DATABASE_URL"), ReplicaURL: get("KURVE_REPLICA_URL"), Addr: get("KURVE_ADDR")}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	cfg.BaseURL = strings.TrimRight(get("KURVE_BASE_URL"), "/")
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("KURVE_BASE_URL must be an absolute http(s) URL without query, such as https://kurve.example.org"))
	} else if cfg.Production && u.Scheme != "https" {
		errs = append(errs, fmt.Errorf("KURVE_BASE_URL must use https in production"))
	}
	switch e := get("KURVE_ENV"); e {
	case "", "development":
	case "production":
		cfg.Production = true
	default:
		errs = append(errs, fmt.Errorf("KURVE_ENV must be development or production, not %q", e))
	}
	if k := get("KURVE_DATA_KEY"); k != "" {
		key, err := models.ParseDataKey(k)
		if err != nil {
			errs = append(errs, fmt.Errorf("KURVE_DATA_KEY: %w", err))
		} else {
			cfg.DataKey = &key
		}
	}
	if old := get("KURVE_OLD_DATA_KEYS"); old != "" {
		for _, k := range strings.Split(old, ",") {
			key, err := models.ParseDataKey(k)
			if err != nil {
				errs = append(errs, fmt.Errorf("KURVE_OLD_DATA_KEYS: %w", err))
				continue
			}
			cfg.OldDataKeys = append(cfg.OldDataKeys, key)
		}
	}
	if k := get("KURVE_AUDIT_KEY"); k != "" {
		seed, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(k))
		signer, serr := models.NewAuditSigner(seed)
		if err != nil || serr != nil {
			errs = append(errs, fmt.Errorf("KURVE_AUDIT_KEY must be 32 bytes, base64url without padding, as printed by `kurve key generate --audit`"))
		} else {
			cfg.AuditKey = &signer
		}
	}
	cfg.SecureCookies = cfg.Production
	switch v := get("KURVE_SECURE_COOKIES"); v {
	case "":
	case "true", "1":
		cfg.SecureCookies = true
	case "false", "0":
		cfg.SecureCookies = false
	default:
		errs = append(errs, fmt.Errorf("KURVE_SECURE_COOKIES must be true or false"))
	}
	cfg.MetricsAddr, cfg.MetricsToken = get("KURVE_METRICS_ADDR"), get("KURVE_METRICS_TOKEN")
	if cfg.MetricsToken != "" && len(cfg.MetricsToken) < 20 {
		errs = append(errs, fmt.Errorf("KURVE_METRICS_TOKEN must have at least 20 characters"))
	}
	if p := get("KURVE_TRUSTED_PROXIES"); p != "" {
		for _, x := range strings.Split(p, ",") {
			cfg.TrustedProxies = append(cfg.TrustedProxies, strings.TrimSpace(x))
		}
	}
	cfg.StatsK = models.DefaultK
	if v := get("KURVE_STATS_K"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < models.MinK {
			errs = append(errs, fmt.Errorf("KURVE_STATS_K must be a whole number of at least %d", models.MinK))
		} else {
			cfg.StatsK = k
		}
	}
	switch v := get("KURVE_STATS_EVALUATION_CONSENT"); v {
	case "", "required":
	case "relaxed":
		cfg.StatsRelaxed = true
	default:
		errs = append(errs, fmt.Errorf("KURVE_STATS_EVALUATION_CONSENT must be required or relaxed"))
	}
	cfg.Retention = models.DefaultRetention
	if v := get("KURVE_RETENTION_MONTHS"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 600 {
			errs = append(errs, fmt.Errorf("KURVE_RETENTION_MONTHS must be a whole number of months from 1 to 600"))
		} else {
			cfg.Retention.CaseMonths = m
		}
	}
	cfg.StatsRefresh = 15 * time.Minute
	if v := get("KURVE_STATS_REFRESH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			errs = append(errs, fmt.Errorf("KURVE_STATS_REFRESH must be a duration of at least 1m, such as 15m"))
		} else {
			cfg.StatsRefresh = d
		}
	}
	cfg.DBConns = models.DefaultConns
	if v := get("KURVE_DB_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 500 {
			errs = append(errs, fmt.Errorf("KURVE_DB_CONNS must be a whole number from 2 to 500"))
		} else {
			cfg.DBConns = n
		}
	}
	return cfg, errors.Join(errs...)
}

// auditSigner is the key that signs audit checkpoints: KURVE_AUDIT_KEY, or
// one derived from the data key; ok is false when there is neither.
func (c *config) auditSigner() (signer models.AuditSigner, ok bool) {
	switch {
	case c.AuditKey != nil:
		return *c.AuditKey, true
	case c.DataKey != nil:
		return models.AuditSignerFromDataKey(*c.DataKey), true
	}
	return models.AuditSigner{}, false
}

// auditKeys are the keys verify accepts: the current signer's, and those
// derived from the current and the old data keys (checkpoints signed
// before a rotation stay provable).
func (c *config) auditKeys() models.AuditKeys {
	var signers []models.AuditSigner
	if s, ok := c.auditSigner(); ok {
		signers = append(signers, s)
	}
	if c.DataKey != nil {
		signers = append(signers, models.AuditSignerFromDataKey(*c.DataKey))
	}
	for _, k := range c.OldDataKeys {
		signers = append(signers, models.AuditSignerFromDataKey(k))
	}
	return models.NewAuditKeys(signers...)
}

// requireDB is called by commands that talk to PostgreSQL.
func (c *config) requireDB() error {
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (make run starts a private PostgreSQL and sets it)")
	}
	return nil
}

// checkServe enforces what `kurve serve` needs: in production a real data
// key, so that nothing is ever stored under a missing or throwaway key.
// dataKeys are the current and the old data keys.
func (c *config) dataKeys() []models.DataKey {
	keys := append([]models.DataKey(nil), c.OldDataKeys...)
	if c.DataKey != nil {
		keys = append(keys, *c.DataKey)
	}
	return keys
}

// findings are what makes this configuration unfit for production (issue
// 14): `kurve check` prints them, a production `serve` refuses to start.
func (c *config) findings() []models.Finding {
	var out []models.Finding
	if c.DataKey == nil {
		out = append(out, models.Finding{Problem: "no data key: everything encrypted is unreadable after a restart",
			Fix: "set KURVE_DATA_KEY_FILE to a key from `kurve key generate`, kept outside the database and its backups"})
	} else if c.DataKey.Development() {
		out = append(out, models.Finding{Problem: "KURVE_DATA_KEY is a development key (`key generate --development`)",
			Fix: "generate a key with `kurve key generate` and re-encrypt (`kurve key reencrypt`, README)"})
	}
	if !c.SecureCookies {
		out = append(out, models.Finding{Problem: "cookies are sent without the Secure attribute",
			Fix: "remove KURVE_SECURE_COOKIES=false and serve over https"})
	}
	if !strings.HasPrefix(c.BaseURL, "https://") {
		out = append(out, models.Finding{Problem: "KURVE_BASE_URL " + c.BaseURL + " is not https: links in e-mails and calendars would travel in clear",
			Fix: "set KURVE_BASE_URL to the public https address"})
	}
	return out
}

func (c *config) checkServe() error {
	if err := c.requireDB(); err != nil {
		return err
	}
	if c.Production && c.DataKey == nil {
		return errors.New("KURVE_ENV=production needs KURVE_DATA_KEY (or KURVE_DATA_KEY_FILE); create one with `kurve key generate`")
	}
	return nil
}
