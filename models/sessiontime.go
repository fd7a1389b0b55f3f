package models

import "time"

// The session lifetime rule, apart from the storage in session.go so that
// make mutate tests it on its own.

// Session lifetimes (SPEC §9): idle timeout 30 minutes, and an absolute
// limit so that a stolen cookie does not live forever.
const (
	SessionIdleTimeout = 30 * time.Minute
	SessionMaxAge      = 12 * time.Hour
	sessionTouchEvery  = time.Minute
)

// ExpiredAt reports whether the session has ended at now: idle for longer
// than SessionIdleTimeout since it was last seen, or older than
// SessionMaxAge.
func (s *Session) ExpiredAt(now time.Time) bool {
	return now.Sub(s.LastSeenAt) > SessionIdleTimeout || now.Sub(s.CreatedAt) > SessionMaxAge
}
