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

// EraseRequest is the data-protection officer's erasure form: the case
// number of the participant and the reason code.
type EraseRequest struct {
	CaseNumber string
	Reason     string
}

// Validate checks the form; messages are message IDs.
func (r EraseRequest) Validate() error {
	v := &ValidationError{}
	checkCaseNumber(v, r.CaseNumber)
	switch {
	case r.Reason == "":
		v.Add("reason", "validation.required", nil)
	case !slices.Contains(EraseReasons, r.Reason):
		v.Add("reason", "validation.oneof", nil)
	}
	return v.OrNil()
}

// EraseTarget is the id of the participant an erasure request names
// (CaseTarget). An erased participant still resolves: the case number
// stays, and EraseParticipant then answers ErrNotFound.
func (s *Store) EraseTarget(r EraseRequest) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	return s.CaseTarget(r.CaseNumber)
}

// checkCaseNumber adds the case_number field's error of a dpo form.
func checkCaseNumber(v *ValidationError, caseNumber string) {
	switch {
	case caseNumber == "":
		v.Add("case_number", "validation.required", nil)
	case !caseNumberRE.MatchString(caseNumber):
		v.Add("case_number", "validation.erase_case_number", nil)
	}
}

// CaseTarget is the id of the participant a dpo form names by case number,
// resolved through audit.case_numbers() (kurve_dpo reads no participant).
// A missing, malformed or unknown case number is a validation error of the
// field case_number.
func (s *Store) CaseTarget(caseNumber string) (string, error) {
	v := &ValidationError{}
	if checkCaseNumber(v, caseNumber); len(v.Fields) > 0 {
		return "", v
	}
	numbers, err := s.caseNumbers(nil, []string{caseNumber})
	if err != nil {
		return "", err
	}
	for id := range numbers {
		return id, nil
	}
	v.Add("case_number", "validation.case_number_unknown", nil)
	return "", v
}
