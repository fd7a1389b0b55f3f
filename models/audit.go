package models

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
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
	AuditFamilyRead        = "family.read"
	AuditFamilyUpdate      = "family.update"
	AuditGuardianAdd       = "guardian.add"
	AuditConsentRecord     = "consent.record"
	AuditConsentWithdraw   = "consent.withdraw"
	AuditConsentAnswer     = "consent.answer"
	AuditReferralCreate    = "referral.create"
	AuditReferralRead      = "referral.read"
	AuditReferralAccept    = "referral.accept"
	AuditReferralDecline   = "referral.decline"
	AuditMeasureSave       = "measure.save"
	AuditSessionCreate     = "session.create"
	AuditSessionRead       = "session.read"
	AuditSessionUpdate     = "session.update"
	AuditGoalCreate        = "goal.create"
	AuditGoalUpdate        = "goal.update"
	AuditReviewRecord      = "review.record"
	AuditProgramExtend     = "program.extend"
	AuditCaseClose         = "case.close"
	AuditVisitCreate       = "visit.create"
	AuditVisitUpdate       = "visit.update"
	AuditCalendarReset     = "calendar.reset"
	AuditAssignmentCreate  = "assignment.create"
	AuditAssignmentEnd     = "assignment.end"
	AuditStatsQuery        = "stats.query"
	AuditStatsExport       = "stats.export"
)

// Audit appends an event. The database chains it to the previous entry when
// the transaction commits.
func (s *Store) Audit(e AuditEvent) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("models: audit details: %w", err)
		}
	}
	err := s.db.Exec(`INSERT INTO audit.events (actor_id, actor_role, action, object_type, object_id, site_id, request_id, details)
		VALUES (?, ?, ?, nullif(?, ''), nullif(?, ''), ?, nullif(?, ''), ?::jsonb)`,
		e.ActorID, e.ActorRole, e.Action, e.ObjectType, e.ObjectID, e.SiteID, e.RequestID, string(details)).Error
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

// VerifyAuditChain recomputes the chain in order and returns the first
// break, or nil when every entry is intact. It runs as the connecting (owner)
// role, for `kurve audit verify`. A removed entry shows as a gap in seq or as
// a prev_hash that does not match; a changed entry as a hash mismatch.
func VerifyAuditChain(ctx context.Context, db *gorm.DB) (checked int64, brk *AuditBreak, err error) {
	rows, err := db.WithContext(ctx).Raw(`SELECT e.seq, e.id, e.prev_hash, e.hash,
		audit.event_digest(e, e.prev_hash) AS want
		FROM audit.events e WHERE e.seq IS NOT NULL ORDER BY e.seq`).Rows()
	if err != nil {
		return 0, nil, fmt.Errorf("models: audit verify: %w", err)
	}
	defer rows.Close()
	var prevHash []byte
	var expect int64 = 1
	for rows.Next() {
		var seq, id int64
		var prev, hash, want []byte
		if err := rows.Scan(&seq, &id, &prev, &hash, &want); err != nil {
			return checked, nil, fmt.Errorf("models: audit verify: %w", err)
		}
		switch {
		case seq != expect:
			return checked, &AuditBreak{Seq: expect, ID: id, Reason: fmt.Sprintf("entry %d missing (next is %d)", expect, seq)}, nil
		case !bytes.Equal(prev, prevHash):
			return checked, &AuditBreak{Seq: seq, ID: id, Reason: "previous hash does not match: an earlier entry was changed or removed"}, nil
		case !bytes.Equal(hash, want):
			return checked, &AuditBreak{Seq: seq, ID: id, Reason: "content does not match its hash: entry was changed"}, nil
		}
		prevHash, expect = hash, expect+1
		checked++
	}
	if err := rows.Err(); err != nil {
		return checked, nil, fmt.Errorf("models: audit verify: %w", err)
	}
	var unsealed int64
	if err := db.WithContext(ctx).Raw("SELECT count(*) FROM audit.events WHERE seq IS NULL").Scan(&unsealed).Error; err != nil {
		return checked, nil, fmt.Errorf("models: audit verify: %w", err)
	}
	if unsealed > 0 {
		return checked, &AuditBreak{Reason: fmt.Sprintf("%d entries without a place in the chain", unsealed)}, nil
	}
	return checked, nil, nil
}
