package app

import (
	"html/template"
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

// dateStyle is how one interface language writes days and times on pages.
// Only what people read changes with the language: <time datetime>, form
// inputs, the API, CSV and iCalendar keep ISO 8601, and the printed family
// documents have their own forms (documents.go).
type dateStyle struct {
	date  string // Go layout of a calendar day
	month string // Go layout of a month of a year
	clock string // Go layout of a time of day
	sep   string // between a day and a time of that day
}

// dateStyles are the CLDR forms of the interface languages, with the
// choices noted. Every language uses the 24-hour clock: the visit notices
// families get print 14:30 in all eight languages, and the staff agree
// times with German colleagues, so a page should not say 2:30 م where the
// letter says 14:30.
var dateStyles = map[string]dateStyle{
	// German: CLDR medium (dd.MM.y), the form of letters and of the
	// printed documents.
	"de": {date: "02.01.2006", month: "01/2006", clock: "15:04", sep: ", "},
	// English: en-GB medium (d MMM y). The program runs in Germany, so the
	// day comes first; the month's name keeps 03/04/2026 from being read
	// as 4 March by anyone used to the American order.
	"en": {date: "2 Jan 2006", month: "Jan 2006", clock: "15:04", sep: ", "},
	// Turkish: dd.MM.y as on Turkish official forms (CLDR's short form,
	// d.MM.y, with the day padded too, so that columns line up).
	"tr": {date: "02.01.2006", month: "01/2006", clock: "15:04", sep: " "},
	// Arabic: CLDR short (d‏/M‏/y) with its right-to-left marks, which keep
	// the day first in a right-to-left line, and CLDR's Arabic comma
	// between day and time. Latin digits, not CLDR's Arabic-Indic default:
	// case numbers, phone numbers, times and the printed documents are in
	// Latin digits, and one page should not mix two sets of digits.
	"ar": {date: "2\u200f/1\u200f/2006", month: "1\u200f/2006", clock: "15:04", sep: "\u060c "},
}

// dateStyle is the localizer's way of writing dates (German for a language
// without its own, such as the document-only languages).
func (l *Localizer) dateStyle() dateStyle {
	if st, ok := dateStyles[l.Lang]; ok {
		return st
	}
	return dateStyles[models.Languages[0]]
}

// Date writes a calendar day (a date column: midnight UTC) for a page.
func (l *Localizer) Date(day time.Time) string { return day.Format(l.dateStyle().date) }

// Month writes the month of a day, for values kept to the month.
func (l *Localizer) Month(day time.Time) string { return day.Format(l.dateStyle().month) }

// Clock writes an instant's time of day in the program's zone.
func (l *Localizer) Clock(at time.Time) string { return at.In(programZone).Format(l.dateStyle().clock) }

// DateTime writes an instant as the program's day and time of day.
func (l *Localizer) DateTime(at time.Time) string {
	return l.DayAt(l.Date(at.In(programZone)), l.Clock(at))
}

// DateTimeSeconds is DateTime to the second, for the audit log.
func (l *Localizer) DateTimeSeconds(at time.Time) string {
	at = at.In(programZone)
	return l.DayAt(l.Date(at), at.Format(l.dateStyle().clock+":05"))
}

// DayAt joins a written day and a time of day ("14:30", or a range).
func (l *Localizer) DayAt(date, clock string) string { return date + l.dateStyle().sep + clock }

// dayOf reads a calendar day that a template passes: a time.Time or
// *time.Time (midnight UTC) or the ISO form a view keeps for inputs and
// datetime attributes. ok is false for nothing (nil, zero, "").
func dayOf(v any) (day time.Time, raw string, ok bool) {
	switch x := v.(type) {
	case time.Time:
		return x, "", !x.IsZero()
	case *time.Time:
		if x == nil {
			return time.Time{}, "", false
		}
		return dayOf(*x)
	case string:
		t, err := time.Parse(time.DateOnly, x)
		return t, x, err == nil
	}
	return time.Time{}, "", false
}

// dateText is a day written for the page's language, for use inside a
// sentence; a string that is no ISO date is shown as it is.
func dateText(l *Localizer, v any) string {
	day, raw, ok := dayOf(v)
	if !ok {
		return raw
	}
	return l.Date(day)
}

// dateTag is a day for the page: the localised text in a <time> element
// whose datetime keeps the ISO date for machines.
func dateTag(l *Localizer, v any) template.HTML {
	day, raw, ok := dayOf(v)
	if !ok {
		return template.HTML(template.HTMLEscapeString(raw))
	}
	return template.HTML(`<time datetime="` + day.Format(time.DateOnly) + `">` +
		template.HTMLEscapeString(l.Date(day)) + `</time>`)
}

// dateTimeTag is an instant for the page, in the program's zone, with the
// instant in UTC in its datetime.
func dateTimeTag(l *Localizer, at time.Time) template.HTML {
	return template.HTML(`<time datetime="` + at.UTC().Format(time.RFC3339) + `">` +
		template.HTMLEscapeString(l.DateTime(at)) + `</time>`)
}

// monthTag is the month of a day for the page (a referral's feedback is
// kept to the month).
func monthTag(l *Localizer, day time.Time) template.HTML {
	return template.HTML(`<time datetime="` + day.Format("2006-01") + `">` +
		template.HTMLEscapeString(l.Month(day)) + `</time>`)
}

// dayAt writes a day (as dayOf reads it) and a time of that day.
func dayAt(l *Localizer, day any, clock string) string { return l.DayAt(dateText(l, day), clock) }
