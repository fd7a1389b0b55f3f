package app

import (
	"time"
	_ "time/tzdata" // the program's dates are German calendar days on any host

	"kurve/models"
)

// programZone is where the program's calendar days are counted.
var programZone = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// today is the current calendar day in the program's zone, as midnight UTC
// (the form models use for dates).
func today() time.Time {
	y, m, d := time.Now().In(programZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dateParser parses YYYY-MM-DD fields and collects the invalid ones.
type dateParser struct {
	v *models.ValidationError
}

func newDateParser() *dateParser { return &dateParser{v: &models.ValidationError{}} }

// opt parses an optional date; "" is nil.
func (p *dateParser) opt(field, s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		p.v.Add(field, "validation.date", nil)
		return nil
	}
	return &t
}

// err returns the collected errors or nil.
func (p *dateParser) err() error { return p.v.OrNil() }

// formatDate renders a date as YYYY-MM-DD, or "" for nil.
func formatDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}
