package models

import (
	"fmt"
	"strings"
	"time"
)

// Short lists of children, as pickers show them (the groups page, the
// quick session form): set-based reads whose number of statements does
// not grow with the site or the caseload, decrypting the names of the
// children listed and nothing of anyone else. Row security decides who is
// visible; the filters here only choose what a list is about.

// ChildName is a child as a picker lists it: case number, name, status.
type ChildName struct {
	ID         string
	CaseNumber string
	FirstName  string
	LastName   string
	Status     Status
}

// Name is the child's first and last name.
func (c ChildName) Name() string { return c.FirstName + " " + c.LastName }

// MaxChildSearch bounds a case-number search: a search is a way to find
// a child, never a list of the site.
const MaxChildSearch = 20

// childRow is what a picker reads of a participant; DateOfBirthEnc only
// where a consent check needs it, InGroup only for the session form.
type childRow struct {
	ID             string
	CaseNumber     string
	Status         Status
	FirstNameEnc   string
	LastNameEnc    string
	DateOfBirthEnc string
	InGroup        bool
}

func (s *Store) openChild(r *childRow) (ChildName, error) {
	o := &opener{s: s, table: participantsTable, id: r.ID}
	c := ChildName{ID: r.ID, CaseNumber: r.CaseNumber, Status: r.Status,
		FirstName: o.str("first_name", &r.FirstNameEnc), LastName: o.str("last_name", &r.LastNameEnc)}
	return c, o.err
}

const childColumns = "p.id, p.case_number, p.status, p.first_name_enc, p.last_name_enc, p.date_of_birth_enc"

// childRows reads the visible children that where selects, by case
// number (limit 0: no bound), still sealed.
func (s *Store) childRows(where string, limit int, args ...any) ([]childRow, error) {
	q := "SELECT " + childColumns + " FROM prevention.participants p WHERE " + where + ` ORDER BY p.case_number COLLATE "C"`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	var rows []childRow
	if err := s.db.Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: children: %w", err)
	}
	return rows, nil
}

// childNames lists the visible children that where selects, by case
// number (limit 0: no bound), with their names decrypted.
func (s *Store) childNames(where string, limit int, args ...any) ([]ChildName, error) {
	rows, err := s.childRows(where, limit, args...)
	if err != nil {
		return nil, err
	}
	out := make([]ChildName, 0, len(rows))
	for i := range rows {
		c, err := s.openChild(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// myCaseload selects the actor's current cases as a social worker
// (prevention.my_cases, migration 00023), by primary key, never by
// reading the site.
const myCaseload = `p.id = ANY ((SELECT prevention.my_cases('social_worker'))::uuid[])`

// Caseload lists the actor's own current cases (assigned as social
// worker) in one of statuses, by case number.
func (s *Store) Caseload(statuses ...Status) ([]ChildName, error) {
	return s.childNames(myCaseload+" AND p.status IN ?", 0, statusList(statuses))
}

// ChildrenByCaseNumber finds visible children in one of statuses whose
// case number starts with prefix (case-insensitive): at most
// MaxChildSearch, and whether more would match.
func (s *Store) ChildrenByCaseNumber(prefix string, statuses ...Status) ([]ChildName, bool, error) {
	start, ok := caseNumberStart(prefix)
	if !ok {
		return nil, false, nil
	}
	cs, err := s.childNames(caseNumberStarts+` AND p.status IN ?`, MaxChildSearch+1, start, statusList(statuses))
	if err != nil || len(cs) <= MaxChildSearch {
		return cs, false, err
	}
	return cs[:MaxChildSearch], true, nil
}

// caseNumberStarts selects the case numbers that start with a text: with
// starts_with(), which row security lets use the index (migration 00025),
// where a LIKE would read every row the policy lets through.
const caseNumberStarts = `starts_with(p.case_number COLLATE "C", ?)`

// caseNumberStart is a case-number prefix as typed, as stored ("es-2026-00"
// finds ES-2026-0042), or false when nothing is typed.
func caseNumberStart(prefix string) (string, bool) {
	p := NormalizeCaseNumber(prefix)
	return p, p != "" && len(p) <= 40
}

func statusList(statuses []Status) []string {
	if len(statuses) == 0 {
		statuses = Statuses
	}
	out := make([]string, len(statuses))
	for i, st := range statuses {
		out[i] = string(st)
	}
	return out
}

// SessionChoice says which children the quick session form offers besides
// the ones found: those ticked already, the members of the group picked,
// and the actor's own caseload.
type SessionChoice struct {
	Ticked   []string
	GroupID  string
	Caseload bool
	// Search is a case-number prefix to find children by.
	Search string
}

// SessionChild is a child the session form offers: active, with a warning
// when participation consent is missing on the day.
type SessionChild struct {
	ChildName
	ConsentMissing bool
	// InGroup: a member of the group picked; Found: a search result.
	InGroup bool
	Found   bool
}

// SessionChildren reads what the quick session form lists, in a fixed
// number of statements whatever the size of the site, the caseload or the
// group: the children ticked, in the group and in the caseload (one
// statement), those found by case number (one, at most MaxChildSearch),
// and their consent (one). Only active children are offered; names and
// dates of birth (for the consent rule) are decrypted for them alone.
// More reports a search that found more than it lists.
func (s *Store) SessionChildren(q SessionChoice, day time.Time) (children []SessionChild, more bool, err error) {
	group := ""
	if ids := validIDs([]string{q.GroupID}); len(ids) == 1 {
		group = ids[0]
	}
	var rows []childRow
	// Each source is a set of ids; the participants are read by primary
	// key, so no source makes PostgreSQL read the site.
	err = s.db.Raw(`WITH ids AS (
			SELECT id::uuid AS id, false AS in_group FROM unnest(?::text[]) id
			UNION ALL SELECT m.participant_id, true FROM prevention.group_members m WHERE ? <> '' AND m.group_id = nullif(?, '')::uuid
			UNION ALL SELECT unnest(prevention.my_cases('social_worker')), false WHERE ?)
		SELECT `+childColumns+`, bool_or(ids.in_group) AS in_group
		FROM ids JOIN prevention.participants p ON p.id = ids.id
		WHERE p.status = 'active'
		GROUP BY p.id ORDER BY p.case_number COLLATE "C"`,
		"{"+strings.Join(validIDs(q.Ticked), ",")+"}", group, group, q.Caseload).Scan(&rows).Error
	if err != nil {
		return nil, false, fmt.Errorf("models: session children: %w", err)
	}
	listed := map[string]bool{}
	dobs := map[string]time.Time{}
	add := func(r *childRow, inGroup, found bool) error {
		c, err := s.openChild(r)
		if err != nil {
			return err
		}
		dob, err := s.open(participantsTable, "date_of_birth", r.ID, &r.DateOfBirthEnc)
		if err != nil {
			return err
		}
		d, err := time.Parse(time.DateOnly, dob)
		if err != nil {
			return fmt.Errorf("models: participant %s: date of birth: %w", r.ID, errDecrypt)
		}
		dobs[r.ID] = d
		listed[r.ID] = true
		children = append(children, SessionChild{ChildName: c, InGroup: inGroup, Found: found})
		return nil
	}
	for i := range rows {
		if err := add(&rows[i], rows[i].InGroup, false); err != nil {
			return nil, false, err
		}
	}
	if start, ok := caseNumberStart(q.Search); ok {
		found, err := s.childRows(caseNumberStarts+` AND p.status = 'active'`, MaxChildSearch+1, start)
		if err != nil {
			return nil, false, err
		}
		if len(found) > MaxChildSearch {
			found, more = found[:MaxChildSearch], true
		}
		for i := range found {
			if listed[found[i].ID] {
				children[indexOfChild(children, found[i].ID)].Found = true
				continue
			}
			if err := add(&found[i], false, true); err != nil {
				return nil, false, err
			}
		}
	}
	missing, err := s.MissingConsents(dobs, day)
	if err != nil {
		return nil, false, err
	}
	for i := range children {
		children[i].ConsentMissing = len(missing[children[i].ID]) > 0
	}
	return children, more, nil
}

func indexOfChild(cs []SessionChild, id string) int {
	for i := range cs {
		if cs[i].ID == id {
			return i
		}
	}
	return -1
}
