package models

import (
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"
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
