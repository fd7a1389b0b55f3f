package models

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// Police contacts after a referral (issue 17, item 3; SPEC §5, §11): the
// police liaison who submitted a referral records the later police
// contacts of the child on it, a day and a category each. They are
// enforcement data (enforcement.police_contacts, migration 00031): only
// that liaison reads and writes them (row security, police_contacts_own),
// and they reach the prevention side never, the evaluators only as counts
// of the third crossing (stats_police.go).

// PoliceContact is one police contact recorded on a referral.
type PoliceContact struct {
	ID         string
	ReferralID string
	OccurredOn time.Time
	Category   string // one of ReasonCategories
	RecordedBy string
	CreatedAt  time.Time
}

// PoliceContactInput is what the liaison records.
type PoliceContactInput struct {
	OccurredOn *time.Time
	Category   string
}

// Validate checks a contact of a referral that arrived on the program's
// day received: a day neither in the future (today is the program's day)
// nor before received, and a category of the referral reasons.
func (in PoliceContactInput) Validate(received, today time.Time) error {
	v := &ValidationError{}
	switch {
	case in.OccurredOn == nil:
		v.Add("occurred_on", "validation.required", nil)
	case dateOf(*in.OccurredOn).After(dateOf(today)):
		v.Add("occurred_on", "validation.not_future", nil)
	case dateOf(*in.OccurredOn).Before(dateOf(received)):
		v.Add("occurred_on", "validation.before_referral", map[string]any{"Date": dateOf(received).Format(time.DateOnly)})
	}
	if !contains(ReasonCategories, in.Category) {
		v.Add("category", "validation.oneof", nil)
	}
	return v.OrNil()
}

type policeContactRow struct {
	ID         string
	ReferralID string
	OccurredOn time.Time
	Category   string
	RecordedBy string
	CreatedAt  time.Time `gorm:"->"`
}

func (policeContactRow) TableName() string { return "enforcement.police_contacts" }

func (r policeContactRow) contact() PoliceContact {
	return PoliceContact{ID: r.ID, ReferralID: r.ReferralID, OccurredOn: dateOf(r.OccurredOn), Category: r.Category,
		RecordedBy: r.RecordedBy, CreatedAt: r.CreatedAt}
}

// CreatePoliceContact records a police contact on one of the acting
// liaison's referrals. Another liaison's referral is ErrNotFound (row
// security hides it); an invalid input is a ValidationError.
func (s *Store) CreatePoliceContact(referralID string, in PoliceContactInput, today time.Time) (*PoliceContact, error) {
	r, err := s.ownReferral(referralID)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(r.received, today); err != nil {
		return nil, err
	}
	row := policeContactRow{ID: uuid.NewString(), ReferralID: r.id, OccurredOn: dateOf(*in.OccurredOn), Category: in.Category,
		RecordedBy: s.actor.UserID}
	if err := s.db.Create(&row).Error; err != nil {
		if c := policeContactCheck(err); c != "" {
			// The database's own guard (the program's day there may be a
			// day ahead of a request that began before midnight).
			v := &ValidationError{}
			v.Add("occurred_on", c, nil)
			return nil, v
		}
		return nil, fmt.Errorf("models: police contact on %s: %w", r.id, err)
	}
	var out policeContactRow
	if err := s.db.Where("id = ?", row.ID).Take(&out).Error; err != nil {
		return nil, fmt.Errorf("models: police contact %s: %w", row.ID, err)
	}
	c := out.contact()
	return &c, nil
}

// referralRef is a referral as far as its contacts need it: no sealed
// value is read, none is opened.
type referralRef struct {
	id       string
	received time.Time // the program's day it arrived
}

// ownReferral finds one of the acting liaison's referrals (row security
// hides every other one: ErrNotFound).
func (s *Store) ownReferral(id string) (*referralRef, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrNotFound)
	}
	var rows []struct {
		ID        string
		CreatedAt time.Time
	}
	if err := s.db.Raw("SELECT id, created_at FROM enforcement.referrals WHERE id = ?", id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: referral %s: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrNotFound)
	}
	return &referralRef{id: rows[0].ID, received: ProgramDay(rows[0].CreatedAt)}, nil
}

// policeContactCheck names the message of a refusal by the trigger
// police_contacts_dates, "" for any other error.
func policeContactCheck(err error) string {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return ""
	}
	switch pg.ConstraintName {
	case "police_contact_not_future":
		return "validation.not_future"
	case "police_contact_after_referral":
		return "validation.before_referral"
	}
	return ""
}

// PoliceContactsOf lists the contacts of one of the acting liaison's
// referrals, newest first; ErrNotFound for any other referral.
func (s *Store) PoliceContactsOf(referralID string) ([]PoliceContact, error) {
	return s.PoliceContactsPage(referralID, Page{})
}

// PoliceContactsPage lists one page of PoliceContactsOf: newest first by
// the day of the contact, then by when it was recorded.
func (s *Store) PoliceContactsPage(referralID string, pg Page) ([]PoliceContact, error) {
	r, err := s.ownReferral(referralID)
	if err != nil {
		return nil, err
	}
	where, args, err := pg.seek("dtu", "(occurred_on, created_at, id) < (?::date, ?::timestamptz, ?::uuid)", "referral_id = ?", r.id)
	if err != nil {
		return nil, err
	}
	var rows []policeContactRow
	if err := s.db.Raw("SELECT id, referral_id, occurred_on, category, recorded_by, created_at FROM enforcement.police_contacts WHERE "+where+
		" ORDER BY occurred_on DESC, created_at DESC, id DESC LIMIT ?::integer", append(args, pg.sqlLimit())...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: police contacts of %s: %w", r.id, err)
	}
	out := make([]PoliceContact, len(rows))
	for i, row := range rows {
		out[i] = row.contact()
	}
	return out, nil
}

// Cursor is the position of the contact in its referral's list (newest
// first).
func (c *PoliceContact) Cursor() string {
	return cursorOf(cursorDay(c.OccurredOn), cursorTime(c.CreatedAt), c.ID)
}

// CheckOwnReferral returns ErrNotFound unless id is one of the acting
// liaison's referrals: asked first, so that someone else's referral is
// not found whatever else is wrong with a request about it.
func (s *Store) CheckOwnReferral(id string) error {
	_, err := s.ownReferral(id)
	return err
}
