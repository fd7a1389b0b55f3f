package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// exportAs exports id as the dpo's user under role and app role.
func exportAs(w *world, role models.DBRole, appRole models.Role, id string) (*models.Export, error) {
	var u *models.User
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) (err error) {
		u, err = st.UserByEmail("datenschutz@es.kurve.example")
		return err
	})
	if err != nil {
		return nil, err
	}
	var e *models.Export
	err = models.InTx(context.Background(), w.db.Gorm, role, models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: appRole},
		func(st *models.Store) (err error) {
			st.UseCipher(w.cipher)
			e, err = st.ExportParticipant(id)
			return err
		})
	return e, err
}

// TestExportParticipant: the dpo's export holds the child's data and its
// family's, decrypted as stored; a group session's notes and place are
// withheld and listed, another case's visit is not in it; an erased or
// unknown participant has no export.
func TestExportParticipant(t *testing.T) {
	w := newWorld(t)
	w.catalogue()
	r := w.refer("Exportkind")
	var p *models.Participant
	w.must("coord", func(st *models.Store) (err error) {
		p, _, err = st.AcceptReferral(r.ID, models.AcceptInput{}, today)
		return err
	})
	w.confirmCarried(p, "father", false)
	w.assign(p, "sw", models.AssignSocialWorker, today.AddDate(0, -1, 0), nil)
	var guardian *models.Guardian
	var withdrawn *models.Consent
	w.must("sw", func(st *models.Store) (err error) {
		guardian, err = st.AddGuardian(p.ID, models.GuardianInput{FirstName: "Mutter", LastName: "Exportkind", Phone: "0201 4711",
			Relationship: "mother", HasCustody: true})
		if err != nil {
			return err
		}
		purposes := []models.Purpose{models.PurposeParticipation, models.PurposeDataProcessing}
		if _, err := st.RecordConsent(p.ID, models.ConsentInput{GuardianID: guardian.ID, Purposes: purposes, FormVersion: "1", FormLanguage: "de",
			GivenOn: ptr(today.AddDate(0, 0, -20))}, today); err != nil {
			return err
		}
		withdrawn, err = st.RecordConsent(p.ID, models.ConsentInput{GuardianID: guardian.ID, Purposes: []models.Purpose{models.PurposeSchoolExchange},
			FormVersion: "1", FormLanguage: "de", GivenOn: ptr(today.AddDate(0, 0, -20))}, today)
		if err != nil {
			return err
		}
		if _, err := st.WithdrawConsent(withdrawn.ID, today, today); err != nil {
			return err
		}
		for _, to := range []models.Status{models.StatusContacted, models.StatusConsentPending, models.StatusActive} {
			cur, err := st.ParticipantByID(p.ID)
			if err != nil {
				return err
			}
			if _, err := st.ChangeStatus(p.ID, cur.Version, to, "", today.AddDate(0, 0, -10)); err != nil {
				return err
			}
		}
		return nil
	})
	other := w.activeCase("Andere", time.Date(2013, 3, 3, 0, 0, 0, 0, time.UTC))

	at := today.Add(15 * time.Hour)
	base := models.SessionInput{MeasureCode: "social_skills", ModuleCode: "conflict", StartedAt: at, DurationMinutes: 90}
	solo, group := base, base
	solo.Location, solo.Notes = "Büro Kurve", "Einzelgespräch war offen"
	solo.ParticipantIDs = []string{p.ID}
	solo.Attendance = map[string]models.Attendance{p.ID: models.Attended}
	group.StartedAt = at.Add(3 * time.Hour)
	group.Location, group.Notes = "Jugendzentrum", "Andere hat viel erzählt"
	group.ParticipantIDs = []string{p.ID, other.ID}
	group.Attendance = map[string]models.Attendance{p.ID: models.Excused, other.ID: models.Attended}
	var soloS, groupS *models.CaseSession
	var goal *models.Goal
	var visit *models.Visit
	mustSW := func(fn func(st *models.Store) error) {
		t.Helper()
		if err := w.as("sw", fn); err != nil {
			var ve *models.ValidationError
			if errors.As(err, &ve) {
				t.Fatalf("%+v", ve.Fields)
			}
			t.Fatal(err)
		}
	}
	mustSW(func(st *models.Store) (err error) {
		if soloS, err = st.CreateSession(solo, today); err != nil {
			return err
		}
		if groupS, err = st.CreateSession(group, today); err != nil {
			return err
		}
		if goal, err = st.CreateGoal(p.ID, "Schule regelmäßig besuchen", nil, today); err != nil {
			return err
		}
		if _, err = st.RecordReview(p.ID, today, "Ziel fast erreicht", today); err != nil {
			return err
		}
		start := time.Date(2026, 12, 2, 10, 0, 0, 0, models.ProgramZone)
		if visit, err = st.CreateVisit(models.VisitInput{ParticipantID: p.ID, StartsAt: start, EndsAt: start.Add(time.Hour), Purpose: "follow_up", SocialWorkerID: w.users["sw"].ID}, today); err != nil {
			return err
		}
		_, err = st.CreateVisit(models.VisitInput{ParticipantID: other.ID, StartsAt: start.Add(2 * time.Hour), EndsAt: start.Add(3 * time.Hour), Purpose: "follow_up", SocialWorkerID: w.users["sw"].ID}, today)
		return err
	})
	// Assessments (issue 17): the child's, with a sealed comment, and the
	// other child's, which stays out.
	w.instrument("coord")
	scores := w.scoresOf("sw", ptr(2.0))
	scores["substance_use"] = nil
	mustSW(func(st *models.Store) error {
		if _, _, err := st.RecordAssessment(p.ID, models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores,
			Comment: "Ersteinschätzung mit der Mutter"}, today); err != nil {
			return err
		}
		_, _, err := st.RecordAssessment(other.ID, models.AssessmentInput{Occasion: models.OccasionIntake, Scores: scores,
			Comment: "Andere Einschätzung"}, today)
		return err
	})
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO audit.events (actor_role, action, object_type, object_id, details)
		VALUES ('social_worker', 'participant.read', 'participant', ?, '{"test": 1}'), ('social_worker', 'participant.read', 'participant', ?, '{}')`,
		p.ID, other.ID)

	e, err := exportAs(w, models.DBDPO, models.RoleDPO, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	ep := e.Participant
	if ep.ID != p.ID || ep.CaseNumber != p.CaseNumber || ep.FirstName != "Exportkind" || ep.LastName != "Meldung" ||
		ep.DateOfBirth != "2014-05-05" || ep.Status != string(models.StatusActive) {
		t.Errorf("participant %+v", ep)
	}
	if e.Family == nil || e.Family.ID != p.FamilyID {
		t.Errorf("family %+v", e.Family)
	}
	// The father the referral named (custody confirmed as none), and the
	// mother.
	if len(e.Guardians) != 2 || e.Guardians[0].FirstName != "Vater" || e.Guardians[0].HasCustody ||
		e.Guardians[1].FirstName != "Mutter" || e.Guardians[1].Phone != "0201 4711" ||
		e.Guardians[1].Relationship != "mother" || !e.Guardians[1].HasCustody {
		t.Errorf("guardians %+v", e.Guardians)
	}
	foundWithdrawal := false
	for _, c := range e.Consents {
		if c.ID != withdrawn.ID {
			continue
		}
		for _, ev := range c.Events {
			foundWithdrawal = foundWithdrawal || ev.State == "withdrawn"
		}
		if c.State != "withdrawn" || c.WithdrawnOn == nil {
			t.Errorf("withdrawn consent %+v", c)
		}
	}
	if len(e.Consents) != 2 || !foundWithdrawal {
		t.Errorf("consents %+v", e.Consents)
	}
	if len(e.Assignments) != 1 || e.Assignments[0].UserID != w.users["sw"].ID || e.Assignments[0].UserName == "" {
		t.Errorf("assignments %+v", e.Assignments)
	}
	sessions := map[string]models.ExportSession{}
	for _, s := range e.Sessions {
		sessions[s.ID] = s
	}
	if s := sessions[soloS.ID]; s.Group || s.Notes != "Einzelgespräch war offen" || s.Location != "Büro Kurve" || s.Attendance == nil || *s.Attendance != "attended" {
		t.Errorf("solo session %+v", s)
	}
	if s := sessions[groupS.ID]; !s.Group || s.Notes != "" || s.Location != "" || s.Attendance == nil || *s.Attendance != "excused" || s.Measure != "social_skills" {
		t.Errorf("group session %+v", s)
	}
	if len(e.Sessions) != 2 {
		t.Errorf("sessions %+v", e.Sessions)
	}
	if len(e.Withheld) != 1 || e.Withheld[0].SessionID != groupS.ID || e.Withheld[0].Reason != "group session" {
		t.Errorf("withheld %+v", e.Withheld)
	}
	if len(e.Goals) != 1 || e.Goals[0].ID != goal.ID || e.Goals[0].Title != "Schule regelmäßig besuchen" {
		t.Errorf("goals %+v", e.Goals)
	}
	if len(e.Reviews) != 1 || e.Reviews[0].Notes != "Ziel fast erreicht" {
		t.Errorf("reviews %+v", e.Reviews)
	}
	if len(e.Assessments) != 1 || e.Assessments[0].Comment != "Ersteinschätzung mit der Mutter" || e.Assessments[0].Occasion != "intake" ||
		len(e.Assessments[0].Scores) != 10 || e.Assessments[0].Scores[0].Item != "aggression" || e.Assessments[0].Scores[0].Score == nil ||
		*e.Assessments[0].Scores[0].Score != 2 {
		t.Errorf("assessments (another case's?) %+v", e.Assessments)
	}
	if len(e.Visits) != 1 || e.Visits[0].ID != visit.ID {
		t.Errorf("visits (another case's?) %+v", e.Visits)
	}
	if len(e.StatusChanges) < 3 {
		t.Errorf("status changes %+v", e.StatusChanges)
	}
	if rf := e.Referral; rf == nil || rf.ID != r.ID || rf.FirstName != "Exportkind" || rf.DateOfBirth != "2014-05-05" ||
		rf.GuardianName != "Vater Exportkind" || rf.GuardianPhone != "0201 999" || rf.ReasonCategory != "property" {
		t.Errorf("referral %+v", e.Referral)
	}
	if len(e.Audit) == 0 {
		t.Error("no audit entries")
	}
	for _, a := range e.Audit {
		if string(a.Details) == `{}` && a.ActorRole == "social_worker" {
			t.Errorf("another case's audit entry %+v", a)
		}
	}
	// What the police keep and what is about the other child stays out.
	doc := dumpExport(t, e)
	for _, leak := range []string{"Polizeiliche", "Kommissarin", "PP-ES-2026", "PI Test", "Andere hat viel", "Jugendzentrum", "Andere Einschätzung", "_enc"} {
		if strings.Contains(doc, leak) {
			t.Errorf("the export holds %q", leak)
		}
	}

	// Unknown, malformed and erased participants have no export.
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "kein-uuid"} {
		if _, err := exportAs(w, models.DBDPO, models.RoleDPO, id); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("export of %s: %v", id, err)
		}
	}
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.participants SET status = 'declined' WHERE id = ?", p.ID)
	if _, err := eraseAs(w, models.DBDPO, models.RoleDPO, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := exportAs(w, models.DBDPO, models.RoleDPO, p.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("export of an erased participant: %v", err)
	}
}

// TestExportRoles: only kurve_dpo may execute the export function, and only
// for the app role dpo (that kurve_dpo still reads no case table itself is
// TestWallSelect's).
func TestExportRoles(t *testing.T) {
	w := newWorld(t)
	p := w.newParticipant("coord", "Rolle", time.Date(2014, 2, 1, 0, 0, 0, 0, time.UTC))
	if _, err := exportAs(w, models.DBDPO, models.RoleDPO, p.ID); err != nil {
		t.Fatalf("the dpo's export: %v", err)
	}
	for _, role := range models.DBRoles {
		if role == models.DBDPO {
			continue
		}
		if _, err := exportAs(w, role, models.RoleDPO, p.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("%s executes the export: %v", role, err)
		}
	}
	for _, app := range models.Roles {
		if app == models.RoleDPO {
			continue
		}
		if _, err := exportAs(w, models.DBDPO, app, p.ID); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("kurve_dpo as %s exports: %v", app, err)
		}
	}
	var grantees []string
	if err := w.db.Gorm.Raw(`SELECT r.rolname FROM pg_roles r WHERE r.rolname LIKE 'kurve\_%' AND NOT r.rolsuper
		AND has_function_privilege(r.oid, 'prevention.export_participant(uuid)', 'EXECUTE') ORDER BY 1`).Scan(&grantees).Error; err != nil {
		t.Fatal(err)
	}
	if strings.Join(grantees, ",") != "kurve_dpo" {
		t.Errorf("roles that may execute the export: %v", grantees)
	}
}

func dumpExport(t *testing.T, e *models.Export) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
