package models

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// ReasonCategories are the referral reasons of SPEC §5.
var ReasonCategories = []string{"violence", "property", "other"}

// DeclineReasons are why a coordinator may decline a referral.
var DeclineReasons = []string{"not_eligible", "outside_area", "family_unreachable", "duplicate", "other"}

// Feedback statuses a police liaison may see (SPEC §5, crossing 2).
const (
	FeedbackReceived     = "received"
	FeedbackInProgram    = "in_program"
	FeedbackProgramEnded = "program_ended"
)

// Referral is a police referral as its police liaison sees it: their own
// data, and nothing of what the prevention side did with it.
type Referral struct {
	ID              string
	SiteID          string
	SubmittedBy     string
	FirstName       string
	LastName        string
	DateOfBirth     time.Time
	Gender          string
	GuardianName    string
	GuardianPhone   string
	ReasonCategory  string
	PoliceReference string
	ReferringUnit   string
	OfficerName     string
	Notes           string
	CreatedAt       time.Time
	// SiteCode is the code of SiteID's site.
	SiteCode string
	// Version counts the corrections; a correction names the version it
	// was based on (optimistic locking).
	Version int
	// Open is true while intake has not decided on the referral: the one
	// thing its liaison learns of the intake (crossing.referral_open), so
	// that they may correct it until then.
	Open bool
}

type referralRow struct {
	ID               string
	SiteID           string
	SubmittedBy      string
	FirstNameEnc     string
	LastNameEnc      string
	DateOfBirthEnc   string
	Gender           string
	GuardianNameEnc  *string
	GuardianPhoneEnc *string
	ReasonCategory   string
	PoliceReference  string
	ReferringUnit    string
	OfficerNameEnc   *string
	NotesEnc         *string
	CreatedAt        time.Time `gorm:"->"`
	// Version is the database's: the trigger referrals_correction counts
	// it up with every correction.
	Version int `gorm:"->"`
}

func (referralRow) TableName() string { return "enforcement.referrals" }

// ErrReferralDecided is returned (wrapped in ErrConflict) when a referral
// is to be corrected after intake has decided on it.
var ErrReferralDecided = fmt.Errorf("referral decided: %w", ErrConflict)

// isReferralDecided reports whether err is the refusal of the trigger
// referrals_correction: intake decided while the correction waited.
func isReferralDecided(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.ConstraintName == "referral_undecided"
}

const referralsTable = "enforcement.referrals"

// ReferralInput is what a police liaison submits.
type ReferralInput struct {
	FirstName       string
	LastName        string
	DateOfBirth     *time.Time
	Gender          string
	SiteCode        string
	ReasonCategory  string
	PoliceReference string
	ReferringUnit   string
	OfficerName     string
	GuardianName    string
	GuardianPhone   string
	Notes           string
}

func (in *ReferralInput) validate(today time.Time) error {
	v := &ValidationError{}
	for field, val := range map[string]string{"first_name": in.FirstName, "last_name": in.LastName} {
		if n := len([]rune(strings.TrimSpace(val))); n < 1 || n > 100 {
			v.Add(field, "validation.required", nil)
		}
	}
	if in.DateOfBirth == nil {
		v.Add("date_of_birth", "validation.required", nil)
	} else if age := AgeOn(*in.DateOfBirth, today); age < 5 || age > 21 {
		v.Add("date_of_birth", "validation.date_of_birth", map[string]any{"Min": 5, "Max": 21})
	}
	if !contains(Genders, in.Gender) {
		v.Add("gender", "validation.oneof", nil)
	}
	if !contains(ReasonCategories, in.ReasonCategory) {
		v.Add("reason_category", "validation.oneof", nil)
	}
	if n := len([]rune(strings.TrimSpace(in.PoliceReference))); n < 1 || n > 60 {
		v.Add("police_reference", "validation.required", nil)
	}
	if len([]rune(in.ReferringUnit)) > 120 {
		v.Add("referring_unit", "validation.max", map[string]any{"Param": 120})
	}
	if len([]rune(in.GuardianName)) > 200 {
		v.Add("guardian_name", "validation.max", map[string]any{"Param": 200})
	}
	if len(in.GuardianPhone) > 40 {
		v.Add("guardian_phone", "validation.max", map[string]any{"Param": 40})
	}
	if len(in.Notes) > 20000 {
		v.Add("notes", "validation.max", map[string]any{"Param": 20000})
	}
	return v.OrNil()
}

// CreateReferral stores a referral of the acting police liaison.
func (s *Store) CreateReferral(in ReferralInput, today time.Time) (*Referral, error) {
	site, err := s.checkReferral(in, today)
	if err != nil {
		return nil, err
	}
	id := uuid.NewString()
	w := &sealer{s: s, table: referralsTable, id: id}
	row := referralRow{ID: id, SiteID: site.ID, SubmittedBy: s.actor.UserID,
		FirstNameEnc: w.req("first_name", in.FirstName), LastNameEnc: w.req("last_name", in.LastName),
		DateOfBirthEnc: w.req("date_of_birth", in.DateOfBirth.Format(time.DateOnly)), Gender: in.Gender,
		GuardianNameEnc: w.opt("guardian_name", in.GuardianName), GuardianPhoneEnc: w.opt("guardian_phone", in.GuardianPhone),
		ReasonCategory: in.ReasonCategory, PoliceReference: strings.TrimSpace(in.PoliceReference),
		ReferringUnit: strings.TrimSpace(in.ReferringUnit), OfficerNameEnc: w.opt("officer_name", in.OfficerName),
		NotesEnc: w.opt("notes", in.Notes)}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.db.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("models: create referral: %w", err)
	}
	return s.ReferralByID(id)
}

// checkReferral validates a referral as submitted or corrected and finds
// its site.
func (s *Store) checkReferral(in ReferralInput, today time.Time) (*Site, error) {
	if err := in.validate(today); err != nil {
		return nil, err
	}
	site, err := s.SiteByCode(in.SiteCode)
	if errors.Is(err, ErrNotFound) {
		v := &ValidationError{}
		v.Add("site", "validation.site_unknown", nil)
		return nil, v
	}
	return site, err
}

// UpdateReferral corrects one of the acting police liaison's referrals:
// every field as when submitting, validated the same way, based on
// version. It answers ErrNotFound for a referral not the liaison's own,
// ErrReferralDecided once intake has decided on it (checked here, and by
// the database when the decision came meanwhile), ErrConflict when version
// is stale.
func (s *Store) UpdateReferral(id string, version int, in ReferralInput, today time.Time) (*Referral, error) {
	r, err := s.ReferralByID(id)
	if err != nil {
		return nil, err
	}
	if !r.Open {
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrReferralDecided)
	}
	site, err := s.checkReferral(in, today)
	if err != nil {
		return nil, err
	}
	w := &sealer{s: s, table: referralsTable, id: id}
	upd := map[string]any{"site_id": site.ID, "first_name_enc": w.req("first_name", in.FirstName),
		"last_name_enc": w.req("last_name", in.LastName), "date_of_birth_enc": w.req("date_of_birth", in.DateOfBirth.Format(time.DateOnly)),
		"gender": in.Gender, "guardian_name_enc": w.opt("guardian_name", in.GuardianName),
		"guardian_phone_enc": w.opt("guardian_phone", in.GuardianPhone), "reason_category": in.ReasonCategory,
		"police_reference": strings.TrimSpace(in.PoliceReference), "referring_unit": strings.TrimSpace(in.ReferringUnit),
		"officer_name_enc": w.opt("officer_name", in.OfficerName), "notes_enc": w.opt("notes", in.Notes)}
	if w.err != nil {
		return nil, w.err
	}
	// The version is not set here: the trigger counts it up.
	err = s.updateVersioned(&referralRow{}, id, version, r.Version, upd)
	switch {
	case isReferralDecided(err):
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrReferralDecided)
	case err != nil:
		return nil, fmt.Errorf("models: referral %s: %w", id, err)
	}
	return s.ReferralByID(id)
}

// ChangedFields names the fields in which in differs from was, by their
// form and API names: what an audit entry of a correction records (names,
// never values).
func (in ReferralInput) ChangedFields(was ReferralInput) []string {
	day := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Format(time.DateOnly)
	}
	out := []string{}
	for _, f := range []struct {
		name     string
		now, was string
	}{
		{"first_name", in.FirstName, was.FirstName}, {"last_name", in.LastName, was.LastName},
		{"date_of_birth", day(in.DateOfBirth), day(was.DateOfBirth)}, {"gender", in.Gender, was.Gender},
		{"site", in.SiteCode, was.SiteCode}, {"reason_category", in.ReasonCategory, was.ReasonCategory},
		{"police_reference", in.PoliceReference, was.PoliceReference}, {"referring_unit", in.ReferringUnit, was.ReferringUnit},
		{"officer_name", in.OfficerName, was.OfficerName}, {"guardian_name", in.GuardianName, was.GuardianName},
		{"guardian_phone", in.GuardianPhone, was.GuardianPhone}, {"notes", in.Notes, was.Notes},
	} {
		if strings.TrimSpace(f.now) != strings.TrimSpace(f.was) {
			out = append(out, f.name)
		}
	}
	return out
}

// referralView is a referral row as its liaison reads it.
type referralView struct {
	Row      referralRow `gorm:"embedded"`
	SiteCode string
	Open     *bool
}

// ReferralByID returns one of the acting police liaison's referrals, with
// whether it is still open to correction.
func (s *Store) ReferralByID(id string) (*Referral, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrNotFound)
	}
	var rs []referralView
	if err := s.db.Raw(`SELECT r.*, s.code AS site_code, crossing.referral_open(r.id) AS open
		FROM enforcement.referrals r JOIN org.sites s ON s.id = r.site_id WHERE r.id = ?`, id).Scan(&rs).Error; err != nil {
		return nil, fmt.Errorf("models: referral %s: %w", id, err)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrNotFound)
	}
	r := rs[0].Row
	o := &opener{s: s, table: referralsTable, id: r.ID}
	ref := &Referral{ID: r.ID, SiteID: r.SiteID, SubmittedBy: r.SubmittedBy, FirstName: o.str("first_name", &r.FirstNameEnc),
		LastName: o.str("last_name", &r.LastNameEnc), Gender: r.Gender, GuardianName: o.str("guardian_name", r.GuardianNameEnc),
		GuardianPhone: o.str("guardian_phone", r.GuardianPhoneEnc), ReasonCategory: r.ReasonCategory,
		PoliceReference: r.PoliceReference, ReferringUnit: r.ReferringUnit, OfficerName: o.str("officer_name", r.OfficerNameEnc),
		Notes: o.str("notes", r.NotesEnc), CreatedAt: r.CreatedAt, SiteCode: rs[0].SiteCode, Version: r.Version,
		Open: rs[0].Open != nil && *rs[0].Open}
	dob := o.str("date_of_birth", &r.DateOfBirthEnc)
	if o.err != nil {
		return nil, o.err
	}
	// An erased referral (erasure, retention) keeps no birth date.
	if dob != "" {
		d, err := time.Parse(time.DateOnly, dob)
		if err != nil {
			return nil, fmt.Errorf("models: referral %s: %w", id, errDecrypt)
		}
		ref.DateOfBirth = d
	}
	return ref, nil
}

// Input is the referral as its form or body starts from: every field as
// stored, to correct.
func (r *Referral) Input() ReferralInput {
	in := ReferralInput{FirstName: r.FirstName, LastName: r.LastName, Gender: r.Gender, SiteCode: r.SiteCode,
		ReasonCategory: r.ReasonCategory, PoliceReference: r.PoliceReference, ReferringUnit: r.ReferringUnit,
		OfficerName: r.OfficerName, GuardianName: r.GuardianName, GuardianPhone: r.GuardianPhone, Notes: r.Notes}
	if !r.DateOfBirth.IsZero() {
		d := r.DateOfBirth
		in.DateOfBirth = &d
	}
	return in
}

// Feedback is all a police liaison learns about a referral (crossing 2).
type Feedback struct {
	ID              string
	PoliceReference string
	Status          string
	Since           time.Time
}

// ReferralFeedback returns the feedback on the acting police liaison's
// referrals, newest first, through the feedback crossing.
func (s *Store) ReferralFeedback() ([]Feedback, error) {
	return s.FeedbackPage(Page{})
}

// FeedbackPage returns one page of ReferralFeedback; the crossing reads
// the page after the cursor's referral.
func (s *Store) FeedbackPage(pg Page) ([]Feedback, error) {
	after, err := pg.afterID()
	if err != nil {
		return nil, err
	}
	var out []Feedback
	if err := s.db.Raw("SELECT id, police_reference, status, since FROM crossing.referral_feedback(?::uuid, ?::integer)",
		after, pg.sqlLimit()).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("models: referral feedback: %w", err)
	}
	return out, nil
}

// FeedbackFor returns the feedback on one own referral.
func (s *Store) FeedbackFor(id string) (*Feedback, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrNotFound)
	}
	var out []Feedback
	err := s.db.Raw("SELECT id, police_reference, status, since FROM crossing.referral_feedback() WHERE id = ?", id).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: referral feedback: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("models: referral %s: %w", id, ErrNotFound)
	}
	return &out[0], nil
}

// IntakeReferral is a referral as the intake crossing shows it to a
// coordinator: identity, guardian contact, reason category — no police
// notes, officer, unit or reference.
type IntakeReferral struct {
	ID             string
	SiteID         string
	FirstName      string
	LastName       string
	DateOfBirth    time.Time
	Gender         string
	GuardianName   string
	GuardianPhone  string
	ReasonCategory string
	ReceivedOn     time.Time
}

type intakeRow struct {
	ID               string
	SiteID           string
	FirstNameEnc     string
	LastNameEnc      string
	DateOfBirthEnc   string
	Gender           string
	GuardianNameEnc  *string
	GuardianPhoneEnc *string
	ReasonCategory   string
	ReceivedOn       time.Time
}

// IntakeQueue lists the undecided referrals of the coordinator's site.
func (s *Store) IntakeQueue() ([]IntakeReferral, error) {
	return s.IntakePage(IntakeFilter{})
}

// IntakeFilter narrows the intake queue to one reason category when set,
// one page of it.
type IntakeFilter struct {
	Reason string
	Page
}

// IntakePage lists one page of the intake queue, oldest first; the
// crossing reads the page after the cursor's referral.
func (s *Store) IntakePage(f IntakeFilter) ([]IntakeReferral, error) {
	v := &ValidationError{}
	if f.Reason != "" && !contains(ReasonCategories, f.Reason) {
		v.Add("reason", "validation.oneof", nil)
	}
	after, err := f.afterID()
	if err != nil {
		return nil, err
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	return s.intake(s.db.Raw("SELECT * FROM crossing.intake_queue(?::text, ?::uuid, ?::integer)", nilIfEmpty(f.Reason), after, f.sqlLimit()))
}

// IntakeReferralByID returns one undecided referral of the coordinator's
// site, or ErrNotFound.
func (s *Store) IntakeReferralByID(id string) (*IntakeReferral, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: intake %s: %w", id, ErrNotFound)
	}
	rs, err := s.intake(s.db.Raw("SELECT * FROM crossing.intake_queue() WHERE id = ?", id))
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("models: intake %s: %w", id, ErrNotFound)
	}
	return &rs[0], nil
}

func (s *Store) intake(q *gorm.DB) ([]IntakeReferral, error) {
	var rows []intakeRow
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: intake queue: %w", err)
	}
	out := make([]IntakeReferral, 0, len(rows))
	for _, r := range rows {
		// Values were sealed for the referral row; the same key opens them.
		o := &opener{s: s, table: referralsTable, id: r.ID}
		ir := IntakeReferral{ID: r.ID, SiteID: r.SiteID, FirstName: o.str("first_name", &r.FirstNameEnc),
			LastName: o.str("last_name", &r.LastNameEnc), Gender: r.Gender, GuardianName: o.str("guardian_name", r.GuardianNameEnc),
			GuardianPhone: o.str("guardian_phone", r.GuardianPhoneEnc), ReasonCategory: r.ReasonCategory, ReceivedOn: r.ReceivedOn}
		dob := o.str("date_of_birth", &r.DateOfBirthEnc)
		if o.err != nil {
			return nil, o.err
		}
		d, err := time.Parse(time.DateOnly, dob)
		if err != nil {
			return nil, fmt.Errorf("models: intake %s: %w", r.ID, errDecrypt)
		}
		ir.DateOfBirth = d
		out = append(out, ir)
	}
	return out, nil
}

type intakeDecisionRow struct {
	ReferralID    string
	SiteID        string
	Decision      string
	DeclineReason *string
	ParticipantID *string
	DecidedBy     string
	Kind          *string
}

func (intakeDecisionRow) TableName() string { return "prevention.intake_decisions" }

// How intake accepted a referral (migration 00027).
const (
	IntakeNewCase    = "new_case"    // a new case in a new family
	IntakeSibling    = "sibling"     // a new case in an existing family
	IntakeReReferral = "re_referral" // attached to an existing case
)

// AcceptInput says where an accepted referral goes: to an existing case
// (ParticipantID, a re-referral: no second case), into an existing family
// (FamilyID, a sibling), or with neither into a new case and family.
type AcceptInput struct {
	ParticipantID string
	FamilyID      string
}

// AcceptReferral takes a referral of the coordinator's site into the
// program as in says, and returns the case and how it was taken (Intake*).
// A new case is created at the site with status referred, a new family
// gets the referral's guardian phone; the guardian the referral names is
// carried over to the case (carryGuardian). From then on the case lives on
// the prevention side only.
func (s *Store) AcceptReferral(id string, in AcceptInput, today time.Time) (*Participant, string, error) {
	if err := s.holdReferral(id); err != nil {
		return nil, "", err
	}
	r, err := s.IntakeReferralByID(id)
	if err != nil {
		return nil, "", err
	}
	v := &ValidationError{}
	if in.ParticipantID != "" && in.FamilyID != "" {
		v.Add("participant_id", "validation.accept_one", nil)
		return nil, "", v
	}
	var p *Participant
	kind := IntakeNewCase
	if in.ParticipantID != "" {
		kind = IntakeReReferral
		p, err = s.ParticipantByID(in.ParticipantID)
		if errors.Is(err, ErrNotFound) || err == nil && p.SiteID != r.SiteID {
			v.Add("participant_id", "validation.participant_unknown", nil)
			return nil, "", v
		}
	} else {
		if in.FamilyID != "" {
			kind = IntakeSibling
		}
		gender, dob := r.Gender, r.DateOfBirth
		p, err = s.CreateParticipant(ParticipantInput{FirstName: &r.FirstName, LastName: &r.LastName, DateOfBirth: &dob,
			Gender: &gender}, in.FamilyID, FamilyInput{Phone: &r.GuardianPhone}, today)
	}
	if err != nil {
		return nil, "", err
	}
	if err := s.decide(intakeDecisionRow{ReferralID: r.ID, SiteID: r.SiteID, Decision: "accepted", ParticipantID: &p.ID, Kind: &kind}); err != nil {
		return nil, "", err
	}
	if err := s.carryGuardian(p, r.GuardianName, r.GuardianPhone); err != nil {
		return nil, "", err
	}
	return p, kind, nil
}

// Referral is how a case came into the program, as its history shows it:
// when intake decided and how (Intake*). Nothing of the police side.
type CaseReferral struct {
	Kind      string
	DecidedAt time.Time
}

// CaseReferrals lists the referrals taken into a visible case, oldest
// first: more than one means the child was referred again.
func (s *Store) CaseReferrals(participantID string) ([]CaseReferral, error) {
	var out []CaseReferral
	if err := s.db.Raw(`SELECT kind, decided_at FROM prevention.intake_decisions WHERE participant_id = ? AND decision = 'accepted'
		ORDER BY decided_at, referral_id`, participantID).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("models: referrals of %s: %w", participantID, err)
	}
	return out, nil
}

// DeclineReferral declines a referral with a reason.
func (s *Store) DeclineReferral(id, reason string) error {
	if err := s.holdReferral(id); err != nil {
		return err
	}
	r, err := s.IntakeReferralByID(id)
	if err != nil {
		return err
	}
	if !contains(DeclineReasons, reason) {
		v := &ValidationError{}
		v.Add("reason", "validation.oneof", nil)
		return v
	}
	return s.decide(intakeDecisionRow{ReferralID: r.ID, SiteID: r.SiteID, Decision: "declined", DeclineReason: &reason})
}

// holdReferral locks the referral that intake is about to decide on,
// before reading it (crossing.intake_hold): a correction by its liaison
// under way is waited for and read; one that comes later waits for the
// decision and is refused. An id that is not the coordinator's site's
// holds nothing, and the read that follows finds nothing.
func (s *Store) holdReferral(id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("models: intake %s: %w", id, ErrNotFound)
	}
	if err := s.db.Exec("SELECT crossing.intake_hold(?::uuid)", id).Error; err != nil {
		return fmt.Errorf("models: intake %s: %w", id, err)
	}
	return nil
}

func (s *Store) decide(d intakeDecisionRow) error {
	d.DecidedBy = s.actor.UserID
	if err := s.db.Create(&d).Error; err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("models: referral %s decided already: %w", d.ReferralID, ErrConflict)
		}
		return fmt.Errorf("models: intake decision: %w", err)
	}
	return nil
}
