package models

import (
	"fmt"
	"strings"
)

// CalendarTokenPrefix marks calendar feed tokens.
const CalendarTokenPrefix = "kcal_"

// ResetCalendarFeed gives the user a new secret feed token (the old URL
// stops working) and returns it; only its SHA-256 is stored.
func (s *Store) ResetCalendarFeed(userID string) (string, error) {
	plain := CalendarTokenPrefix + randomToken(24)
	enc, err := s.sealed("auth.calendar_feeds", "token", userID, plain)
	if err != nil {
		return "", err
	}
	err = s.db.Exec(`INSERT INTO auth.calendar_feeds (user_id, token_hash, token_enc) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, token_enc = EXCLUDED.token_enc, created_at = now()`,
		userID, sha256Bytes(plain), enc).Error
	if err != nil {
		return "", fmt.Errorf("models: calendar feed: %w", err)
	}
	return plain, nil
}

// UserByCalendarToken returns the active user a feed token belongs to.
func (s *Store) UserByCalendarToken(plain string) (*User, error) {
	if !strings.HasPrefix(plain, CalendarTokenPrefix) || len(plain) > 80 {
		return nil, fmt.Errorf("models: calendar feed: %w", ErrNotFound)
	}
	var ids []string
	if err := s.db.Raw("SELECT user_id FROM auth.calendar_feeds WHERE token_hash = ?", sha256Bytes(plain)).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("models: calendar feed: %w", err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("models: calendar feed: %w", ErrNotFound)
	}
	return s.UserByID(ids[0])
}

// CalendarFeedToken returns the user's feed token, creating one when the
// user has none yet.
func (s *Store) CalendarFeedToken(userID string) (string, error) {
	var encs []string
	if err := s.db.Raw("SELECT token_enc FROM auth.calendar_feeds WHERE user_id = ?", userID).Scan(&encs).Error; err != nil {
		return "", fmt.Errorf("models: calendar feed: %w", err)
	}
	if len(encs) == 0 {
		return s.ResetCalendarFeed(userID)
	}
	plain, err := s.open("auth.calendar_feeds", "token", userID, &encs[0])
	if err != nil {
		// Sealed under a key no longer known: a new URL is the only way.
		return s.ResetCalendarFeed(userID)
	}
	return plain, nil
}
