package models

import (
	"github.com/google/uuid"

	"fmt"
	"strings"
	"time"
)

// TokenPrefix marks Kurve API tokens so that secret scanners recognise them.
const TokenPrefix = "kurve_"

// Limits for API token lifetimes.
const (
	DefaultTokenTTL = 30 * 24 * time.Hour
	MaxTokenTTL     = 365 * 24 * time.Hour
)

// APIToken is a bearer token for the JSON API, stored as its SHA-256.
type APIToken struct {
	ID         string `gorm:"primaryKey;default:gen_random_uuid()"`
	UserID     string
	Name       string
	TokenHash  []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
}

// TableName implements gorm's Tabler.
func (APIToken) TableName() string { return "auth.api_tokens" }

// CreateAPIToken creates a token for userID valid for ttl and returns the
// record with the plain token, which is shown once and never stored.
func (s *Store) CreateAPIToken(userID, name string, ttl time.Duration) (*APIToken, string, error) {
	v := &ValidationError{}
	name = strings.TrimSpace(name)
	if n := len([]rune(name)); n < 1 || n > 100 {
		v.Add("name", "validation.required", nil)
	}
	if ttl <= 0 || ttl > MaxTokenTTL {
		v.Add("ttl", "validation.token_ttl", map[string]any{"Max": int(MaxTokenTTL.Hours() / 24)})
	}
	if err := v.OrNil(); err != nil {
		return nil, "", err
	}
	plain := TokenPrefix + randomToken(32)
	now := time.Now()
	t := &APIToken{UserID: userID, Name: name, TokenHash: sha256Bytes(plain), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.db.Create(t).Error; err != nil {
		return nil, "", fmt.Errorf("models: create token: %w", err)
	}
	return t, plain, nil
}

// UserByAPIToken returns the user a live token belongs to.
func (s *Store) UserByAPIToken(plain string) (*User, error) {
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) > 100 {
		return nil, fmt.Errorf("models: token: %w", ErrNotFound)
	}
	// One query for the token, its user and the user's site: every API
	// request asks it.
	var row struct {
		User
		TokenID         string
		TokenLastUsedAt *time.Time
		SiteCode        string
		SiteName        string
		SiteCreatedAt   time.Time
	}
	err := s.db.Raw(`SELECT u.*, t.id AS token_id, t.last_used_at AS token_last_used_at,
			s.code AS site_code, s.name AS site_name, s.created_at AS site_created_at
		FROM auth.api_tokens t JOIN org.users u ON u.id = t.user_id AND u.active JOIN org.sites s ON s.id = u.site_id
		WHERE t.token_hash = ? AND t.expires_at > now()`, sha256Bytes(plain)).Take(&row).Error
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: token: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("models: token: %w", err)
	}
	if row.TokenLastUsedAt == nil || time.Since(*row.TokenLastUsedAt) > time.Minute {
		// SKIP LOCKED, as for sessions: concurrent requests with one token
		// do not queue behind each other's transactions.
		if err := s.db.Exec(`UPDATE auth.api_tokens SET last_used_at = ? WHERE id = (
			SELECT id FROM auth.api_tokens WHERE id = ? FOR UPDATE SKIP LOCKED)`, time.Now(), row.TokenID).Error; err != nil {
			return nil, fmt.Errorf("models: touch token: %w", err)
		}
	}
	u := row.User
	u.Site = &Site{ID: u.SiteID, Code: row.SiteCode, Name: row.SiteName, CreatedAt: row.SiteCreatedAt}
	return &u, nil
}

// APITokensOf lists a user's tokens, newest first.
func (s *Store) APITokensOf(userID string) ([]APIToken, error) {
	var ts []APIToken
	if err := s.db.Where("user_id = ?", userID).Order("created_at DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("models: tokens: %w", err)
	}
	return ts, nil
}

// DeleteAPIToken revokes one of the user's tokens.
func (s *Store) DeleteAPIToken(userID, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("models: token %s: %w", id, ErrNotFound)
	}
	res := s.db.Where("id = ? AND user_id = ?", id, userID).Delete(&APIToken{})
	if res.Error != nil {
		return fmt.Errorf("models: delete token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: token %s: %w", id, ErrNotFound)
	}
	return nil
}
