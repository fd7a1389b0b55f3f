package models

import (
	"encoding/json"
	"fmt"
	"strings"
)

// AuditEvent is one entry of the append-only audit log. Details must never
// carry names, dates of birth, addresses or notes: ids and codes only.
type AuditEvent struct {
	ActorID    *string
	ActorRole  string
	Action     string
	ObjectType string
	ObjectID   string
	SiteID     *string
	RequestID  string
	Details    map[string]any
}

// Audit actions known so far.
const (
	AuditLogin           = "auth.login"
	AuditLoginFailed     = "auth.login_failed"
	AuditLogout          = "auth.logout"
	AuditTokenCreated    = "auth.token_created"
	AuditTokenDeleted    = "auth.token_deleted"
	AuditTOTPEnabled     = "auth.totp_enabled"
	AuditTOTPDisabled    = "auth.totp_disabled"
	AuditPasswordChanged = "auth.password_changed"

	AuditParticipantList   = "participant.list"
	AuditParticipantRead   = "participant.read"
	AuditParticipantCreate = "participant.create"
	AuditParticipantUpdate = "participant.update"
	AuditParticipantStatus = "participant.status"
	AuditParticipantReopen = "participant.reopen"
	AuditParticipantErase  = "participant.erase"
	AuditParticipantExport = "participant.export"
	AuditRetentionRun      = "retention.run"
	AuditFamilyRead        = "family.read"
	AuditFamilyUpdate      = "family.update"
	AuditGuardianAdd       = "guardian.add"
	AuditGuardianCustody   = "guardian.custody"
	AuditConsentRecord     = "consent.record"
	AuditConsentWithdraw   = "consent.withdraw"
	AuditConsentAnswer     = "consent.answer"
	AuditReferralCreate    = "referral.create"
	AuditReferralRead      = "referral.read"
	AuditReferralAccept    = "referral.accept"
	AuditReferralDecline   = "referral.decline"
	AuditReferralUpdate    = "referral.update" // a liaison's correction (issue 16)
	AuditMeasureSave       = "measure.save"
	AuditSessionCreate     = "session.create"
	// Police contacts after a referral (issue 17): the referral as object,
	// the contact's id (and on reading the count) in the details; never
	// its day or category.
	AuditPoliceContactCreate = "police_contact.create"
	AuditPoliceContactRead   = "police_contact.read"
	// Groups for sessions (issue 15): the group's id as object; member
	// changes name the children by id only.
	AuditGroupCreate      = "group.create"
	AuditGroupRead        = "group.read"
	AuditGroupUpdate      = "group.update"
	AuditGroupMembers     = "group.members"
	AuditSessionRead      = "session.read"
	AuditSessionUpdate    = "session.update"
	AuditGoalCreate       = "goal.create"
	AuditGoalUpdate       = "goal.update"
	AuditReviewRecord     = "review.record"
	AuditProgramExtend    = "program.extend"
	AuditCaseClose        = "case.close"
	AuditVisitCreate      = "visit.create"
	AuditVisitUpdate      = "visit.update"
	AuditCalendarReset    = "calendar.reset"
	AuditAssignmentCreate = "assignment.create"
	AuditAssignmentEnd    = "assignment.end"
	AuditStatsQuery       = "stats.query"
	AuditStatsExport      = "stats.export"
	// Administration (issue 13): ids and codes only.
	AuditUserCreate       = "user.create"
	AuditUserUpdate       = "user.update"
	AuditUserPasswordLink = "user.password_link"
	AuditUserTOTPReset    = "user.totp_reset"
	AuditPasswordSet      = "auth.password_set"
	AuditSiteCreate       = "site.create"
	AuditSiteUpdate       = "site.update"
	// Assessments (issue 17): the case as object, the assessment's id and
	// occasion in the details; items by code and version, never a score.
	AuditAssessmentRecord   = "assessment.record"
	AuditAssessmentItemSave = "assessment.item_save"
)

// detailsJSON is the event's details as the JSON text the table stores.
func (e AuditEvent) detailsJSON() (string, error) {
	if len(e.Details) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(e.Details)
	if err != nil {
		return "", fmt.Errorf("models: audit details: %w", err)
	}
	return string(b), nil
}

// insert is the statement that appends e: "INSERT … SELECT" with the
// event's values, its object id the SQL expression object (with
// objectArgs), for a FROM to follow; and the statement's arguments. Every
// statement that appends events starts with it.
func (e AuditEvent) insert(object string, objectArgs ...any) (string, []any, error) {
	details, err := e.detailsJSON()
	if err != nil {
		return "", nil, err
	}
	args := append([]any{e.ActorID, e.ActorRole, e.Action, e.ObjectType}, objectArgs...)
	return `INSERT INTO audit.events (actor_id, actor_role, action, object_type, object_id, site_id, request_id, details)
		SELECT ?, ?, ?, nullif(?, ''), ` + object + `, ?, nullif(?, ''), ?::jsonb`, append(args, e.SiteID, e.RequestID, details), nil
}

// Audit appends an event: a plain insert that waits for no other request.
// The sealer links it into the chain within about a second (SealAudit).
func (s *Store) Audit(e AuditEvent) error {
	insert, args, err := e.insert("nullif(?, '')", e.ObjectID)
	if err != nil {
		return err
	}
	if err := s.db.Exec(insert, args...).Error; err != nil {
		return fmt.Errorf("models: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditEach records e once per object id (e.ObjectID is ignored), in one
// statement: a list that shows several records audits a read of each.
func (s *Store) AuditEach(e AuditEvent, objectIDs []string) error {
	if len(objectIDs) == 0 {
		return nil
	}
	insert, args, err := e.insert("o.id")
	if err != nil {
		return err
	}
	for _, id := range objectIDs {
		if id == "" || strings.Contains(id, ",") {
			return fmt.Errorf("models: audit %s: object id %q", e.Action, id)
		}
	}
	err = s.db.Exec(insert+` FROM unnest(string_to_array(?, ',')) WITH ORDINALITY AS o(id, n) ORDER BY o.n`,
		append(args, strings.Join(objectIDs, ","))...).Error
	if err != nil {
		return fmt.Errorf("models: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditBreak describes the first place where the chain does not hold.
type AuditBreak struct {
	Seq    int64
	ID     int64
	Reason string
}
