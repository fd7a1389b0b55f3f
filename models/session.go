package models

import (
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
)

// Session is a server-side web session. The cookie carries "id.secret"; only
// the SHA-256 of the secret is stored.
type Session struct {
	ID         string `gorm:"primaryKey"`
	SecretHash []byte
	UserID     *string
	CSRFToken  string `gorm:"column:csrf_token"`
	Language   *string
	// SecondFactor is true once the user passed TOTP (or needs none).
	SecondFactor bool
	// Flash is a message ID shown once on the next page.
	Flash      *string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// User is the session's active user with their site, as
	// SessionByCookie read them; nil for an anonymous session or a
	// deactivated user.
	User *User `gorm:"-"`
}

// TableName implements gorm's Tabler.
func (Session) TableName() string { return "auth.sessions" }

// NewSession creates a session (anonymous when userID is empty) and returns
// it with the cookie value that identifies it. secondFactor records that
// the user passed (or does not need) the TOTP check.
func (s *Store) NewSession(userID, language string, secondFactor bool) (*Session, string, error) {
	id, secret := randomToken(16), randomToken(32)
	now := time.Now()
	sess := &Session{ID: id, SecretHash: sha256Bytes(secret), CSRFToken: randomToken(32), CreatedAt: now, LastSeenAt: now,
		SecondFactor: secondFactor}
	if userID != "" {
		sess.UserID = &userID
	}
	if ValidLanguage(language) {
		sess.Language = &language
	}
	if err := s.db.Create(sess).Error; err != nil {
		return nil, "", fmt.Errorf("models: create session: %w", err)
	}
	return sess, id + "." + secret, nil
}

// LockSession makes the requests that write with one session run one at a
// time (a transaction-level advisory lock on the session id, taken before
// anything else of the request): five taps on one form otherwise took the
// session row, their idempotency keys and the flash in different orders
// and could deadlock.
func (s *Store) LockSession(cookie string) error {
	id, _, _ := strings.Cut(cookie, ".")
	if err := s.db.Exec("SELECT pg_advisory_xact_lock(hashtextextended('kurve.session:' || ?, 0))", id).Error; err != nil {
		return fmt.Errorf("models: lock session: %w", err)
	}
	return nil
}

// SessionByCookie returns the live session the cookie value names. Expired
// sessions are deleted and reported as not found.
func (s *Store) SessionByCookie(cookie string) (*Session, error) {
	id, secret, ok := strings.Cut(cookie, ".")
	if !ok || id == "" || secret == "" || len(cookie) > 200 {
		return nil, fmt.Errorf("models: session: %w", ErrNotFound)
	}
	// One query for the session, its user and the user's site: every
	// page asks it (the user's columns are NULL for an anonymous session
	// or a deactivated user).
	var row struct {
		Session
		UID             *string    `gorm:"column:u_id"`
		USiteID         *string    `gorm:"column:u_site_id"`
		UEmail          *string    `gorm:"column:u_email"`
		UName           *string    `gorm:"column:u_name"`
		URole           *string    `gorm:"column:u_role"`
		ULanguage       *string    `gorm:"column:u_language"`
		UPasswordHash   *string    `gorm:"column:u_password_hash"`
		UActive         *bool      `gorm:"column:u_active"`
		UVersion        *int       `gorm:"column:u_version"`
		UTOTPSecret     *string    `gorm:"column:u_totp_secret"`
		UTOTPEnabledAt  *time.Time `gorm:"column:u_totp_enabled_at"`
		UTOTPLastStep   *int64     `gorm:"column:u_totp_last_step"`
		UCreatedAt      *time.Time `gorm:"column:u_created_at"`
		UUpdatedAt      *time.Time `gorm:"column:u_updated_at"`
		SCode           *string    `gorm:"column:s_code"`
		SName           *string    `gorm:"column:s_name"`
		SControllerName *string    `gorm:"column:s_controller_name"`
		SControllerAddr *string    `gorm:"column:s_controller_address"`
		SPrivacyContact *string    `gorm:"column:s_privacy_contact"`
		SActive         *bool      `gorm:"column:s_active"`
		SVersion        *int       `gorm:"column:s_version"`
		SCreatedAt      *time.Time `gorm:"column:s_created_at"`
		SUpdatedAt      *time.Time `gorm:"column:s_updated_at"`
	}
	err := s.db.Raw(`SELECT se.*, u.id AS u_id, u.site_id AS u_site_id, u.email AS u_email, u.name AS u_name, u.role AS u_role,
			u.language AS u_language, u.password_hash AS u_password_hash, u.active AS u_active, u.version AS u_version,
			u.totp_secret AS u_totp_secret, u.totp_enabled_at AS u_totp_enabled_at, u.totp_last_step AS u_totp_last_step,
			u.created_at AS u_created_at, u.updated_at AS u_updated_at,
			si.code AS s_code, si.name AS s_name, si.controller_name AS s_controller_name, si.controller_address AS s_controller_address,
			si.privacy_contact AS s_privacy_contact, si.active AS s_active, si.version AS s_version,
			si.created_at AS s_created_at, si.updated_at AS s_updated_at
		FROM auth.sessions se LEFT JOIN org.users u ON u.id = se.user_id AND u.active LEFT JOIN org.sites si ON si.id = u.site_id
		WHERE se.id = ?`, id).Take(&row).Error
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: session: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("models: session: %w", err)
	}
	sess := row.Session
	if row.UID != nil {
		sess.User = &User{ID: *row.UID, SiteID: *row.USiteID, Email: *row.UEmail, Name: *row.UName, Role: Role(*row.URole),
			Language: *row.ULanguage, PasswordHash: *row.UPasswordHash, Active: *row.UActive, Version: *row.UVersion,
			TOTPSecret: row.UTOTPSecret, TOTPEnabledAt: row.UTOTPEnabledAt, TOTPLastStep: *row.UTOTPLastStep,
			CreatedAt: *row.UCreatedAt, UpdatedAt: *row.UUpdatedAt,
			Site: &Site{ID: *row.USiteID, Code: *row.SCode, Name: *row.SName, Active: *row.SActive,
				ControllerName: *row.SControllerName, ControllerAddress: *row.SControllerAddr, PrivacyContact: *row.SPrivacyContact,
				Version: *row.SVersion, CreatedAt: *row.SCreatedAt, UpdatedAt: *row.SUpdatedAt}}
	}
	if subtle.ConstantTimeCompare(sess.SecretHash, sha256Bytes(secret)) != 1 {
		return nil, fmt.Errorf("models: session: %w", ErrNotFound)
	}
	now := time.Now()
	if sess.ExpiredAt(now) {
		if err := s.DeleteSession(sess.ID); err != nil {
			return nil, err
		}
		return nil, &ExpiredSessionError{UserID: deref(sess.UserID), CSRFToken: sess.CSRFToken}
	}
	// Writing on every request would turn each page view into a write;
	// a minute of slack on a 30-minute timeout is harmless.
	if now.Sub(sess.LastSeenAt) > sessionTouchEvery {
		// SKIP LOCKED: while another request of the same session holds the
		// row (it touches it too), this one does not wait for it.
		if err := s.db.Exec(`UPDATE auth.sessions SET last_seen_at = ? WHERE id = (
			SELECT id FROM auth.sessions WHERE id = ? FOR UPDATE SKIP LOCKED)`, now, sess.ID).Error; err != nil {
			return nil, fmt.Errorf("models: touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return &sess, nil
}

// SessionLanguage is the interface language of the live session the cookie
// names: its active user's setting, else the one chosen before login; ""
// for an unknown or expired session or one without a choice. It only
// reads, for the error pages of requests that never reached a route (an
// unknown path), so it neither extends the session nor removes it.
func (s *Store) SessionLanguage(cookie string) (string, error) {
	id, secret, ok := strings.Cut(cookie, ".")
	if !ok || id == "" || secret == "" || len(cookie) > 200 {
		return "", nil
	}
	var row struct {
		SecretHash   []byte
		Language     *string
		UserLanguage *string
		CreatedAt    time.Time
		LastSeenAt   time.Time
	}
	err := s.db.Raw(`SELECT se.secret_hash, se.language, u.language AS user_language, se.created_at, se.last_seen_at
		FROM auth.sessions se LEFT JOIN org.users u ON u.id = se.user_id AND u.active WHERE se.id = ?`, id).Take(&row).Error
	if notFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("models: session language: %w", err)
	}
	live := Session{CreatedAt: row.CreatedAt, LastSeenAt: row.LastSeenAt}
	if subtle.ConstantTimeCompare(row.SecretHash, sha256Bytes(secret)) != 1 || live.ExpiredAt(time.Now()) {
		return "", nil
	}
	for _, lang := range []*string{row.UserLanguage, row.Language} {
		if lang != nil && ValidLanguage(*lang) {
			return *lang, nil
		}
	}
	return "", nil
}

// SetSessionLanguage stores the language chosen before login.
func (s *Store) SetSessionLanguage(id, lang string) error {
	if !ValidLanguage(lang) {
		return fmt.Errorf("models: session language: %w", ErrNotFound)
	}
	if err := s.db.Model(&Session{}).Where("id = ?", id).Update("language", lang).Error; err != nil {
		return fmt.Errorf("models: session language: %w", err)
	}
	return nil
}

// DeleteSession removes a session (logout, rotation, expiry).
func (s *Store) DeleteSession(id string) error {
	if err := s.db.Where("id = ?", id).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("models: delete session: %w", err)
	}
	return nil
}

// sessionKeepExpired is how long a dead session's row is kept: it serves
// no request, but names the user whose form, posted after the timeout, is
// parked for them (ParkForm).
const sessionKeepExpired = SessionMaxAge

// DeleteExpiredSessions removes sessions that ended some time ago (see
// sessionKeepExpired), old login failures and parked forms; safe to run
// from several instances at once.
func (s *Store) DeleteExpiredSessions() (int64, error) {
	now := time.Now()
	if _, err := s.DeleteExpiredParkedForms(); err != nil {
		return 0, err
	}
	res := s.db.Where("last_seen_at < ? OR created_at < ?", now.Add(-SessionIdleTimeout-sessionKeepExpired),
		now.Add(-SessionMaxAge-sessionKeepExpired)).Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("models: expire sessions: %w", res.Error)
	}
	if err := s.db.Exec("DELETE FROM auth.login_failures WHERE attempted_at < ?", now.Add(-24*time.Hour)).Error; err != nil {
		return 0, fmt.Errorf("models: expire login failures: %w", err)
	}
	return res.RowsAffected, nil
}

// SetFlash stores a message ID for the session's next page.
func (s *Store) SetFlash(sessionID, messageID string) error {
	if err := s.db.Model(&Session{}).Where("id = ?", sessionID).Update("flash", messageID).Error; err != nil {
		return fmt.Errorf("models: set flash: %w", err)
	}
	return nil
}

// TakeFlash clears the session's flash message after it was read.
func (s *Store) TakeFlash(sessionID string) error {
	if err := s.db.Model(&Session{}).Where("id = ?", sessionID).Update("flash", nil).Error; err != nil {
		return fmt.Errorf("models: take flash: %w", err)
	}
	return nil
}

// DeleteOtherSessions ends every session of the user but keep (after a
// password change, so that a thief's session dies).
func (s *Store) DeleteOtherSessions(userID, keep string) error {
	if err := s.db.Where("user_id = ? AND id <> ?", userID, keep).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("models: delete other sessions: %w", err)
	}
	return nil
}
