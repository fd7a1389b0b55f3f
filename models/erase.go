package models

import (
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrCaseOpen is returned (wrapped in ErrConflict) when a case that has not
// ended is to be erased.
var ErrCaseOpen = fmt.Errorf("case open: %w", ErrConflict)

// EraseReasons are why the data-protection officer erases a participant
// (GDPR Art. 17(1)): codes, so that the audit log never holds free text.
var EraseReasons = []string{"data_subject_request", "consent_withdrawn", "no_longer_needed", "unlawful", "legal_obligation", ReasonRetention}

// ReasonRetention is the reason of an erasure the retention run makes.
const ReasonRetention = "retention_period"

// EraseParticipant destroys a participant's personal data and that of its
// family, guardians and referral, keeping what the statistics count
// (prevention.erase_participant, migration 00017). Only the
// data-protection officer may (the function refuses every other role); a
// case that has not ended is refused (ErrCaseOpen), an unknown or already
// erased one is ErrNotFound. It returns the case number, for the audit
// entry the caller writes.
func (s *Store) EraseParticipant(id, reason string) (string, error) {
	if !slices.Contains(EraseReasons, reason) {
		v := &ValidationError{}
		v.Add("reason", "validation.oneof", nil)
		return "", v
	}
	var caseNumber string
	err := s.db.Raw("SELECT prevention.erase_participant(?)", id).Scan(&caseNumber).Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "55006":
		return "", ErrCaseOpen
	case errors.As(err, &pgErr) && (pgErr.Code == "P0002" || pgErr.Code == "22P02"):
		return "", fmt.Errorf("models: erase: %w", ErrNotFound)
	case IsPermissionDenied(err):
		return "", fmt.Errorf("models: erase: %w", ErrForbidden)
	case err != nil:
		return "", fmt.Errorf("models: erase: %w", err)
	}
	return caseNumber, nil
}
