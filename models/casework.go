package models

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Goal progress and closing outcomes (SPEC §3).
var (
	GoalProgress = []string{"not_started", "in_progress", "achieved", "dropped"}
	GoalOutcomes = []string{"achieved", "partly_achieved", "not_achieved"}
	Handovers    = []string{"school", "youth_office", "other_service", "none"}
)

// Goal is a case-plan goal.
type Goal struct {
	ID            string
	ParticipantID string
	Title         string
	TargetOn      *time.Time
	Progress      string
	Outcome       string
	Version       int
	CreatedAt     time.Time
}

type goalRow struct {
	ID            string
	ParticipantID string
	TitleEnc      string
	TargetOn      *time.Time
	Progress      string
	Outcome       *string
	Version       int
	CreatedBy     *string
	// CreatedAt is the database's (the goals' order); GORM never writes it.
	CreatedAt time.Time `gorm:"->"`
	UpdatedAt time.Time
}

func (goalRow) TableName() string { return "prevention.goals" }

const goalsTable = "prevention.goals"

func validGoalTitle(title string, v *ValidationError) {
	if n := len([]rune(strings.TrimSpace(title))); n < 1 || n > 500 {
		v.Add("title", "validation.required", nil)
	}
}

// goalTargetRange is where a goal's target date may lie around today: a
// little in the past (recorded late), at most three years ahead.
func goalTargetRange(v *ValidationError, target *time.Time, today time.Time) {
	if target != nil {
		v.DayWithin("target_on", *target, today.AddDate(-1, 0, 0), today.AddDate(3, 0, 0))
	}
}

// CreateGoal adds a goal to a visible participant's case plan.
func (s *Store) CreateGoal(participantID, title string, target *time.Time, today time.Time) (*Goal, error) {
	if _, err := s.ParticipantByID(participantID); err != nil {
		return nil, err
	}
	v := &ValidationError{}
	validGoalTitle(title, v)
	goalTargetRange(v, target, today)
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	w := &sealer{s: s, table: goalsTable, id: id}
	row := goalRow{ID: id, ParticipantID: participantID, TitleEnc: w.req("title", title), TargetOn: target,
		Progress: "not_started", Version: 1, CreatedBy: nilIfEmpty(s.actor.UserID), UpdatedAt: time.Now()}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.db.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("models: create goal: %w", err)
	}
	return s.GoalByID(id)
}

// GoalByID returns a visible goal.
func (s *Store) GoalByID(id string) (*Goal, error) {
	gs, err := s.goals(Page{}, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, fmt.Errorf("models: goal %s: %w", id, ErrNotFound)
	}
	return &gs[0], nil
}

// GoalsOf lists a participant's goals, oldest first.
func (s *Store) GoalsOf(participantID string) ([]Goal, error) {
	return s.GoalsPage(participantID, Page{})
}

// GoalsPage lists one page of a participant's goals, oldest first.
func (s *Store) GoalsPage(participantID string, pg Page) ([]Goal, error) {
	return s.goals(pg, "participant_id = ?", participantID)
}

func (s *Store) goals(pg Page, where string, arg string) ([]Goal, error) {
	where, args, err := pg.seek("tu", "(created_at, id) > (?::timestamptz, ?::uuid)", where, arg)
	if err != nil {
		return nil, err
	}
	if _, err := uuid.Parse(arg); err != nil {
		return nil, nil
	}
	q := s.db.Where(where, args...)
	if pg.Limit > 0 {
		q = q.Limit(pg.Limit)
	}
	var rows []goalRow
	if err := q.Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: goals: %w", err)
	}
	out := make([]Goal, 0, len(rows))
	for _, r := range rows {
		o := &opener{s: s, table: goalsTable, id: r.ID}
		g := Goal{ID: r.ID, ParticipantID: r.ParticipantID, Title: o.str("title", &r.TitleEnc), TargetOn: r.TargetOn,
			Progress: r.Progress, Outcome: deref(r.Outcome), Version: r.Version, CreatedAt: r.CreatedAt}
		if o.err != nil {
			return nil, o.err
		}
		out = append(out, g)
	}
	return out, nil
}

// GoalPatch changes a goal; nil fields stay.
type GoalPatch struct {
	Title    *string
	TargetOn *time.Time
	Progress *string
}

// UpdateGoal changes a goal whose version is still version.
func (s *Store) UpdateGoal(id string, version int, in GoalPatch, today time.Time) (*Goal, error) {
	g, err := s.GoalByID(id)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	upd := map[string]any{"version": gormExpr("version + 1"), "updated_at": time.Now()}
	if in.Title != nil {
		validGoalTitle(*in.Title, v)
		enc, err := s.sealed(goalsTable, "title", id, *in.Title)
		if err != nil {
			return nil, err
		}
		upd["title_enc"] = enc
	}
	if in.TargetOn != nil {
		goalTargetRange(v, in.TargetOn, today)
		upd["target_on"] = dateOf(*in.TargetOn)
	}
	if in.Progress != nil {
		if !contains(GoalProgress, *in.Progress) {
			v.Add("progress", "validation.oneof", nil)
		}
		upd["progress"] = *in.Progress
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if err := s.updateVersioned(&goalRow{}, id, version, g.Version, upd); err != nil {
		return nil, fmt.Errorf("models: goal %s: %w", id, err)
	}
	return s.GoalByID(id)
}

// Review is a held case review.
type Review struct {
	ID            string
	ParticipantID string
	HeldOn        time.Time
	Notes         string
	CreatedAt     time.Time
}

// RecordReview stores a case review of an active participant.
func (s *Store) RecordReview(participantID string, heldOn time.Time, notes string, today time.Time) (*Review, error) {
	p, err := s.ParticipantByID(participantID)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	if p.Status != StatusActive {
		v.Add("participant", "validation.not_active", nil)
	}
	if dateOf(heldOn).After(dateOf(today)) {
		v.Add("held_on", "validation.not_future", nil)
	}
	if p.ActivatedOn != nil && dateOf(heldOn).Before(dateOf(*p.ActivatedOn)) {
		v.Add("held_on", "validation.after_activation", nil)
	}
	if len(notes) > 20000 {
		v.Add("notes", "validation.max", map[string]any{"Param": 20000})
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	enc, err := s.seal("prevention.reviews", "notes", id, notes)
	if err != nil {
		return nil, err
	}
	err = s.db.Exec("INSERT INTO prevention.reviews (id, participant_id, held_on, notes_enc, created_by) VALUES (?, ?, ?, ?, ?)",
		id, participantID, dateOf(heldOn), enc, nilIfEmpty(s.actor.UserID)).Error
	if err != nil {
		return nil, fmt.Errorf("models: record review: %w", err)
	}
	return &Review{ID: id, ParticipantID: participantID, HeldOn: dateOf(heldOn), Notes: notes}, nil
}

// ReviewsOf lists a participant's reviews, newest first.
func (s *Store) ReviewsOf(participantID string) ([]Review, error) {
	return s.ReviewsPage(participantID, Page{})
}

// ReviewsPage lists one page of a participant's reviews, newest first (by
// the day held, then by when recorded).
func (s *Store) ReviewsPage(participantID string, pg Page) ([]Review, error) {
	where, args, err := pg.seek("dtu", "(held_on, created_at, id) < (?::date, ?::timestamptz, ?::uuid)", "participant_id = ?", participantID)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID, ParticipantID string
		HeldOn            time.Time
		NotesEnc          *string
		CreatedAt         time.Time
	}
	err = s.db.Raw("SELECT id, participant_id, held_on, notes_enc, created_at FROM prevention.reviews WHERE "+where+
		" ORDER BY held_on DESC, created_at DESC, id DESC LIMIT ?::integer", append(args, pg.sqlLimit())...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: reviews: %w", err)
	}
	out := make([]Review, 0, len(rows))
	for _, r := range rows {
		n, err := s.open("prevention.reviews", "notes", r.ID, r.NotesEnc)
		if err != nil {
			return nil, err
		}
		out = append(out, Review{ID: r.ID, ParticipantID: r.ParticipantID, HeldOn: r.HeldOn, Notes: n, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// Timing is where a participant stands in the program's calendar.
type Timing struct {
	LastReview    *time.Time
	ReviewDue     *time.Time
	Extensions    int
	ProgramEnd    *time.Time
	ReviewOverdue bool
	EndingSoon    bool
}

// TimingOf computes review due date and program end for a participant.
func (s *Store) TimingOf(p *Participant, day time.Time) (*Timing, error) {
	var agg struct {
		LastReview *time.Time
		Extensions int
	}
	err := s.db.Raw(`SELECT (SELECT max(held_on) FROM prevention.reviews WHERE participant_id = ?) AS last_review,
		(SELECT count(*) FROM prevention.extensions WHERE participant_id = ?) AS extensions`, p.ID, p.ID).Scan(&agg).Error
	if err != nil {
		return nil, fmt.Errorf("models: timing: %w", err)
	}
	t := &Timing{LastReview: agg.LastReview, Extensions: agg.Extensions}
	t.ReviewDue = ReviewDue(p.Status, p.ActivatedOn, agg.LastReview)
	t.ProgramEnd = ProgramEnd(p.ActivatedOn, agg.Extensions)
	t.ReviewOverdue = ReviewOverdue(t.ReviewDue, day)
	t.EndingSoon = ProgramEndingSoon(p.Status, t.ProgramEnd, day)
	return t, nil
}

// ExtendProgram extends an active participant's program period by six
// months, with a reason (encrypted).
func (s *Store) ExtendProgram(participantID, reason string) (*Timing, error) {
	p, err := s.ParticipantByID(participantID)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	if p.Status != StatusActive {
		v.Add("participant", "validation.not_active", nil)
	}
	if n := len([]rune(strings.TrimSpace(reason))); n < 1 || n > 2000 {
		v.Add("reason", "validation.required", nil)
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	enc, err := s.sealed("prevention.extensions", "reason", id, reason)
	if err != nil {
		return nil, err
	}
	if err := s.db.Exec("INSERT INTO prevention.extensions (id, participant_id, months, reason_enc, created_by) VALUES (?, ?, ?, ?, ?)",
		id, participantID, ExtensionMonths, enc, nilIfEmpty(s.actor.UserID)).Error; err != nil {
		return nil, fmt.Errorf("models: extend program: %w", err)
	}
	return s.TimingOf(p, time.Now())
}

// ClosingInput is the structured closing interview (SPEC §3).
type ClosingInput struct {
	EndedOn    time.Time
	Assessment string
	Handover   string
	Outcomes   map[string]string // goal id → outcome
	// Completed closes as completed (from active); otherwise the case ends
	// early with EndReason.
	Completed bool
	EndReason string
}

// CloseCase records the closing interview, sets each goal's outcome and
// moves the participant to completed or ended_early — in one step.
func (s *Store) CloseCase(participantID string, version int, in ClosingInput, today time.Time) (*Participant, error) {
	p, err := s.ParticipantByID(participantID)
	if err != nil {
		return nil, err
	}
	if p.Version != version {
		return nil, fmt.Errorf("models: participant %s: %w", participantID, ErrConflict)
	}
	goals, err := s.GoalsOf(participantID)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	if !contains(Handovers, in.Handover) {
		v.Add("handover", "validation.oneof", nil)
	}
	switch {
	case in.EndedOn.IsZero() || dateOf(in.EndedOn).After(dateOf(today)):
		v.Add("ended_on", "validation.not_future", nil)
	case p.ActivatedOn != nil:
		v.DayWithin("ended_on", in.EndedOn, *p.ActivatedOn, today)
	default:
		v.DayWithin("ended_on", in.EndedOn, today.AddDate(-1, 0, 0), today)
	}
	if len(in.Assessment) > 20000 {
		v.Add("assessment", "validation.max", map[string]any{"Param": 20000})
	}
	for _, g := range goals {
		if o, ok := in.Outcomes[g.ID]; !ok || !contains(GoalOutcomes, o) {
			v.Add("outcomes", "validation.goal_outcome", map[string]any{"Goal": g.Title})
		}
	}
	to := StatusEndedEarly
	if in.Completed {
		to = StatusCompleted
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	enc, err := s.seal("prevention.closings", "assessment", participantID, in.Assessment)
	if err != nil {
		return nil, err
	}
	err = s.db.Exec("INSERT INTO prevention.closings (participant_id, ended_on, assessment_enc, handover, created_by) VALUES (?, ?, ?, ?, ?)",
		participantID, dateOf(in.EndedOn), enc, in.Handover, nilIfEmpty(s.actor.UserID)).Error
	if err != nil {
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("models: closing of %s: %w", participantID, ErrConflict)
		}
		return nil, fmt.Errorf("models: closing: %w", err)
	}
	for _, g := range goals {
		if err := s.db.Exec("UPDATE prevention.goals SET outcome = ?, version = version + 1, updated_at = now() WHERE id = ?",
			in.Outcomes[g.ID], g.ID).Error; err != nil {
			return nil, fmt.Errorf("models: goal outcome: %w", err)
		}
	}
	return s.changeStatus(participantID, version, to, in.EndReason, in.EndedOn)
}

// Closing is a recorded closing interview.
type Closing struct {
	EndedOn    time.Time
	Assessment string
	Handover   string
}

// ClosingOf returns the closing interview of a participant, or nil.
func (s *Store) ClosingOf(participantID string) (*Closing, error) {
	var rows []struct {
		EndedOn       time.Time
		AssessmentEnc *string
		Handover      string
	}
	err := s.db.Raw("SELECT ended_on, assessment_enc, handover FROM prevention.closings WHERE participant_id = ? AND reopened_at IS NULL",
		participantID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: closing: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	a, err := s.open("prevention.closings", "assessment", participantID, rows[0].AssessmentEnc)
	if err != nil {
		return nil, err
	}
	return &Closing{EndedOn: rows[0].EndedOn, Assessment: a, Handover: rows[0].Handover}, nil
}
