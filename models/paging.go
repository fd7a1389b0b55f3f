package models

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Keyset paging of the lists (SPEC §11, issue 15). A page continues after
// the last row of the one before: the list's sort values and the row's id,
// its unique tie-breaker, packed into an opaque cursor. The store reads
// the next rows with a row comparison on those values in SQL, never by an
// offset and never by reading the whole list.

// Page bounds a paged list: After is the cursor of the last row of the
// previous page ("" for the first page), Limit the most rows to read (0:
// every row). Callers read one row more than they show to learn whether
// another page follows.
type Page struct {
	After string
	Limit int
}

// cursorSep separates a cursor's values; none of them (numbers, days,
// ids) contains it.
const cursorSep = "~"

// cursorOf packs a row's sort values into a cursor.
func cursorOf(vals ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(vals, cursorSep)))
}

// cursorTime is a timestamp as a cursor value: microseconds since the
// epoch, PostgreSQL's precision.
func cursorTime(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// cursorDay is a date as a cursor value.
func cursorDay(t time.Time) string { return t.Format(time.DateOnly) }

// keyset decodes the page's cursor into SQL values, one per letter of
// kinds: 't' a timestamp, 'd' a day (YYYY-MM-DD, for a ?::date), 'u' an
// id, 's' a short text (a case number). It returns nil for the first page; a token that cursorOf did not
// make for this shape is a validation error of the field cursor.
func (p Page) keyset(kinds string) ([]any, error) {
	if p.After == "" {
		return nil, nil
	}
	bad := func() error {
		v := &ValidationError{}
		v.Add("cursor", "validation.cursor", nil)
		return v
	}
	raw, err := base64.RawURLEncoding.DecodeString(p.After)
	if err != nil {
		return nil, bad()
	}
	parts := strings.Split(string(raw), cursorSep)
	if len(parts) != len(kinds) {
		return nil, bad()
	}
	out := make([]any, len(parts))
	for i, s := range parts {
		switch kinds[i] {
		case 't':
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, bad()
			}
			out[i] = time.UnixMicro(n).UTC()
		case 'd':
			if _, err := time.Parse(time.DateOnly, s); err != nil {
				return nil, bad()
			}
			out[i] = s
		case 'u':
			if !isUUID(s) {
				return nil, bad()
			}
			out[i] = s
		case 's':
			if s == "" || len(s) > 100 || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				return nil, bad()
			}
			out[i] = s
		}
	}
	return out, nil
}

// seek adds the page's keyset condition cond (a row comparison with one
// placeholder per letter of kinds, see keyset) to where and the cursor's
// values to args; the first page has none.
func (p Page) seek(kinds, cond, where string, args ...any) (string, []any, error) {
	k, err := p.keyset(kinds)
	if err != nil || k == nil {
		return where, args, err
	}
	return where + " AND " + cond, append(args, k...), nil
}

// sqlLimit is the page's LIMIT as an SQL value: NULL, no limit, for
// every row.
func (p Page) sqlLimit() any {
	if p.Limit <= 0 {
		return nil
	}
	return p.Limit
}

// Cursor is the position of the participant in the lists (by case
// number, unique).
func (p *Participant) Cursor() string { return cursorOf(p.CaseNumber) }

// Cursor is the position of the user in the admin's list (by e-mail
// address, unique).
func (u *User) Cursor() string { return cursorOf(u.Email) }

// Cursor is the position of the visit in the visit lists (by start).
func (v *Visit) Cursor() string { return cursorOf(cursorTime(v.StartsAt), v.ID) }

// Cursor is the position of the session in a participant's sessions
// (newest first).
func (cs *CaseSession) Cursor() string { return cursorOf(cursorTime(cs.StartedAt), cs.ID) }

// Cursor is the position of the goal in a participant's goals (oldest
// first).
func (g *Goal) Cursor() string { return cursorOf(cursorTime(g.CreatedAt), g.ID) }

// Cursor is the position of the review in a participant's reviews
// (newest first).
func (r *Review) Cursor() string { return cursorOf(cursorDay(r.HeldOn), cursorTime(r.CreatedAt), r.ID) }

// Cursor is the position of the referral in the intake queue. The queue's
// order (the exact time the police created the referral) stays behind the
// crossing: the cursor is the id, and the crossing finds its place.
func (r *IntakeReferral) Cursor() string { return cursorOf(r.ID) }

// Cursor is the position of the referral in its liaison's feedback list,
// by id like the intake queue.
func (f *Feedback) Cursor() string { return cursorOf(f.ID) }

// afterID is the id a crossing's page continues after (nil for the first
// page).
func (p Page) afterID() (any, error) {
	k, err := p.keyset("u")
	if err != nil || k == nil {
		return nil, err
	}
	return k[0], nil
}
