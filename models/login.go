package models

import (
	"encoding/hex"
	"fmt"
	"time"
)

// Login throttling (SPEC §9): failures are counted per e-mail address and
// per client address over a sliding window, in PostgreSQL so that every
// instance sees the same counts.
const (
	LoginWindow         = 15 * time.Minute
	MaxFailuresPerEmail = 5
	MaxFailuresPerIP    = 30
)

func emailKey(email string) string {
	return "e:" + hex.EncodeToString(sha256Bytes(NormalizeEmail(email)))
}
func ipKey(ip string) string { return "i:" + ip }

// LoginThrottled reports whether further attempts for email or from ip must
// be refused for now.
func (s *Store) LoginThrottled(email, ip string) (bool, error) {
	wait, err := s.LoginWait(email, ip)
	return wait > 0, err
}

// LoginWait is how long further attempts for email or from ip are refused
// (0: not throttled): until enough failures have left the window that the
// count is below its limit again (the Retry-After of a 429).
func (s *Store) LoginWait(email, ip string) (time.Duration, error) {
	now := time.Now()
	var wait time.Duration
	for _, k := range []struct {
		key string
		max int
	}{{emailKey(email), MaxFailuresPerEmail}, {ipKey(ip), MaxFailuresPerIP}} {
		// The max-th newest failure in the window: once it leaves, the
		// count is below max.
		var at []time.Time
		err := s.db.Raw(`SELECT attempted_at FROM auth.login_failures WHERE key = ? AND attempted_at > ?
			ORDER BY attempted_at DESC OFFSET ? LIMIT 1`, k.key, now.Add(-LoginWindow), k.max-1).Scan(&at).Error
		if err != nil {
			return 0, fmt.Errorf("models: login throttle: %w", err)
		}
		if len(at) == 1 {
			wait = max(wait, at[0].Add(LoginWindow).Sub(now))
		}
	}
	return wait, nil
}

// RecordLoginFailure counts a failed login.
func (s *Store) RecordLoginFailure(email, ip string) error {
	err := s.db.Exec("INSERT INTO auth.login_failures (key) VALUES (?), (?)", emailKey(email), ipKey(ip)).Error
	if err != nil {
		return fmt.Errorf("models: record login failure: %w", err)
	}
	return nil
}

// ClearLoginFailures forgets the failures for email after a good login.
func (s *Store) ClearLoginFailures(email string) error {
	if err := s.db.Exec("DELETE FROM auth.login_failures WHERE key = ?", emailKey(email)).Error; err != nil {
		return fmt.Errorf("models: clear login failures: %w", err)
	}
	return nil
}
