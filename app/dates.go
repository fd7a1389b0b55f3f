package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// programZone is where the program's calendar days are counted.
var programZone = models.ProgramZone

// now is the server's clock: Config.Clock, or the real time.
func (s *Server) now() time.Time {
	if s.cfg.Clock != nil {
		return s.cfg.Clock()
	}
	return time.Now()
}

// today is the current calendar day in the program's zone, as midnight UTC
// (the form models use for dates).
func (s *Server) today() time.Time { return models.ProgramDay(s.now()) }

// now is the instant the request began, by the server's clock.
func now(c *fiber.Ctx) time.Time {
	if t, ok := c.Locals(localNow).(time.Time); ok {
		return t
	}
	return time.Now()
}

// today is the request's calendar day, fixed when the request began: the
// handlers and the database's policies (kurve.today) work on the same day,
// even across midnight.
func today(c *fiber.Ctx) time.Time { return models.ProgramDay(now(c)) }

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
