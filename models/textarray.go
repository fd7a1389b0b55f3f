package models

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// TextArray maps a PostgreSQL text[] of simple codes (language codes,
// purposes) to []string. Elements are restricted to codeRE, so the array
// literal needs no quoting.
type TextArray []string

var codeRE = regexp.MustCompile(`^[a-z_]{1,40}$`)

// Scan implements sql.Scanner for the text form "{a,b}".
func (a *TextArray) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("models: cannot scan %T into TextArray", src)
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if s == "" {
		*a = TextArray{}
		return nil
	}
	*a = strings.Split(s, ",")
	return nil
}

// Value implements driver.Valuer.
func (a TextArray) Value() (driver.Value, error) {
	for _, s := range a {
		if !codeRE.MatchString(s) {
			return nil, fmt.Errorf("models: %q is not a code", s)
		}
	}
	return "{" + strings.Join(a, ",") + "}", nil
}

// idArray is a uuid[] parameter ("= ANY (?::uuid[])"), where GORM would
// expand a slice into a list ("IN ($1, $2, …)"). A list's statement has
// another text for every length, so PostgreSQL parsed and planned it
// again for nearly every request (a start page names 11 to 60 children);
// an array's text stays the same, and its plan is kept per connection.
type idArray []string

// Value implements driver.Valuer; ids are uuids (hex digits and dashes),
// which the array's text form takes unquoted.
func (a idArray) Value() (driver.Value, error) {
	for _, id := range a {
		if _, err := uuid.Parse(id); err != nil {
			return nil, fmt.Errorf("models: %q is not an id", id)
		}
	}
	return "{" + strings.Join(a, ",") + "}", nil
}
