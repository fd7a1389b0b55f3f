package models

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The audit viewer of the data-protection officer (issue 12, SPEC §9,
// §11): a search over audit.events by participant, acting user, action and
// time, newest first, paged by the key (at, id). It runs as kurve_dpo,
// which reads the log, the sites and the staff directory, and learns case
// numbers only through audit.case_numbers(): never a record of either side.

// Audit actions of the viewer itself and of account changes that were not
// audited before.
const (
	// AuditAuditSearch is a search of the audit log (web page or API).
	AuditAuditSearch = "audit.search"
	// AuditAuditExport is a download of audit entries (CSV).
	AuditAuditExport = "audit.export"
	// AuditLanguageChange is a user's change of their interface language.
	AuditLanguageChange = "user.language"
	// AuditMediatorLanguages is a change of the languages a mediator offers.
	AuditMediatorLanguages = "user.mediator_languages"
)

// AuditActions are the actions the application records, for the viewer's
// choice of action (older entries may carry others; any is searchable).
var AuditActions = []string{
	AuditLogin, AuditLoginFailed, AuditLogout, AuditTokenCreated, AuditTokenDeleted, AuditTOTPEnabled, AuditTOTPDisabled,
	AuditPasswordChanged, AuditLanguageChange, AuditMediatorLanguages, AuditCalendarReset,
	AuditParticipantList, AuditParticipantRead, AuditParticipantCreate, AuditParticipantUpdate, AuditParticipantStatus,
	AuditParticipantReopen, AuditFamilyRead, AuditFamilyUpdate, AuditGuardianAdd, AuditGuardianCustody, AuditConsentRecord, AuditConsentWithdraw,
	AuditConsentAnswer, AuditReferralCreate, AuditReferralRead, AuditReferralAccept, AuditReferralDecline, AuditReferralUpdate, AuditMeasureSave,
	AuditSessionCreate, AuditSessionRead, AuditSessionUpdate, AuditGroupCreate, AuditGroupRead, AuditGroupUpdate, AuditGroupMembers, AuditGoalCreate, AuditGoalUpdate, AuditReviewRecord,
	AuditProgramExtend, AuditCaseClose, AuditAssessmentRecord, AuditAssessmentItemSave, AuditVisitCreate, AuditVisitUpdate, AuditAssignmentCreate, AuditAssignmentEnd,
	AuditStatsQuery, AuditStatsExport, AuditAuditSearch, AuditAuditExport,
	AuditPoliceContactCreate, AuditPoliceContactRead,
	AuditParticipantErase, AuditParticipantExport, AuditRetentionRun,
	AuditUserCreate, AuditUserUpdate, AuditUserPasswordLink, AuditUserTOTPReset, AuditPasswordSet, AuditSiteCreate, AuditSiteUpdate,
}

// Audit search limits: a page holds DefaultAuditLimit entries unless the
// caller asks for another number up to MaxAuditLimit (SPEC §11, lists).
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 500
)

var (
	auditActionRE = regexp.MustCompile(`^[a-z_.]{1,64}$`)
	caseNumberRE  = regexp.MustCompile(`^[A-Z]{2,3}-[0-9]{4}-[0-9]{4,6}$`)
)

// AuditFilter selects audit entries. Empty fields do not filter; From is
// inclusive and To exclusive.
type AuditFilter struct {
	// ParticipantID selects entries about one participant (their id as the
	// entry's object); CaseNumber does the same by case number.
	ParticipantID string
	CaseNumber    string
	ActorID       string
	Action        string
	From, To      time.Time
	// After continues a search: entries older than this key only.
	After *AuditCursor
	// Limit is the page size, DefaultAuditLimit when zero.
	Limit int
}

// NormalizeCaseNumber is a case number as stored: trimmed, in capitals.
func NormalizeCaseNumber(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// Validate checks the filter; messages are message IDs.
func (f *AuditFilter) Validate() error {
	v := &ValidationError{}
	if f.ParticipantID != "" && !isUUID(f.ParticipantID) {
		v.Add("participant_id", "validation.uuid", nil)
	}
	if f.CaseNumber != "" && !caseNumberRE.MatchString(f.CaseNumber) {
		v.Add("case_number", "validation.case_number", nil)
	}
	if f.ParticipantID != "" && f.CaseNumber != "" {
		v.Add("case_number", "validation.participant_twice", nil)
	}
	if f.ActorID != "" && !isUUID(f.ActorID) {
		v.Add("actor_id", "validation.uuid", nil)
	}
	if f.Action != "" && !auditActionRE.MatchString(f.Action) {
		v.Add("action", "validation.audit_action", nil)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		v.Add("to", "validation.time_range", nil)
	}
	if f.Limit < 0 || f.Limit > MaxAuditLimit {
		v.Add("limit", "validation.limit", map[string]any{"Max": MaxAuditLimit})
	}
	return v.OrNil()
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// AuditCursor is the key of the last entry of a page: the next page holds
// the entries before it, newest first.
type AuditCursor struct {
	At time.Time
	ID int64
}

// String encodes the cursor as an opaque, URL-safe token.
func (c AuditCursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

// ErrBadCursor is returned by ParseAuditCursor for a token it did not make.
var ErrBadCursor = errors.New("models: bad audit cursor")

// ParseAuditCursor decodes a token made by AuditCursor.String.
func ParseAuditCursor(s string) (*AuditCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	at, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return nil, ErrBadCursor
	}
	micros, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || micros <= 0 {
		return nil, ErrBadCursor
	}
	return &AuditCursor{At: time.UnixMicro(micros).UTC(), ID: n}, nil
}

// AuditEntry is one entry as the dpo reads it: ids, codes, roles and
// times. CaseNumber is set when the entry's object is a participant;
// ActorName and SiteCode come from the staff directory and the sites.
type AuditEntry struct {
	ID         int64
	Seq        *int64
	At         time.Time
	ActorID    *string
	ActorName  string
	ActorRole  string
	Action     string
	ObjectType string
	ObjectID   string
	CaseNumber string
	SiteCode   string
	Details    map[string]any
}

// AuditPage is one page of a search; Next continues it, nil on the last.
type AuditPage struct {
	Entries []AuditEntry
	Next    *AuditCursor
	// ParticipantID is the participant the search was about, also when it
	// was asked for by case number.
	ParticipantID string
}

type auditRow struct {
	ID         int64
	Seq        *int64
	At         time.Time
	ActorID    *string
	ActorName  *string
	ActorRole  *string
	Action     string
	ObjectType *string
	ObjectID   *string
	SiteCode   *string
	Details    []byte
}

// SearchAudit returns one page of the entries that match f, newest first
// by (at, id). A case number that names no participant is a validation
// error of the field case_number.
func (s *Store) SearchAudit(f AuditFilter) (*AuditPage, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultAuditLimit
	}
	page := &AuditPage{ParticipantID: f.ParticipantID}
	if f.CaseNumber != "" {
		numbers, err := s.caseNumbers(nil, []string{f.CaseNumber})
		if err != nil {
			return nil, err
		}
		for id := range numbers {
			page.ParticipantID = id
		}
		if page.ParticipantID == "" {
			v := &ValidationError{}
			v.Add("case_number", "validation.case_number_unknown", nil)
			return nil, v
		}
	}
	sql, args := auditSearchSQL(f, page.ParticipantID, limit)
	var rows []auditRow
	if err := s.db.Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: audit search: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		page.Next = &AuditCursor{At: last.At, ID: last.ID}
	}
	var ids []string
	for _, r := range rows {
		if r.ObjectType != nil && *r.ObjectType == "participant" && r.ObjectID != nil && isUUID(*r.ObjectID) {
			ids = append(ids, *r.ObjectID)
		}
	}
	numbers, err := s.caseNumbers(ids, nil)
	if err != nil {
		return nil, err
	}
	page.Entries = make([]AuditEntry, 0, len(rows))
	for _, r := range rows {
		e := AuditEntry{ID: r.ID, Seq: r.Seq, At: r.At, ActorID: r.ActorID, ActorName: deref(r.ActorName), ActorRole: deref(r.ActorRole),
			Action: r.Action, ObjectType: deref(r.ObjectType), ObjectID: deref(r.ObjectID), SiteCode: deref(r.SiteCode)}
		if e.ObjectType == "participant" {
			e.CaseNumber = numbers[e.ObjectID]
		}
		if len(r.Details) > 0 {
			if err := json.Unmarshal(r.Details, &e.Details); err != nil {
				return nil, fmt.Errorf("models: audit entry %d details: %w", r.ID, err)
			}
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}

// auditSearchSQL is the search's one statement: each filter has an index
// that starts with its column and goes on with (at, id), so that the
// newest entries come straight from the index, also after a cursor.
func auditSearchSQL(f AuditFilter, participantID string, limit int) (string, []any) {
	where := []string{"true"}
	var args []any
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	if participantID != "" {
		add("e.object_id = ?", participantID)
	}
	if f.ActorID != "" {
		add("e.actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		add("e.action = ?", f.Action)
	}
	if !f.From.IsZero() {
		add("e.at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("e.at < ?", f.To)
	}
	if f.After != nil {
		add("(e.at, e.id) < (?, ?)", f.After.At, f.After.ID)
	}
	args = append(args, limit+1)
	return `SELECT e.id, e.seq, e.at, e.actor_id, u.name AS actor_name, e.actor_role, e.action, e.object_type, e.object_id,
			si.code AS site_code, e.details
		FROM audit.events e LEFT JOIN org.users u ON u.id = e.actor_id LEFT JOIN org.sites si ON si.id = e.site_id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY e.at DESC, e.id DESC LIMIT ?`, args
}

// caseNumbers resolves participant ids and case numbers through
// audit.case_numbers(), the dpo's one window on prevention.participants:
// case number by participant id.
func (s *Store) caseNumbers(ids, numbers []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 && len(numbers) == 0 {
		return out, nil
	}
	var rows []struct {
		ParticipantID string
		CaseNumber    string
	}
	if err := s.db.Raw("SELECT participant_id, case_number FROM audit.case_numbers(?::uuid[], ?::text[])",
		nullableArray(ids), nullableArray(numbers)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: case numbers: %w", err)
	}
	for _, r := range rows {
		out[r.ParticipantID] = r.CaseNumber
	}
	return out, nil
}

// AuditActor is a member of staff as the audit viewer names them.
type AuditActor struct {
	ID       string
	Name     string
	Role     Role
	SiteCode string
	Active   bool
}

// AuditActors lists every account, also deactivated ones (they may have
// acted), by name: the viewer's choice of acting user.
func (s *Store) AuditActors() ([]AuditActor, error) {
	var out []AuditActor
	err := s.db.Raw(`SELECT u.id, u.name, u.role, si.code AS site_code, u.active
		FROM org.users u JOIN org.sites si ON si.id = u.site_id ORDER BY u.name, si.code, u.id`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("models: audit actors: %w", err)
	}
	return out, nil
}
