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
	var counts struct{ E, I int }
	err := s.db.Raw(`SELECT count(*) FILTER (WHERE key = ?) AS e, count(*) FILTER (WHERE key = ?) AS i
		FROM auth.login_failures WHERE key IN (?, ?) AND attempted_at > ?`,
		emailKey(email), ipKey(ip), emailKey(email), ipKey(ip), time.Now().Add(-LoginWindow)).Scan(&counts).Error
	if err != nil {
		return false, fmt.Errorf("models: login throttle: %w", err)
	}
	return counts.E >= MaxFailuresPerEmail || counts.I >= MaxFailuresPerIP, nil
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
