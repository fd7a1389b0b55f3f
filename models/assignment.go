package models

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Assignment kinds: who works with a participant (SPEC §3).
const (
	AssignSocialWorker = "social_worker"
	AssignMediator     = "language_mediator"
)

// Assignment gives a user a participant for a period. Assignments are
// never deleted; ending one sets Until.
type Assignment struct {
	ID            string
	ParticipantID string
	SiteID        string
	UserID        string
	UserName      string `gorm:"->;-:migration"`
	Kind          string
	FromOn        time.Time
	UntilOn       *time.Time
	CreatedBy     *string
	CreatedAt     time.Time `gorm:"->"`
}

// TableName implements gorm's Tabler.
func (Assignment) TableName() string { return "prevention.assignments" }

// CurrentOn reports whether the assignment is in force on day.
func (a *Assignment) CurrentOn(day time.Time) bool {
	d := dateOf(day)
	return !dateOf(a.FromOn).After(d) && (a.UntilOn == nil || !dateOf(*a.UntilOn).Before(d))
}

// AssignmentInput assigns a user to a participant.
type AssignmentInput struct {
	UserID  string
	Kind    string
	FromOn  *time.Time
	UntilOn *time.Time
}

// Assign records an assignment (coordinators only: the policy refuses
// anyone else). The user must be of the participant's site and have the
// role the kind names.
func (s *Store) Assign(participantID string, in AssignmentInput, today time.Time) (*Assignment, error) {
	p, err := s.ParticipantByID(participantID)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	if in.Kind != AssignSocialWorker && in.Kind != AssignMediator {
		v.Add("kind", "validation.oneof", nil)
	}
	u, err := s.StaffByID(in.UserID)
	if err != nil || u.SiteID != p.SiteID || string(u.Role) != in.Kind {
		v.Add("user_id", "validation.assignee", nil)
	}
	from := dateOf(today)
	if in.FromOn != nil {
		from = dateOf(*in.FromOn)
	}
	if in.UntilOn != nil && dateOf(*in.UntilOn).Before(from) {
		v.Add("until", "validation.after_from", nil)
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	a := &Assignment{ID: uuid.NewString(), ParticipantID: p.ID, SiteID: p.SiteID, UserID: in.UserID, Kind: in.Kind,
		FromOn: from, UntilOn: in.UntilOn, CreatedBy: nilIfEmpty(s.actor.UserID)}
	if err := s.db.Omit("UserName").Create(a).Error; err != nil {
		return nil, fmt.Errorf("models: assign: %w", err)
	}
	a.UserName = u.Name
	return a, nil
}

// EndAssignment ends an assignment on until (coordinators only).
func (s *Store) EndAssignment(id string, until time.Time) (*Assignment, error) {
	a, err := s.assignmentByID(id)
	if err != nil {
		return nil, err
	}
	if dateOf(until).Before(dateOf(a.FromOn)) {
		v := &ValidationError{}
		v.Add("until", "validation.after_from", nil)
		return nil, v
	}
	res := s.db.Model(&Assignment{}).Where("id = ?", id).Update("until_on", dateOf(until))
	if res.Error != nil {
		return nil, fmt.Errorf("models: end assignment %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("models: end assignment %s: %w", id, ErrForbidden)
	}
	return s.assignmentByID(id)
}

func (s *Store) assignmentByID(id string) (*Assignment, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: assignment %s: %w", id, ErrNotFound)
	}
	as, err := s.assignments("a.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fmt.Errorf("models: assignment %s: %w", id, ErrNotFound)
	}
	return &as[0], nil
}

// assignments lists assignments matching where, with the user's name.
func (s *Store) assignments(where string, args ...any) ([]Assignment, error) {
	var out []Assignment
	err := s.db.Table("prevention.assignments a").
		Select("a.id, a.participant_id, a.site_id, a.user_id, a.kind, a.from_on, a.until_on, u.name AS user_name").
		Joins("JOIN org.users u ON u.id = a.user_id").Where(where, args...).
		Order("a.from_on DESC, a.created_at DESC").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: assignments: %w", err)
	}
	return out, nil
}

// AssignmentsOf lists a participant's assignments, current and past.
func (s *Store) AssignmentsOf(participantID string) ([]Assignment, error) {
	return s.assignments("a.participant_id = ?", participantID)
}
