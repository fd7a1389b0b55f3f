package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Retention is how long data are kept (GDPR Art. 5(1)(e), migration 00018).
type Retention struct {
	// CaseMonths after a case ended it is erased (EraseParticipant).
	CaseMonths int
	// DeclinedReferralMonths after a referral was declined it loses its
	// personal fields.
	DeclinedReferralMonths int
}

// DefaultRetention keeps closed cases 24 months and declined referrals 6.
var DefaultRetention = Retention{CaseMonths: 24, DeclinedReferralMonths: 6}

// RetentionReport is what one run did, or in a dry run would do.
type RetentionReport struct {
	Day              time.Time `json:"day"`
	DryRun           bool      `json:"dry_run"`
	CasesErased      int       `json:"cases_erased"`
	ReferralsRetired int       `json:"referrals_retired"`
	SessionsPurged   int64     `json:"sessions_purged"`
	TokensPurged     int64     `json:"tokens_purged"`
	// Set-password links past their expiry, used or not (issue 13).
	PasswordLinksPurged int64 `json:"password_links_purged"`
	IdempotencyPurged   int64 `json:"idempotency_keys_purged"`
	ParkedFormsPurged   int64 `json:"parked_forms_purged"`
	// Ran is false when the day's run had been claimed already (by another
	// instance): nothing was done.
	Ran bool `json:"-"`
}

// errDryRun rolls a dry run back.
var errDryRun = errors.New("dry run")

// RunRetention applies r on the program day of now, in one transaction:
// closed cases past their time erased (each audited), declined referrals
// past theirs anonymised, expired sessions, API tokens, kept answers and
// parked forms purged, and the run recorded in audit.retention_runs. A dry
// run does all of it and rolls it back, so its counts are exact. With
// daily set, the run first claims the day: of several instances, and
// several tries a day, one runs; the others return a report with Ran false.
func RunRetention(ctx context.Context, db *gorm.DB, r Retention, now time.Time, dryRun, daily bool) (*RetentionReport, error) {
	day := ProgramDay(now)
	rep := &RetentionReport{Day: day, DryRun: dryRun}
	system := Actor{Role: RoleDPO, Today: day}
	if daily && !dryRun {
		err := InTx(ctx, db, DBDPO, system, func(st *Store) error {
			res := st.db.Exec("INSERT INTO audit.retention_runs (day) VALUES (?) ON CONFLICT (day) DO NOTHING", day)
			rep.Ran = res.RowsAffected == 1
			return res.Error
		})
		if err != nil || !rep.Ran {
			return rep, wrapRetention(err)
		}
	}
	err := InTx(ctx, db, DBDPO, system, func(st *Store) error {
		var due []string
		if err := st.db.Raw("SELECT prevention.retention_due(?)", day.AddDate(0, -r.CaseMonths, 0)).Scan(&due).Error; err != nil {
			return err
		}
		for _, id := range due {
			caseNumber, err := st.EraseParticipant(id, ReasonRetention)
			if errors.Is(err, ErrNotFound) {
				continue // erased meanwhile by the dpo or another run
			}
			if err != nil {
				return err
			}
			if err := st.Audit(AuditEvent{ActorRole: "retention", Action: AuditParticipantErase, ObjectType: "participant", ObjectID: id,
				Details: map[string]any{"reason": ReasonRetention, "case_number": caseNumber}}); err != nil {
				return err
			}
			rep.CasesErased++
		}
		if err := st.db.Raw("SELECT enforcement.retire_declined_referrals(?)", now.AddDate(0, -r.DeclinedReferralMonths, 0)).
			Scan(&rep.ReferralsRetired).Error; err != nil {
			return err
		}
		if err := st.SwitchRole(DBAuth, Actor{}); err != nil {
			return err
		}
		var err error
		if rep.ParkedFormsPurged, err = st.DeleteExpiredParkedForms(); err != nil {
			return err
		}
		if rep.SessionsPurged, err = st.DeleteExpiredSessions(); err != nil {
			return err
		}
		if rep.IdempotencyPurged, err = st.DeleteExpiredIdempotencyKeys(); err != nil {
			return err
		}
		res := st.db.Exec("DELETE FROM auth.api_tokens WHERE expires_at < ?", now)
		if res.Error != nil {
			return res.Error
		}
		rep.TokensPurged = res.RowsAffected
		res = st.db.Exec("DELETE FROM auth.password_links WHERE expires_at < ?", now)
		if res.Error != nil {
			return res.Error
		}
		rep.PasswordLinksPurged = res.RowsAffected
		if err := st.SwitchRole(DBDPO, system); err != nil {
			return err
		}
		counts, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		if err := st.db.Exec(`INSERT INTO audit.retention_runs (day, counts, finished_at) VALUES (?, ?::jsonb, now())
			ON CONFLICT (day) DO UPDATE SET counts = excluded.counts, finished_at = excluded.finished_at`, day, string(counts)).Error; err != nil {
			return err
		}
		if err := st.Audit(AuditEvent{ActorRole: "retention", Action: AuditRetentionRun, Details: map[string]any{
			"cases_erased": rep.CasesErased, "referrals_retired": rep.ReferralsRetired}}); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	rep.Ran = err == nil
	return rep, wrapRetention(err)
}

func wrapRetention(err error) error {
	if err != nil {
		return fmt.Errorf("models: retention: %w", err)
	}
	return nil
}

// RetentionRun is one day's recorded run.
type RetentionRun struct {
	Day        time.Time
	StartedAt  time.Time
	FinishedAt *time.Time
	Report     RetentionReport
}

// LastRetentionRun is the latest recorded run, or nil (for the dpo's page).
func (s *Store) LastRetentionRun() (*RetentionRun, error) {
	var rows []struct {
		Day        time.Time
		StartedAt  time.Time
		FinishedAt *time.Time
		Counts     string
	}
	if err := s.db.Raw(`SELECT day, started_at, finished_at, counts::text AS counts FROM audit.retention_runs
		ORDER BY day DESC LIMIT 1`).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: last retention run: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	run := &RetentionRun{Day: rows[0].Day, StartedAt: rows[0].StartedAt, FinishedAt: rows[0].FinishedAt}
	if err := json.Unmarshal([]byte(rows[0].Counts), &run.Report); err != nil {
		return nil, fmt.Errorf("models: last retention run: %w", err)
	}
	return run, nil
}
