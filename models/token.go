package models

import (
	"github.com/google/uuid"

	"encoding/json"
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
	return s.userByAPIToken(plain, nil)
}

// UserByAPITokenActing is UserByAPIToken that also switches the
// transaction to the user's database role and makes them the actor on
// day, as SwitchRole would, in the same statement: the lookup itself runs
// under the transaction's role (kurve_auth), whose privileges PostgreSQL
// checked before the statement ran, and the switch takes effect for the
// statements after it. An API request is identified and switched in one
// round trip (issue 15). Nothing is switched when the token is unknown.
func (s *Store) UserByAPITokenActing(plain string, day time.Time) (*User, error) {
	return s.userByAPIToken(plain, &day)
}

// dbRoles maps each application role to its database role, as JSON for
// the switch in SQL (Role.DBRole decides).
var dbRoles = func() string {
	m := make(map[Role]DBRole, len(Roles))
	for _, r := range Roles {
		m[r] = r.DBRole()
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func (s *Store) userByAPIToken(plain string, acting *time.Time) (*User, error) {
	if !strings.HasPrefix(plain, TokenPrefix) || len(plain) > 100 {
		return nil, fmt.Errorf("models: token: %w", ErrNotFound)
	}
	// One statement for the token, its user and the user's site, the
	// token's last use (at most once a minute; SKIP LOCKED, as for
	// sessions: concurrent requests with one token do not queue behind
	// each other's transactions) and, when acting, the switch.
	var row struct {
		User
		SiteCode      string
		SiteName      string
		SiteCreatedAt time.Time
	}
	hash := sha256Bytes(plain)
	args := []any{hash, hash}
	switching := ""
	if acting != nil {
		switching = `, set_config('role', (?::jsonb) ->> u.role, true) AS switched_role, set_config('kurve.user_id', u.id::text, true) AS switched_user,
			set_config('kurve.site_id', u.site_id::text, true) AS switched_site, set_config('kurve.role', u.role, true) AS switched_app_role,
			set_config('kurve.today', ?, true) AS switched_day, set_config('statement_timeout', '` + statementTimeout + `', true) AS switched_timeout`
		args = []any{hash, dbRoles, dateOf(*acting).Format(time.DateOnly), hash}
	}
	err := s.db.Raw(`WITH touched AS (
			UPDATE auth.api_tokens SET last_used_at = now() WHERE id = (
				SELECT id FROM auth.api_tokens WHERE token_hash = ? AND expires_at > now() AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
				FOR UPDATE SKIP LOCKED))
		SELECT u.*, s.code AS site_code, s.name AS site_name, s.created_at AS site_created_at`+switching+`
		FROM auth.api_tokens t JOIN org.users u ON u.id = t.user_id AND u.active JOIN org.sites s ON s.id = u.site_id
		WHERE t.token_hash = ? AND t.expires_at > now()`, args...).Take(&row).Error
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: token: %w", ErrNotFound)
		}
		return nil, fmt.Errorf("models: token: %w", err)
	}
	u := row.User
	u.Site = &Site{ID: u.SiteID, Code: row.SiteCode, Name: row.SiteName, CreatedAt: row.SiteCreatedAt}
	if acting != nil {
		s.actor = Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role, Today: *acting}
	}
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
