package models

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ParkedFormTTL is how long a form posted after the session expired is
// kept for its user to confirm after signing in again.
const ParkedFormTTL = time.Hour

// ExpiredSessionError is a session cookie whose session ran out (idle or
// absolute limit): not found for every purpose but one, parking what the
// user was posting for them.
type ExpiredSessionError struct {
	UserID    string
	CSRFToken string
}

func (e *ExpiredSessionError) Error() string { return "models: session expired" }

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *ExpiredSessionError) Unwrap() error { return ErrNotFound }

// ParkedForm is a form as it was posted, waiting for its user.
type ParkedForm struct {
	ID   string
	Path string
	// Body is the posted form, application/x-www-form-urlencoded.
	Body      string
	CreatedAt time.Time
}

type parkedRow struct {
	ID        string
	UserID    string
	Path      string
	FormEnc   string
	CreatedAt time.Time
}

func (parkedRow) TableName() string { return "auth.parked_forms" }

// ParkForm keeps a posted form for userID and returns its id.
func (s *Store) ParkForm(userID, path string, body []byte) (string, error) {
	id := uuid.NewString()
	enc, err := s.sealed("auth.parked_forms", "form", id, string(body))
	if err != nil {
		return "", err
	}
	if enc == "" {
		return "", errors.New("models: park an empty form")
	}
	if err := s.db.Create(&parkedRow{ID: id, UserID: userID, Path: path, FormEnc: enc, CreatedAt: time.Now()}).Error; err != nil {
		return "", fmt.Errorf("models: park form: %w", err)
	}
	return id, nil
}

// ParkedFormOf returns userID's parked form id while it is fresh.
func (s *Store) ParkedFormOf(id, userID string) (*ParkedForm, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: parked form: %w", ErrNotFound)
	}
	var row parkedRow
	err := s.db.Where("id = ? AND user_id = ? AND created_at > ?", id, userID, time.Now().Add(-ParkedFormTTL)).Take(&row).Error
	if notFound(err) {
		return nil, fmt.Errorf("models: parked form: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("models: parked form: %w", err)
	}
	body, err := s.open("auth.parked_forms", "form", row.ID, &row.FormEnc)
	if err != nil {
		return nil, err
	}
	return &ParkedForm{ID: row.ID, Path: row.Path, Body: body, CreatedAt: row.CreatedAt}, nil
}

// DeleteParkedForm removes userID's parked form id (it was sent again).
func (s *Store) DeleteParkedForm(id, userID string) error {
	if _, err := uuid.Parse(id); err != nil {
		return nil
	}
	if err := s.db.Where("id = ? AND user_id = ?", id, userID).Delete(&parkedRow{}).Error; err != nil {
		return fmt.Errorf("models: delete parked form: %w", err)
	}
	return nil
}

// DeleteExpiredParkedForms purges parked forms past ParkedFormTTL.
func (s *Store) DeleteExpiredParkedForms() (int64, error) {
	res := s.db.Where("created_at < ?", time.Now().Add(-ParkedFormTTL)).Delete(&parkedRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("models: expire parked forms: %w", res.Error)
	}
	return res.RowsAffected, nil
}
