package models

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned (wrapped) when a record does not exist or is not
// visible to the current database role; callers cannot tell the two apart.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when an update was based on a stale
// version or would violate a uniqueness rule.
var ErrConflict = errors.New("conflict")

// FieldError names one invalid field and the message ID that explains it.
type FieldError struct {
	Field     string
	MessageID string
	Data      map[string]any
}

// ValidationError collects the invalid fields of one input. Its messages are
// message IDs, translated at render time.
type ValidationError struct {
	Fields []FieldError
}

// Error implements error without any user data.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("models: %d invalid field(s)", len(e.Fields))
}

// Add appends an invalid field.
func (e *ValidationError) Add(field, messageID string, data map[string]any) {
	e.Fields = append(e.Fields, FieldError{Field: field, MessageID: messageID, Data: data})
}

// OrNil returns e when it has fields, else nil.
func (e *ValidationError) OrNil() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// ErrForbidden is returned (wrapped) when the actor may see a record but
// not make the change asked for.
var ErrForbidden = errors.New("forbidden")

// DayWithin adds a "validation.date_range" error for field unless day lies
// between from and to (inclusive, calendar days): dates must be plausible
// for their meaning, not merely well-formed (1900-01-01 or 9999-12-31 as a
// goal's target date are typing errors).
func (e *ValidationError) DayWithin(field string, day, from, to time.Time) {
	d := dateOf(day)
	if d.Before(dateOf(from)) || d.After(dateOf(to)) {
		e.Add(field, "validation.date_range", map[string]any{"From": dateOf(from).Format(time.DateOnly), "To": dateOf(to).Format(time.DateOnly)})
	}
}
