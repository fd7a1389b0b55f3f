package models

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Visit purposes and statuses (SPEC §3).
var (
	VisitPurposes = []string{"first_contact", "consent_talk", "family_conversation", "follow_up", "closing", "other"}
	VisitStatuses = []string{VisitPlanned, VisitDone, VisitCancelled, VisitNobodyHome}
)

// The visit statuses.
const (
	VisitPlanned    = "planned"
	VisitDone       = "done"
	VisitCancelled  = "cancelled"
	VisitNobodyHome = "nobody_home"
)

// consentFreePurposes are the visits that obtain consent in the first
// place; every other visit needs valid participation consent (SPEC §4).
var consentFreePurposes = []string{"first_contact", "consent_talk"}

// Slot is a booked time of one person. Intervals are half-open: a visit
// ending at 10:00 and one starting at 10:00 do not overlap.
type Slot struct {
	ID         string
	Start, End time.Time
	Status     string
	CaseNumber string
}

// ConflictError is a double booking: 409 naming the other visit by time
// and case number only.
type ConflictError struct {
	Person string // "mediator" or "social_worker"
	Slot   Slot
}

func (e *ConflictError) Error() string { return "models: visit overlaps another" }

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Visit is a family visit; the outcome note is empty for mediators.
type Visit struct {
	ID             string
	SiteID         string
	ParticipantID  string
	CaseNumber     string
	StartsAt       time.Time
	EndsAt         time.Time
	Purpose        string
	MediatorID     string
	SocialWorkerID string
	Status         string
	OutcomeNote    string
	Version        int
	UpdatedAt      time.Time
}

type visitRow struct {
	ID             string
	SiteID         string
	ParticipantID  string
	StartsAt       time.Time
	EndsAt         time.Time
	Purpose        string
	MediatorID     *string
	SocialWorkerID *string
	Status         string
	OutcomeNoteEnc *string
	CreatedBy      *string
	Version        int
	UpdatedAt      time.Time
}

func (visitRow) TableName() string { return "prevention.visits" }

const visitsTable = "prevention.visits"

// VisitInput plans a visit.
type VisitInput struct {
	ParticipantID  string
	StartsAt       time.Time
	EndsAt         time.Time
	Purpose        string
	MediatorID     string
	SocialWorkerID string
}

// CreateVisit plans a visit of a participant the actor may see. Nobody
// may be booked twice (409 naming the other visit); visits other than
// first contact and the consent talk need valid consent (422).
func (s *Store) CreateVisit(in VisitInput, today time.Time) (*Visit, error) {
	p, err := s.ParticipantByID(in.ParticipantID)
	if err != nil {
		return nil, err
	}
	if s.actor.Role == RoleMediator && in.MediatorID == "" {
		in.MediatorID = s.actor.UserID
	}
	if err := s.checkVisit(p, "", in, today); err != nil {
		return nil, err
	}
	row := visitRow{ID: uuid.NewString(), SiteID: p.SiteID, ParticipantID: p.ID, StartsAt: in.StartsAt, EndsAt: in.EndsAt,
		Purpose: in.Purpose, MediatorID: nilIfEmpty(in.MediatorID), SocialWorkerID: nilIfEmpty(in.SocialWorkerID),
		Status: VisitPlanned, CreatedBy: nilIfEmpty(s.actor.UserID), Version: 1, UpdatedAt: time.Now()}
	q := s.db
	if s.limited() {
		q = q.Omit("OutcomeNoteEnc")
	}
	if err := s.booking(row.ID, in, func() error { return q.Create(&row).Error }); err != nil {
		return nil, fmt.Errorf("models: create visit: %w", err)
	}
	return s.VisitByID(row.ID)
}

func (s *Store) checkVisit(p *Participant, id string, in VisitInput, today time.Time) error {
	v := &ValidationError{}
	if !contains(VisitPurposes, in.Purpose) {
		v.Add("purpose", "validation.oneof", nil)
	}
	if in.StartsAt.IsZero() || in.EndsAt.IsZero() || !in.EndsAt.After(in.StartsAt) || in.EndsAt.Sub(in.StartsAt) > 12*time.Hour {
		v.Add("ends_at", "validation.visit_time", nil)
	} else {
		// Recorded up to a year late, planned up to two years ahead.
		v.DayWithin("starts_at", ProgramDay(in.StartsAt), today.AddDate(-1, 0, 0), today.AddDate(2, 0, 0))
	}
	if in.MediatorID == "" && in.SocialWorkerID == "" {
		v.Add("mediator_id", "validation.visit_person", nil)
	}
	for field, uid := range map[string]string{"mediator_id": in.MediatorID, "social_worker_id": in.SocialWorkerID} {
		if uid == "" {
			continue
		}
		want := RoleMediator
		if field == "social_worker_id" {
			want = RoleSocialWorker
		}
		if u, err := s.StaffByID(uid); err != nil || u.SiteID != p.SiteID || (u.Role != want && !(want == RoleSocialWorker && u.Role == RoleCoordinator)) {
			v.Add(field, "validation.assignee", nil)
		}
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	if !contains(consentFreePurposes, in.Purpose) {
		ok, err := s.visitConsentOK(p, in.StartsAt)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("participant_id", "validation.visit_no_consent", map[string]any{"CaseNumber": p.CaseNumber})
			return v
		}
	}
	return nil
}

// booking runs write, which books the visit's people, under a savepoint.
// PostgreSQL refuses a booking that overlaps another of the same person
// (exclusion constraint visit_bookings_no_overlap, migration 00010), also
// when 50 requests race for one hour; the refusal becomes a ConflictError
// naming the earliest overlapping visit by time and case number.
func (s *Store) booking(id string, in VisitInput, write func() error) error {
	if err := s.db.SavePoint("visit_booking").Error; err != nil {
		return err
	}
	err := write()
	if !isExclusionViolation(err) {
		return err
	}
	if err := s.db.RollbackTo("visit_booking").Error; err != nil {
		return err
	}
	for _, p := range []struct{ person, id string }{{"mediator", in.MediatorID}, {"social_worker", in.SocialWorkerID}} {
		if p.id == "" {
			continue
		}
		var slots []Slot
		err := s.db.Raw(`SELECT starts_at AS start, ends_at AS "end", case_number FROM prevention.visit_conflict(?, ?, ?, ?)`,
			p.id, in.StartsAt, in.EndsAt, id).Scan(&slots).Error
		if err != nil {
			return fmt.Errorf("models: visit conflicts: %w", err)
		}
		if len(slots) > 0 {
			return &ConflictError{Person: p.person, Slot: slots[0]}
		}
	}
	// The other visit was cancelled or moved meanwhile: still a conflict
	// for this request, which may simply be sent again.
	return ErrConflict
}

// visitConsentOK applies the consent rule: in Go with the date of birth for
// case staff, through the database for mediators (who read neither).
func (s *Store) visitConsentOK(p *Participant, at time.Time) (bool, error) {
	if s.limited() {
		var ok bool
		if err := s.db.Raw("SELECT prevention.visit_consent_ok(?, ?)", p.ID, dateOf(at)).Scan(&ok).Error; err != nil {
			return false, fmt.Errorf("models: visit consent: %w", err)
		}
		return ok, nil
	}
	missing, err := s.MissingConsent(p, at)
	return len(missing) == 0, err
}

// VisitByID returns a visible visit.
func (s *Store) VisitByID(id string) (*Visit, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: visit %s: %w", id, ErrNotFound)
	}
	vs, err := s.visits(0, "v.id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("models: visit %s: %w", id, ErrNotFound)
	}
	return &vs[0], nil
}

// Visits lists the visible visits from..to (exclusive) of the actor: a
// mediator's or social worker's own, or, for coordinators, the site's.
func (s *Store) Visits(from, to time.Time) ([]Visit, error) {
	return s.VisitsPage(VisitFilter{From: from, To: to})
}

// VisitFilter selects the actor's visits starting from From until To
// (exclusive), of one Status when set, one page of them.
type VisitFilter struct {
	From, To time.Time
	Status   string
	Page
}

// VisitsPage lists one page of the actor's visits by start, like Visits.
func (s *Store) VisitsPage(f VisitFilter) ([]Visit, error) {
	if f.Status != "" && !contains(VisitStatuses, f.Status) {
		v := &ValidationError{}
		v.Add("status", "validation.oneof", nil)
		return nil, v
	}
	where, args := "v.starts_at >= ? AND v.starts_at < ?", []any{f.From, f.To}
	switch s.actor.Role {
	case RoleCoordinator:
		// Row security decides; naming the site (the one the policy lets a
		// coordinator see) lets the site's index serve the keyset.
		where += " AND v.site_id = org.current_site_id()"
	case RoleMediator:
		// A visit's mediator is a mediator, its social worker a social
		// worker or coordinator (checkVisit), so the actor's role names
		// the one column to walk. "mediator_id = ? OR social_worker_id = ?"
		// gave a plan PostgreSQL rated costlier as a generic one than the
		// custom ones, so it planned the statement anew for every request
		// (0.5 ms, twice per start page).
		where += " AND v.mediator_id = ?"
		args = append(args, s.actor.UserID)
	default:
		where += " AND v.social_worker_id = ?"
		args = append(args, s.actor.UserID)
	}
	if f.Status != "" {
		where += " AND v.status = ?"
		args = append(args, f.Status)
	}
	where, args, err := f.seek("tu", "(v.starts_at, v.id) > (?::timestamptz, ?::uuid)", where, args...)
	if err != nil {
		return nil, err
	}
	return s.visits(f.Limit, where, args...)
}

// VisitsOf lists a participant's visits.
func (s *Store) VisitsOf(participantID string) ([]Visit, error) {
	return s.visits(0, "v.participant_id = ?", participantID)
}

// visits reads the visits that match where by start, at most limit of
// them (0: all).
func (s *Store) visits(limit int, where string, args ...any) ([]Visit, error) {
	cols := "v.id, v.site_id, v.participant_id, v.starts_at, v.ends_at, v.purpose, v.mediator_id, v.social_worker_id, v.status, v.version, v.updated_at, p.case_number"
	if !s.limited() {
		cols += ", v.outcome_note_enc"
	}
	var rows []struct {
		Row        visitRow `gorm:"embedded"`
		CaseNumber string
	}
	q := s.db.Table("prevention.visits v").Select(cols).Joins("JOIN prevention.participants p ON p.id = v.participant_id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	err := q.Where(where, args...).Order("v.starts_at, v.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: visits: %w", err)
	}
	out := make([]Visit, 0, len(rows))
	for _, r := range rows {
		note, err := s.open(visitsTable, "outcome_note", r.Row.ID, r.Row.OutcomeNoteEnc)
		if err != nil {
			return nil, err
		}
		out = append(out, Visit{ID: r.Row.ID, SiteID: r.Row.SiteID, ParticipantID: r.Row.ParticipantID, CaseNumber: r.CaseNumber,
			StartsAt: r.Row.StartsAt, EndsAt: r.Row.EndsAt, Purpose: r.Row.Purpose, MediatorID: deref(r.Row.MediatorID),
			SocialWorkerID: deref(r.Row.SocialWorkerID), Status: r.Row.Status, OutcomeNote: note, Version: r.Row.Version, UpdatedAt: r.Row.UpdatedAt})
	}
	return out, nil
}

// VisitPatch moves a visit or records what happened.
type VisitPatch struct {
	StartsAt    *time.Time
	EndsAt      *time.Time
	Status      *string
	OutcomeNote *string
}

// UpdateVisit changes a visit whose version is still version; a move is
// checked for double booking and consent like a new visit. A visit is
// recorded as done or "nobody home" only once it has begun (by now).
func (s *Store) UpdateVisit(id string, version int, in VisitPatch, now time.Time) (*Visit, error) {
	today := ProgramDay(now)
	cur, err := s.VisitByID(id)
	if err != nil {
		return nil, err
	}
	if cur.Version != version {
		return nil, fmt.Errorf("models: visit %s: %w", id, ErrConflict)
	}
	upd := map[string]any{"version": gormExpr("version + 1"), "updated_at": time.Now()}
	if in.Status != nil {
		if !contains(VisitStatuses, *in.Status) {
			v := &ValidationError{}
			v.Add("status", "validation.oneof", nil)
			return nil, v
		}
		starts := cur.StartsAt
		if in.StartsAt != nil {
			starts = *in.StartsAt
		}
		if (*in.Status == VisitDone || *in.Status == VisitNobodyHome) && starts.After(now) {
			v := &ValidationError{}
			v.Add("status", "validation.visit_not_begun", nil)
			return nil, v
		}
		upd["status"] = *in.Status
	}
	if in.OutcomeNote != nil {
		if s.limited() {
			return nil, fmt.Errorf("models: outcome note by a mediator: %w", ErrForbidden)
		}
		enc, err := s.seal(visitsTable, "outcome_note", id, *in.OutcomeNote)
		if err != nil {
			return nil, err
		}
		upd["outcome_note_enc"] = enc
	}
	if in.StartsAt != nil || in.EndsAt != nil {
		moved := VisitInput{ParticipantID: cur.ParticipantID, StartsAt: cur.StartsAt, EndsAt: cur.EndsAt, Purpose: cur.Purpose,
			MediatorID: cur.MediatorID, SocialWorkerID: cur.SocialWorkerID}
		if in.StartsAt != nil {
			moved.StartsAt = *in.StartsAt
		}
		if in.EndsAt != nil {
			moved.EndsAt = *in.EndsAt
		}
		p, err := s.ParticipantByID(cur.ParticipantID)
		if err != nil {
			return nil, err
		}
		if err := s.checkVisit(p, id, moved, today); err != nil {
			return nil, err
		}
		upd["starts_at"], upd["ends_at"] = moved.StartsAt, moved.EndsAt
	}
	booked := VisitInput{StartsAt: cur.StartsAt, EndsAt: cur.EndsAt, MediatorID: cur.MediatorID, SocialWorkerID: cur.SocialWorkerID}
	if v, ok := upd["starts_at"].(time.Time); ok {
		booked.StartsAt, booked.EndsAt = v, upd["ends_at"].(time.Time)
	}
	err = s.booking(id, booked, func() error { return s.updateVersioned(&visitRow{}, id, version, cur.Version, upd) })
	if err != nil {
		return nil, fmt.Errorf("models: visit %s: %w", id, err)
	}
	return s.VisitByID(id)
}

// cancelPlannedVisits cancels a participant's planned visits (withdrawal,
// SPEC §4).
func (s *Store) cancelPlannedVisits(participantID string) error {
	err := s.db.Exec(`UPDATE prevention.visits SET status = 'cancelled', version = version + 1, updated_at = now()
		WHERE participant_id = ? AND status = 'planned'`, participantID).Error
	if err != nil {
		return fmt.Errorf("models: cancel planned visits: %w", err)
	}
	return nil
}
