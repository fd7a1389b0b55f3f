package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Export is everything stored about a participant and its family, for
// the data-protection officer (GDPR Art. 15, issue 12): the document of
// prevention.export_participant (migration 00019) with every encrypted
// value decrypted. Notes and place of group sessions are not in it; such
// sessions are listed in Withheld.
type Export struct {
	Participant   ExportParticipant    `json:"participant"`
	Family        *ExportFamily        `json:"family"`
	Guardians     []ExportGuardian     `json:"guardians"`
	Consents      []ExportConsent      `json:"consents"`
	Assignments   []ExportAssignment   `json:"assignments"`
	Sessions      []ExportSession      `json:"sessions"`
	Withheld      []ExportWithheld     `json:"withheld"`
	Goals         []ExportGoal         `json:"goals"`
	Reviews       []ExportReview       `json:"reviews"`
	Assessments   []ExportAssessment   `json:"assessments"`
	Extensions    []ExportExtension    `json:"extensions"`
	Closings      []ExportClosing      `json:"closings"`
	StatusChanges []ExportStatusChange `json:"status_changes"`
	Visits        []ExportVisit        `json:"visits"`
	Referral      *ExportReferral      `json:"referral"`
	Audit         []ExportAuditEntry   `json:"audit"`
}

// ExportParticipant is the child's own record. Dates are YYYY-MM-DD.
type ExportParticipant struct {
	ID              string    `json:"id"`
	SiteID          string    `json:"site_id"`
	FamilyID        string    `json:"family_id"`
	CaseNumber      string    `json:"case_number"`
	FirstName       string    `json:"first_name"`
	LastName        string    `json:"last_name"`
	DateOfBirth     string    `json:"date_of_birth"`
	Gender          string    `json:"gender"`
	Languages       []string  `json:"languages"`
	School          string    `json:"school"`
	Notes           string    `json:"notes"`
	Status          string    `json:"status"`
	StatusChangedOn string    `json:"status_changed_on"`
	ActivatedOn     *string   `json:"activated_on"`
	EndedOn         *string   `json:"ended_on"`
	EndReason       *string   `json:"end_reason"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// ExportFamily is the child's family with its languages.
type ExportFamily struct {
	ID        string           `json:"id"`
	Address   string           `json:"address"`
	Phone     string           `json:"phone"`
	Email     string           `json:"email"`
	Languages []FamilyLanguage `json:"languages"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// ExportGuardian is a guardian with their link to the child.
type ExportGuardian struct {
	ID           string    `json:"id"`
	FirstName    string    `json:"first_name"`
	LastName     string    `json:"last_name"`
	Phone        string    `json:"phone"`
	Email        string    `json:"email"`
	Languages    []string  `json:"languages"`
	Relationship string    `json:"relationship"`
	HasCustody   bool      `json:"has_custody"`
	CreatedAt    time.Time `json:"created_at"`
}

// ExportConsent is a consent with its history.
type ExportConsent struct {
	ID           string               `json:"id"`
	GuardianID   *string              `json:"guardian_id"`
	Purposes     []string             `json:"purposes"`
	FormVersion  string               `json:"form_version"`
	FormLanguage string               `json:"form_language"`
	State        string               `json:"state"`
	GivenOn      *string              `json:"given_on"`
	ExpiresOn    *string              `json:"expires_on"`
	WithdrawnOn  *string              `json:"withdrawn_on"`
	RecordedBy   *string              `json:"recorded_by"`
	MediatorID   *string              `json:"mediator_id"`
	CreatedAt    time.Time            `json:"created_at"`
	Events       []ExportConsentEvent `json:"events"`
}

// ExportConsentEvent is one change of a consent's state.
type ExportConsentEvent struct {
	ID          int64     `json:"id"`
	State       string    `json:"state"`
	EffectiveOn string    `json:"effective_on"`
	ChangedBy   *string   `json:"changed_by"`
	ChangedAt   time.Time `json:"changed_at"`
}

// ExportAssignment is a staff member assigned to the case.
type ExportAssignment struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	UserName  string    `json:"user_name"`
	Kind      string    `json:"kind"`
	FromOn    string    `json:"from_on"`
	UntilOn   *string   `json:"until_on"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportSession is a session the child is in, with its attendance. Notes
// and location are empty for a group session (see Export.Withheld).
type ExportSession struct {
	ID              string    `json:"id"`
	Status          string    `json:"status"`
	StartedAt       time.Time `json:"started_at"`
	DurationMinutes *int      `json:"duration_minutes"`
	Measure         string    `json:"measure"`
	Module          *string   `json:"module"`
	MediatorPresent bool      `json:"mediator_present"`
	Attendance      *string   `json:"attendance"`
	Group           bool      `json:"group"`
	Location        string    `json:"location"`
	Notes           string    `json:"notes"`
}

// ExportWithheld names what the export leaves out, and why.
type ExportWithheld struct {
	SessionID string `json:"session_id"`
	Reason    string `json:"reason"`
}

// ExportGoal is a goal of the case.
type ExportGoal struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	TargetOn  *string   `json:"target_on"`
	Progress  string    `json:"progress"`
	Outcome   *string   `json:"outcome"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ExportReview is a case review.
type ExportReview struct {
	ID        string    `json:"id"`
	HeldOn    string    `json:"held_on"`
	Notes     string    `json:"notes"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportAssessment is an assessment of the case (issue 17) with its
// scores, by item code and version; a nil score is "not assessable".
type ExportAssessment struct {
	ID         string                  `json:"id"`
	Occasion   string                  `json:"occasion"`
	AssessedOn string                  `json:"assessed_on"`
	Comment    string                  `json:"comment"`
	CreatedAt  time.Time               `json:"created_at"`
	Scores     []ExportAssessmentScore `json:"scores"`
}

// ExportAssessmentScore is one item's score of an assessment.
type ExportAssessmentScore struct {
	Item    string `json:"item"`
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	Score   *int   `json:"score"`
}

// ExportExtension is an extension of the program.
type ExportExtension struct {
	ID        string    `json:"id"`
	Months    int       `json:"months"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportClosing is a closing of the case (a reopened case has several).
type ExportClosing struct {
	ID         string     `json:"id"`
	EndedOn    string     `json:"ended_on"`
	Assessment string     `json:"assessment"`
	Handover   *string    `json:"handover"`
	CreatedAt  time.Time  `json:"created_at"`
	ReopenedAt *time.Time `json:"reopened_at"`
}

// ExportStatusChange is one change of the case's status.
type ExportStatusChange struct {
	ID          int64     `json:"id"`
	FromStatus  *string   `json:"from_status"`
	ToStatus    string    `json:"to_status"`
	Reason      *string   `json:"reason"`
	Note        string    `json:"note"`
	EffectiveOn string    `json:"effective_on"`
	ChangedAt   time.Time `json:"changed_at"`
}

// ExportVisit is a home visit of the case.
type ExportVisit struct {
	ID             string    `json:"id"`
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"`
	Purpose        string    `json:"purpose"`
	Status         string    `json:"status"`
	SocialWorkerID *string   `json:"social_worker_id"`
	MediatorID     *string   `json:"mediator_id"`
	OutcomeNote    string    `json:"outcome_note"`
}

// ExportReferral is the intake fields of the referral the case came from.
type ExportReferral struct {
	ID             string     `json:"id"`
	ReceivedAt     time.Time  `json:"received_at"`
	FirstName      string     `json:"first_name"`
	LastName       string     `json:"last_name"`
	DateOfBirth    string     `json:"date_of_birth"`
	Gender         string     `json:"gender"`
	GuardianName   string     `json:"guardian_name"`
	GuardianPhone  string     `json:"guardian_phone"`
	ReasonCategory string     `json:"reason_category"`
	Decision       string     `json:"decision"`
	DecidedAt      *time.Time `json:"decided_at"`
}

// ExportAuditEntry is an audit entry about the participant.
type ExportAuditEntry struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	ActorRole string          `json:"actor_role"`
	Action    string          `json:"action"`
	Details   json.RawMessage `json:"details"`
}

// exportSections are the sections of the export document holding
// encrypted values: the table they were sealed for, and the field naming
// the row they are bound to (closings are bound to the participant).
var exportSections = []struct{ key, table, bind string }{
	{"participant", participantsTable, "id"},
	{"family", familiesTable, "id"},
	{"guardians", guardiansTable, "id"},
	{"sessions", sessionsTable, "id"},
	{"goals", goalsTable, "id"},
	{"reviews", "prevention.reviews", "id"},
	{"assessments", assessmentsTable, "id"},
	{"extensions", "prevention.extensions", "id"},
	{"closings", "prevention.closings", "participant_id"},
	{"status_changes", "prevention.status_changes", "id"},
	{"visits", visitsTable, "id"},
	{"referral", referralsTable, "id"},
}

// ExportParticipant returns everything stored about the participant id
// (prevention.export_participant). Only the data-protection officer may
// (ErrForbidden otherwise); an unknown, erased or malformed id is
// ErrNotFound.
func (s *Store) ExportParticipant(id string) (*Export, error) {
	var doc *string
	err := s.db.Raw("SELECT prevention.export_participant(?)::text", id).Scan(&doc).Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "22P02":
		return nil, fmt.Errorf("models: export: %w", ErrNotFound)
	case IsPermissionDenied(err):
		return nil, fmt.Errorf("models: export: %w", ErrForbidden)
	case err != nil:
		return nil, fmt.Errorf("models: export: %w", err)
	case doc == nil:
		return nil, fmt.Errorf("models: export: %w", ErrNotFound)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*doc), &raw); err != nil {
		return nil, fmt.Errorf("models: export: %w", err)
	}
	for _, sec := range exportSections {
		if v, ok := raw[sec.key]; ok {
			out, err := s.openExportSection(sec.table, sec.bind, v)
			if err != nil {
				return nil, fmt.Errorf("models: export %s: %w", sec.key, err)
			}
			raw[sec.key] = out
		}
	}
	plain, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("models: export: %w", err)
	}
	var e Export
	if err := json.Unmarshal(plain, &e); err != nil {
		return nil, fmt.Errorf("models: export: %w", err)
	}
	return &e, nil
}

// openExportSection decrypts every "<column>_enc" field of one row or an
// array of rows into "<column>", bound to table, column and the row's
// field bind, as the normal read paths do.
func (s *Store) openExportSection(table, bind string, v json.RawMessage) (json.RawMessage, error) {
	trimmed := strings.TrimSpace(string(v))
	if trimmed == "null" {
		return v, nil
	}
	if strings.HasPrefix(trimmed, "[") {
		var rows []map[string]any
		if err := decodeNumbers(v, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if err := s.openExportRow(table, bind, r); err != nil {
				return nil, err
			}
		}
		return json.Marshal(rows)
	}
	var row map[string]any
	if err := decodeNumbers(v, &row); err != nil {
		return nil, err
	}
	if err := s.openExportRow(table, bind, row); err != nil {
		return nil, err
	}
	return json.Marshal(row)
}

func (s *Store) openExportRow(table, bind string, row map[string]any) error {
	var id string
	switch b := row[bind].(type) {
	case string:
		id = b
	case json.Number:
		id = b.String()
	default:
		return fmt.Errorf("row without %s", bind)
	}
	for k, val := range row {
		column, ok := strings.CutSuffix(k, "_enc")
		if !ok {
			continue
		}
		delete(row, k)
		var enc *string
		if str, ok := val.(string); ok {
			enc = &str
		}
		pt, err := s.open(table, column, id, enc)
		if err != nil {
			return err
		}
		row[column] = pt
	}
	return nil
}

// decodeNumbers decodes JSON keeping numbers as written (bigint ids).
func decodeNumbers(v json.RawMessage, out any) error {
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	return d.Decode(out)
}
