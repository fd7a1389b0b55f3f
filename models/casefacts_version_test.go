package models_test

import (
	"fmt"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestCaseFactsVersion (migration 00032): every statement that changes
// what CaseFacts reads raises the version of the case's site, in its own
// transaction, and no other site's; a user reads the version of their
// own site only. The start pages' cache (app/dashcache.go) is only as
// current as this.
func TestCaseFactsVersion(t *testing.T) {
	w := newWorld(t)
	w.instrument("coord")
	version := func(user string) int64 {
		t.Helper()
		var v int64
		w.must(user, func(st *models.Store) (err error) { v, err = st.CaseFactsVersion(); return err })
		return v
	}
	es, du := version("coord"), version("coordDU")
	if sw := version("sw"); sw != es {
		t.Errorf("a social worker reads version %d of the site, the coordinator %d", sw, es)
	}
	// raised asserts that step raised the version of ES by at least one
	// and left DU's alone.
	raised := func(what string, step func()) {
		t.Helper()
		step()
		if v := version("coord"); v <= es {
			t.Errorf("%s: the site's version stayed at %d", what, v)
		} else {
			es = v
		}
		if v := version("coordDU"); v != du {
			t.Errorf("%s: another site's version moved from %d to %d", what, du, v)
			du = v
		}
	}

	var p *models.Participant
	raised("a new case", func() { p = w.newParticipant("coord", "Version", time.Date(2013, 3, 3, 0, 0, 0, 0, time.UTC)) })
	raised("an assignment", func() { w.assign(p, "sw", models.AssignSocialWorker, today.AddDate(0, -1, 0), nil) })
	var guardian string
	raised("a guardian link", func() {
		w.must("sw", func(st *models.Store) error {
			g, err := st.AddGuardian(p.ID, models.GuardianInput{FirstName: "E", LastName: "Version", Relationship: "mother", HasCustody: true})
			guardian = g.ID
			return err
		})
	})
	raised("a consent", func() {
		w.must("sw", func(st *models.Store) error {
			_, err := st.RecordConsent(p.ID, models.ConsentInput{GuardianID: guardian, Purposes: []models.Purpose{models.PurposeParticipation,
				models.PurposeDataProcessing}, FormVersion: "1", FormLanguage: "de", GivenOn: ptr(today.AddDate(0, 0, -5))}, today)
			return err
		})
	})
	raised("a status change", func() {
		w.must("sw", func(st *models.Store) error {
			for _, to := range []models.Status{models.StatusContacted, models.StatusConsentPending, models.StatusActive} {
				cur, err := st.ParticipantByID(p.ID)
				if err != nil {
					return err
				}
				if _, err := st.ChangeStatus(p.ID, cur.Version, to, "", today.AddDate(0, 0, -3)); err != nil {
					return err
				}
			}
			return nil
		})
	})
	raised("a review", func() {
		w.must("sw", func(st *models.Store) error { _, err := st.RecordReview(p.ID, today, "", today); return err })
	})
	raised("an extension", func() {
		w.must("coord", func(st *models.Store) error { _, err := st.ExtendProgram(p.ID, "Verlängerung"); return err })
	})
	raised("an assessment", func() { w.assess("sw", p.ID, models.OccasionIntake) })

	// Every table, every kind of statement, whoever writes (here the
	// owner, as a job or a migration would).
	for _, table := range []string{"participant_guardians", "consents", "assignments", "reviews", "extensions", "assessments"} {
		raised("an update of "+table, func() {
			dbtest.Exec(t, w.db.Gorm, fmt.Sprintf("UPDATE prevention.%s SET participant_id = participant_id WHERE participant_id = ?", table), p.ID)
		})
	}
	raised("an update of the case", func() {
		dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.participants SET version = version WHERE id = ?", p.ID)
	})
	for _, table := range []string{"assessments", "extensions", "reviews", "consents", "participant_guardians", "assignments"} {
		raised("a delete from "+table, func() {
			dbtest.Exec(t, w.db.Gorm, fmt.Sprintf("DELETE FROM prevention.%s WHERE participant_id = ?", table), p.ID)
		})
	}
	// A case that moves raises both sites.
	before := du
	raised("a case moved to another site", func() {
		dbtest.Exec(t, w.db.Gorm, moveCase, w.users["coordDU"].SiteID, p.ID, w.users["coordDU"].SiteID, p.ID)
		du = version("coordDU")
	})
	if du <= before {
		t.Errorf("the site a case moved to kept version %d", du)
	}
	raised("a case moved back", func() {
		dbtest.Exec(t, w.db.Gorm, moveCase, w.users["coord"].SiteID, p.ID, w.users["coord"].SiteID, p.ID)
		du = version("coordDU")
	})
	raised("a case deleted", func() { dbtest.Exec(t, w.db.Gorm, "DELETE FROM prevention.participants WHERE id = ?", p.ID) })

	// The version is raised in the writing transaction: not seen before it
	// commits, and not at all when it rolls back.
	q := w.newParticipant("coord", "Rollback", time.Date(2013, 3, 3, 0, 0, 0, 0, time.UTC))
	es = version("coord")
	err := w.as("coord", func(st *models.Store) error {
		if _, err := st.ChangeStatus(q.ID, q.Version, models.StatusContacted, "", today); err != nil {
			return err
		}
		var seen int64
		if err := w.as("coord", func(other *models.Store) (err error) { seen, err = other.CaseFactsVersion(); return err }); err != nil {
			return err
		}
		if seen != es {
			t.Errorf("another transaction saw version %d before the commit (was %d)", seen, es)
		}
		return errRollbackTest
	})
	if err != errRollbackTest {
		t.Fatal(err)
	}
	if v := version("coord"); v != es {
		t.Errorf("a rolled back change left version %d (was %d)", v, es)
	}
}

var errRollbackTest = fmt.Errorf("roll back")

// moveCase moves a case and its family to another site in one statement
// (the family's foreign key holds the site).
const moveCase = `WITH f AS (UPDATE prevention.families SET site_id = ? WHERE id = (SELECT family_id FROM prevention.participants WHERE id = ?))
	UPDATE prevention.participants SET site_id = ? WHERE id = ?`
