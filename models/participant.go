package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Genders recorded for a participant.
var Genders = []string{"female", "male", "diverse", "unspecified"}

// Participant is a child in the program, decrypted for the viewer. For a
// language mediator (Limited) only names, languages, family and status are
// loaded: the database refuses the other columns to that role.
type Participant struct {
	ID              string
	SiteID          string
	FamilyID        string
	CaseNumber      string
	FirstName       string
	LastName        string
	DateOfBirth     *time.Time
	Gender          string
	Languages       []string
	School          string
	Notes           string
	Status          Status
	StatusChangedOn time.Time
	ActivatedOn     *time.Time
	EndedOn         *time.Time
	EndReason       string
	Version         int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Limited         bool
}

// Age is the participant's age on day, or -1 when the date of birth is not
// visible.
func (p *Participant) Age(day time.Time) int {
	if p.DateOfBirth == nil {
		return -1
	}
	return AgeOn(*p.DateOfBirth, day)
}

type participantRow struct {
	ID              string
	SiteID          string
	FamilyID        string
	CaseNumber      string
	FirstNameEnc    string
	LastNameEnc     string
	DateOfBirthEnc  string
	BirthMonth      time.Time
	Gender          string
	Languages       TextArray
	SchoolEnc       *string
	NotesEnc        *string
	Status          Status
	StatusChangedOn time.Time
	ActivatedOn     *time.Time
	EndedOn         *time.Time
	EndReason       *string
	CreatedBy       *string
	Version         int
	CreatedAt       time.Time `gorm:"->"`
	UpdatedAt       time.Time
}

func (participantRow) TableName() string { return "prevention.participants" }

const participantsTable = "prevention.participants"

// mediatorParticipantColumns are the only columns kurve_mediation may read.
var mediatorParticipantColumns = []string{"id", "site_id", "family_id", "case_number", "first_name_enc", "last_name_enc", "languages", "status"}

func (s *Store) limited() bool { return s.actor.Role == RoleMediator }

// visibleCases is the participants policy's own index condition for the
// actor's role, on the participants table under alias (none: unqualified),
// with its one argument: the coordinator's site, or the role whose current
// cases a social worker or mediator sees. For other roles it is "true"
// with a nil argument. It narrows nothing the policy would not; it lets
// the planner walk the index (migration 00023).
func (s *Store) visibleCases(alias string) (string, any) {
	if alias != "" {
		alias += "."
	}
	switch s.actor.Role {
	case RoleCoordinator:
		return alias + "site_id = ?", s.actor.SiteID
	case RoleSocialWorker, RoleMediator:
		return alias + "id = ANY ((SELECT prevention.my_cases(?))::uuid[])", string(s.actor.Role)
	}
	return "true", nil
}

// participantQuery starts a read of participants. Row-level security
// decides what is visible; a list repeats the policy's own index
// condition for the actor's role (the site for a coordinator, the current
// cases for a social worker or mediator), so that the planner walks that
// index and never the whole program (migration 00023). It narrows nothing
// the policy would not. A read by id needs no such help (the primary key)
// and would only pay the condition twice.
func (s *Store) participantQuery(list bool) *gorm.DB {
	q := s.db.Model(&participantRow{})
	if cond, arg := s.visibleCases(""); arg != nil && list {
		q = q.Where(cond, arg)
	}
	if s.limited() {
		q = q.Select(mediatorParticipantColumns)
	}
	return q
}

func (s *Store) decryptParticipant(r *participantRow) (*Participant, error) {
	o := &opener{s: s, table: participantsTable, id: r.ID}
	p := &Participant{ID: r.ID, SiteID: r.SiteID, FamilyID: r.FamilyID, CaseNumber: r.CaseNumber,
		FirstName: o.str("first_name", &r.FirstNameEnc), LastName: o.str("last_name", &r.LastNameEnc),
		Languages: []string(r.Languages), Status: r.Status, Version: r.Version, Limited: s.limited()}
	if !p.Limited {
		dob := o.str("date_of_birth", &r.DateOfBirthEnc)
		if o.err == nil {
			d, err := time.Parse(time.DateOnly, dob)
			if err != nil {
				return nil, fmt.Errorf("models: participant %s: date of birth: %w", r.ID, errDecrypt)
			}
			p.DateOfBirth = &d
		}
		p.Gender, p.School, p.Notes = r.Gender, o.str("school", r.SchoolEnc), o.str("notes", r.NotesEnc)
		p.StatusChangedOn, p.ActivatedOn, p.EndedOn = r.StatusChangedOn, r.ActivatedOn, r.EndedOn
		p.EndReason, p.CreatedAt, p.UpdatedAt = deref(r.EndReason), r.CreatedAt, r.UpdatedAt
	}
	if o.err != nil {
		return nil, o.err
	}
	return p, nil
}

// ParticipantInput is what creating or editing a participant may set.
type ParticipantInput struct {
	FirstName   *string
	LastName    *string
	DateOfBirth *time.Time
	Gender      *string
	Languages   *[]string
	School      *string
	Notes       *string
}

func (in *ParticipantInput) validate(creating bool, today time.Time) error {
	v := &ValidationError{}
	name := func(field string, p *string) {
		if p == nil {
			if creating {
				v.Add(field, "validation.required", nil)
			}
			return
		}
		if n := len([]rune(strings.TrimSpace(*p))); n < 1 || n > 100 {
			v.Add(field, "validation.required", nil)
		}
	}
	name("first_name", in.FirstName)
	name("last_name", in.LastName)
	switch {
	case in.DateOfBirth == nil && creating:
		v.Add("date_of_birth", "validation.required", nil)
	case in.DateOfBirth != nil:
		if age := AgeOn(*in.DateOfBirth, today); age < 5 || age > 21 {
			v.Add("date_of_birth", "validation.date_of_birth", map[string]any{"Min": 5, "Max": 21})
		}
	}
	switch {
	case in.Gender == nil && creating:
		v.Add("gender", "validation.required", nil)
	case in.Gender != nil && !contains(Genders, *in.Gender):
		v.Add("gender", "validation.oneof", nil)
	}
	if in.Languages != nil {
		for _, l := range *in.Languages {
			if !languageCodeRE.MatchString(l) {
				v.Add("languages", "validation.language", nil)
				break
			}
		}
	}
	if in.School != nil && len(*in.School) > 200 {
		v.Add("school", "validation.max", map[string]any{"Param": 200})
	}
	if in.Notes != nil && len(*in.Notes) > 20000 {
		v.Add("notes", "validation.max", map[string]any{"Param": 20000})
	}
	return v.OrNil()
}

// CreateParticipant registers a child at the actor's site with status
// referred and a new case number; without familyID a new family is created.
// Only coordinators may (the policy refuses everyone else).
func (s *Store) CreateParticipant(in ParticipantInput, familyID string, family FamilyInput, today time.Time) (*Participant, error) {
	if err := in.validate(true, today); err != nil {
		return nil, err
	}
	siteID := s.actor.SiteID
	if familyID == "" {
		f, err := s.createFamily(siteID, family)
		if err != nil {
			return nil, err
		}
		familyID = f.ID
	} else if f, err := s.FamilyByID(familyID); err != nil || f.SiteID != siteID {
		v := &ValidationError{}
		v.Add("family_id", "validation.family_unknown", nil)
		return nil, v
	}
	var caseNumber string
	if err := s.db.Raw("SELECT prevention.next_case_number(?, ?)", siteID, today.Year()).Scan(&caseNumber).Error; err != nil {
		return nil, fmt.Errorf("models: case number: %w", err)
	}
	id := uuid.NewString()
	w := &sealer{s: s, table: participantsTable, id: id}
	dob := *in.DateOfBirth
	langs := []string{}
	if in.Languages != nil {
		langs = *in.Languages
	}
	row := participantRow{ID: id, SiteID: siteID, FamilyID: familyID, CaseNumber: caseNumber,
		FirstNameEnc: w.req("first_name", *in.FirstName), LastNameEnc: w.req("last_name", *in.LastName),
		DateOfBirthEnc: w.req("date_of_birth", dob.Format(time.DateOnly)),
		BirthMonth:     time.Date(dob.Year(), dob.Month(), 1, 0, 0, 0, 0, time.UTC),
		Gender:         *in.Gender, Languages: langs, SchoolEnc: w.opt("school", deref(in.School)),
		NotesEnc: w.opt("notes", deref(in.Notes)), Status: StatusReferred, StatusChangedOn: dateOf(today),
		CreatedBy: nilIfEmpty(s.actor.UserID), Version: 1, UpdatedAt: time.Now()}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.db.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("models: create participant: %w", err)
	}
	if err := s.index(ownerParticipant, id, participantTokens(*in.FirstName, *in.LastName, dob)); err != nil {
		return nil, err
	}
	if err := s.recordStatusChange(id, "", StatusReferred, "", today); err != nil {
		return nil, err
	}
	return s.ParticipantByID(id)
}

// ParticipantByID returns a participant visible to the actor.
func (s *Store) ParticipantByID(id string) (*Participant, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: participant %s: %w", id, ErrNotFound)
	}
	var row participantRow
	if err := s.participantQuery(false).Where("id = ?", id).Take(&row).Error; err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: participant %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("models: participant %s: %w", id, err)
	}
	return s.decryptParticipant(&row)
}

// ReadParticipant is ParticipantByID with the read audited as e (its
// object the participant) in the same statement: a data-modifying WITH
// inserts the event only when the actor sees the participant. One round
// trip instead of two for the participant API and the case page (issue
// 15); the event is the one Audit would have written.
func (s *Store) ReadParticipant(id string, e AuditEvent) (*Participant, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: participant %s: %w", id, ErrNotFound)
	}
	insert, args, err := e.insert("p.id::text")
	if err != nil {
		return nil, err
	}
	cols := "p.*"
	if s.limited() {
		cols = "p." + strings.Join(mediatorParticipantColumns, ", p.")
	}
	var rows []participantRow
	err = s.db.Raw(`WITH p AS (SELECT `+cols+` FROM prevention.participants p WHERE p.id = ?),
		read AS (`+insert+` FROM p)
		SELECT * FROM p`, append([]any{id}, args...)...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: participant %s read by %s: %w", id, e.Action, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("models: participant %s: %w", id, ErrNotFound)
	}
	return s.decryptParticipant(&rows[0])
}

// ParticipantFilter narrows a participant list.
type ParticipantFilter struct {
	Status   Status
	FamilyID string
	// After is the cursor (Participant.Cursor) a page continues after;
	// Limit bounds the page (0: no bound).
	After string
	Limit int
	// WorkerID keeps the cases this user currently works on as social
	// worker; IDs (when not nil) keeps only these participants.
	WorkerID string
	IDs      []string
	// Search keeps the participants found by a search (ParseSearch).
	Search *Search
	// Brief reads only what a list shows (case number, names, date of
	// birth, status, languages): no school, notes or history is decrypted.
	Brief bool
}

// briefParticipantColumns are what a list of participants shows.
var briefParticipantColumns = []string{"id", "site_id", "family_id", "case_number", "first_name_enc", "last_name_enc",
	"date_of_birth_enc", "languages", "status", "status_changed_on", "activated_on", "ended_on", "version"}

// Participants lists the participants visible to the actor (a caseload for
// social workers and mediators, the site for coordinators), by case number.
func (s *Store) Participants(f ParticipantFilter) ([]Participant, error) {
	q := s.participantQuery(true).Order("case_number")
	if f.Brief && !s.limited() {
		q = q.Select(briefParticipantColumns)
	}
	if f.IDs != nil {
		q = q.Where("id = ANY (?::uuid[])", idArray(f.IDs))
	}
	if f.WorkerID != "" {
		q = q.Where(`EXISTS (SELECT 1 FROM prevention.assignments a WHERE a.participant_id = participants.id AND a.user_id = ?
			AND a.kind = 'social_worker' AND a.from_on <= org.today() AND (a.until_on IS NULL OR a.until_on >= org.today()))`, f.WorkerID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.FamilyID != "" {
		q = q.Where("family_id = ?", f.FamilyID)
	}
	if f.Search != nil {
		var err error
		if q, err = f.Search.where(s, q); err != nil {
			return nil, err
		}
	}
	after, err := Page{After: f.After}.keyset("s")
	if err != nil {
		return nil, err
	}
	if after != nil {
		q = q.Where("case_number > ?", after[0])
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	var rows []participantRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: participants: %w", err)
	}
	out := make([]Participant, 0, len(rows))
	for i := range rows {
		p, err := s.decryptParticipant(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

// UpdateParticipant changes fields of a participant whose version is
// still version.
func (s *Store) UpdateParticipant(id string, version int, in ParticipantInput, today time.Time) (*Participant, error) {
	p, err := s.ParticipantByID(id)
	if err != nil {
		return nil, err
	}
	if err := in.validate(false, today); err != nil {
		return nil, err
	}
	w := &sealer{s: s, table: participantsTable, id: id}
	upd := map[string]any{"version": gormExpr("version + 1"), "updated_at": time.Now()}
	if in.FirstName != nil {
		upd["first_name_enc"] = w.req("first_name", *in.FirstName)
	}
	if in.LastName != nil {
		upd["last_name_enc"] = w.req("last_name", *in.LastName)
	}
	if in.DateOfBirth != nil {
		d := *in.DateOfBirth
		upd["date_of_birth_enc"] = w.req("date_of_birth", d.Format(time.DateOnly))
		upd["birth_month"] = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	if in.Gender != nil {
		upd["gender"] = *in.Gender
	}
	if in.Languages != nil {
		upd["languages"] = TextArray(*in.Languages)
	}
	if in.School != nil {
		upd["school_enc"] = w.opt("school", *in.School)
	}
	if in.Notes != nil {
		upd["notes_enc"] = w.opt("notes", *in.Notes)
	}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.updateVersioned(&participantRow{}, id, version, p.Version, upd); err != nil {
		return nil, fmt.Errorf("models: participant %s: %w", id, err)
	}
	p, err = s.ParticipantByID(id)
	if err != nil || in.FirstName == nil && in.LastName == nil && in.DateOfBirth == nil {
		return p, err
	}
	// The update dropped the old tokens (migration 00027's trigger).
	return p, s.index(ownerParticipant, id, participantTokens(p.FirstName, p.LastName, *p.DateOfBirth))
}

// ErrConsentMissing is returned (wrapped in a ValidationError-like
// ConsentError) when an action needs valid participation consent.
var ErrConsentMissing = errors.New("participation consent missing")

// ConsentError lists what consent is missing for an action (HTTP 422).
type ConsentError struct {
	Missing []Missing
}

func (e *ConsentError) Error() string {
	return fmt.Sprintf("models: %d consent(s) missing", len(e.Missing))
}

// Unwrap makes errors.Is(err, ErrConsentMissing) true.
func (e *ConsentError) Unwrap() error { return ErrConsentMissing }

// ChangeStatus moves a participant along the graph of SPEC §3. Becoming
// active needs valid participation consent; ended_early and declined need
// a reason; completed is reached only through the closing interview
// (CloseCase). version must be current.
func (s *Store) ChangeStatus(id string, version int, to Status, reason string, today time.Time) (*Participant, error) {
	if to == StatusCompleted {
		v := &ValidationError{}
		v.Add("status", "validation.complete_via_closing", nil)
		return nil, v
	}
	return s.changeStatus(id, version, to, reason, today)
}

func (s *Store) changeStatus(id string, version int, to Status, reason string, today time.Time) (*Participant, error) {
	p, err := s.ParticipantByID(id)
	if err != nil {
		return nil, err
	}
	if p.Version != version {
		return nil, fmt.Errorf("models: participant %s: %w", id, ErrConflict)
	}
	if !CanTransition(p.Status, to) {
		v := &ValidationError{}
		v.Add("status", "validation.status_transition", map[string]any{"From": string(p.Status), "To": string(to)})
		return nil, v
	}
	needsReason := to == StatusEndedEarly || to == StatusDeclined
	if needsReason && !ValidEndReason(reason) {
		v := &ValidationError{}
		v.Add("end_reason", "validation.required", nil)
		return nil, v
	}
	if to == StatusActive {
		missing, err := s.MissingConsent(p, today)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, &ConsentError{Missing: missing}
		}
	}
	return s.setStatus(p, to, reason, today)
}

// setStatus writes a status change that the caller has checked.
func (s *Store) setStatus(p *Participant, to Status, reason string, today time.Time) (*Participant, error) {
	day := dateOf(today)
	upd := map[string]any{"status": to, "status_changed_on": day, "version": gormExpr("version + 1"), "updated_at": time.Now()}
	if to == StatusActive {
		upd["activated_on"] = day
	}
	if !to.Open() {
		upd["ended_on"] = day
	}
	if reason != "" {
		upd["end_reason"] = reason
	}
	if err := s.updateVersioned(&participantRow{}, p.ID, p.Version, p.Version, upd); err != nil {
		return nil, fmt.Errorf("models: participant %s status: %w", p.ID, err)
	}
	if err := s.recordStatusChange(p.ID, p.Status, to, reason, today); err != nil {
		return nil, err
	}
	return s.ParticipantByID(p.ID)
}

// StatusChange is one entry of a participant's status history.
type StatusChange struct {
	ID            int64
	ParticipantID string
	FromStatus    *string
	ToStatus      Status
	Reason        *string
	EffectiveOn   time.Time
	ChangedBy     *string
	ChangedAt     time.Time `gorm:"->"`
	NoteEnc       *string
	// Note is the decrypted note (why a case was reopened).
	Note string `gorm:"-"`
}

// TableName implements gorm's Tabler.
func (StatusChange) TableName() string { return "prevention.status_changes" }

func (s *Store) recordStatusChange(id string, from, to Status, reason string, today time.Time) error {
	return s.recordStatusNote(id, from, to, reason, "", today)
}

// recordStatusNote records a status change with an encrypted note (the
// reason a case was reopened). The row's id is drawn first: the note is
// bound to it.
func (s *Store) recordStatusNote(id string, from, to Status, reason, note string, today time.Time) error {
	var seq int64
	if err := s.db.Raw("SELECT nextval(pg_get_serial_sequence('prevention.status_changes', 'id'))").Scan(&seq).Error; err != nil {
		return fmt.Errorf("models: status history: %w", err)
	}
	enc, err := s.seal("prevention.status_changes", "note", strconv.FormatInt(seq, 10), note)
	if err != nil {
		return err
	}
	sc := StatusChange{ID: seq, ParticipantID: id, ToStatus: to, EffectiveOn: dateOf(today), ChangedBy: nilIfEmpty(s.actor.UserID),
		FromStatus: nilIfEmpty(string(from)), Reason: nilIfEmpty(reason), NoteEnc: enc}
	if err := s.db.Create(&sc).Error; err != nil {
		return fmt.Errorf("models: status history: %w", err)
	}
	return nil
}

// ReasonReopened is the reason of the status change that reopens a case.
const ReasonReopened = "reopened"

// ReopenCase takes a case closed in error back to the status it had
// before (coordinators, within ReopenDays, with a reason). Its closing
// interview, if any, is kept and marked reopened; the end date and end
// reason are cleared; the status history records the reopening with the
// reason (encrypted).
func (s *Store) ReopenCase(id string, version int, reason string, today time.Time) (*Participant, error) {
	if s.actor.Role != RoleCoordinator {
		return nil, fmt.Errorf("models: reopen by %s: %w", s.actor.Role, ErrForbidden)
	}
	p, err := s.ParticipantByID(id)
	if err != nil {
		return nil, err
	}
	if p.Version != version {
		return nil, fmt.Errorf("models: participant %s: %w", id, ErrConflict)
	}
	v := &ValidationError{}
	if n := len([]rune(strings.TrimSpace(reason))); n < 1 || n > 2000 {
		v.Add("reason", "validation.required", nil)
	}
	if !CanReopen(p.Status, p.StatusChangedOn, today) {
		v.Add("status", "validation.reopen_window", map[string]any{"Days": ReopenDays})
	}
	var prev []string
	err = s.db.Raw(`SELECT from_status FROM prevention.status_changes WHERE participant_id = ? AND to_status = ?
		ORDER BY id DESC LIMIT 1`, id, string(p.Status)).Scan(&prev).Error
	if err != nil {
		return nil, fmt.Errorf("models: status history: %w", err)
	}
	back := Status("")
	if len(prev) == 1 {
		back = Status(prev[0])
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if !back.Open() {
		return nil, fmt.Errorf("models: participant %s has no open status to return to: %w", id, ErrConflict)
	}
	err = s.db.Exec("UPDATE prevention.closings SET reopened_at = now(), reopened_by = ? WHERE participant_id = ? AND reopened_at IS NULL",
		nilIfEmpty(s.actor.UserID), id).Error
	if err != nil {
		return nil, fmt.Errorf("models: reopen closing: %w", err)
	}
	upd := map[string]any{"status": back, "status_changed_on": dateOf(today), "ended_on": nil, "end_reason": nil,
		"version": gormExpr("version + 1"), "updated_at": time.Now()}
	if err := s.updateVersioned(&participantRow{}, id, version, p.Version, upd); err != nil {
		return nil, fmt.Errorf("models: participant %s reopen: %w", id, err)
	}
	if err := s.recordStatusNote(id, p.Status, back, ReasonReopened, reason, today); err != nil {
		return nil, err
	}
	return s.ParticipantByID(id)
}

// StatusHistory returns a participant's status changes, oldest first.
func (s *Store) StatusHistory(participantID string) ([]StatusChange, error) {
	var out []StatusChange
	if err := s.db.Where("participant_id = ?", participantID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: status history: %w", err)
	}
	for i := range out {
		note, err := s.open("prevention.status_changes", "note", strconv.FormatInt(out[i].ID, 10), out[i].NoteEnc)
		if err != nil {
			return nil, err
		}
		out[i].Note = note
	}
	return out, nil
}
