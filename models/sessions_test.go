package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// activeCase makes an active participant assigned to "sw" with full consent.
func (w *world) activeCase(first string, dob time.Time) *models.Participant {
	w.t.Helper()
	return w.activeCaseOf("sw", first, dob)
}

// activeCaseOf makes an active participant assigned to the social worker
// sw, with full consent.
func (w *world) activeCaseOf(sw, first string, dob time.Time) *models.Participant {
	w.t.Helper()
	p := w.newParticipant("coord", first, dob)
	w.assign(p, sw, models.AssignSocialWorker, today.AddDate(0, -1, 0), nil)
	w.must(sw, func(st *models.Store) error {
		g, err := st.AddGuardian(p.ID, models.GuardianInput{FirstName: "E", LastName: first, Relationship: "mother", HasCustody: true})
		if err != nil {
			return err
		}
		purposes := []models.Purpose{models.PurposeParticipation, models.PurposeDataProcessing}
		if _, err := st.RecordConsent(p.ID, models.ConsentInput{GuardianID: g.ID, Purposes: purposes, FormVersion: "1", FormLanguage: "de",
			GivenOn: ptr(today.AddDate(0, 0, -20))}, today); err != nil {
			return err
		}
		if models.AgeOn(dob, today) >= models.AssentAge {
			if _, err := st.RecordConsent(p.ID, models.ConsentInput{Purposes: purposes, FormVersion: "1", FormLanguage: "de",
				GivenOn: ptr(today.AddDate(0, 0, -20))}, today); err != nil {
				return err
			}
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
	var cur *models.Participant
	w.must(sw, func(st *models.Store) (err error) { cur, err = st.ParticipantByID(p.ID); return err })
	return cur
}

func (w *world) catalogue() {
	w.t.Helper()
	w.must("coord", func(st *models.Store) error {
		if _, err := st.SaveMeasure(models.MeasureInput{Code: "social_skills", Labels: models.Labels{"Soziales Kompetenztraining", "Social skills training", "Sosyal beceri eğitimi", "تدريب المهارات الاجتماعية"},
			GroupFormat: true, Active: true}); err != nil {
			return err
		}
		return st.SaveModule("social_skills", models.MeasureInput{Code: "conflict", Labels: models.Labels{"Konflikte lösen", "Resolving conflicts", "Çatışma çözme", "حل النزاعات"}, Active: true})
	})
}

func TestGroupSessionAttendanceAndConsentGate(t *testing.T) {
	w := newWorld(t)
	w.catalogue()
	a := w.activeCase("Amir", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	b := w.activeCase("Bela", time.Date(2013, 1, 1, 0, 0, 0, 0, time.UTC))
	pending := w.newParticipant("coord", "Cem", time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC))
	w.assign(pending, "sw", models.AssignSocialWorker, today, nil)
	at := today.Add(15 * time.Hour)
	base := models.SessionInput{MeasureCode: "social_skills", ModuleCode: "conflict", StartedAt: at, DurationMinutes: 90,
		Location: "Jugendzentrum Test", Notes: "Gruppe arbeitete gut mit"}

	// Not active: the whole session is refused and nothing is stored.
	refused := base
	refused.ParticipantIDs = []string{a.ID, pending.ID}
	refused.Attendance = map[string]models.Attendance{a.ID: models.Attended, pending.ID: models.Attended}
	err := w.as("sw", func(st *models.Store) error { _, err := st.CreateSession(refused, today); return err })
	var ve *models.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Fields[0].MessageID, "session_not_active") {
		t.Fatalf("session with a non-active child: %v", err)
	}
	// Active, but the consent has expired by the session's day: refused.
	c := w.activeCase("Cora", time.Date(2014, 6, 1, 0, 0, 0, 0, time.UTC))
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.consents SET expires_on = ? WHERE participant_id = ?", today, c.ID)
	expired := base
	expired.ParticipantIDs = []string{c.ID}
	expired.Attendance = map[string]models.Attendance{c.ID: models.Attended}
	err = w.as("sw", func(st *models.Store) error { _, err := st.CreateSession(expired, today); return err })
	if !errors.As(err, &ve) || ve.Fields[0].MessageID != "validation.session_no_consent" {
		t.Fatalf("session without valid consent: %v", err)
	}
	group := base
	group.ParticipantIDs = []string{a.ID, b.ID}
	group.Attendance = map[string]models.Attendance{a.ID: models.Attended, b.ID: models.Excused}
	var s *models.CaseSession
	w.must("sw", func(st *models.Store) (err error) { s, err = st.CreateSession(group, today); return err })
	if len(s.Participants) != 2 || s.Notes != "Gruppe arbeitete gut mit" || s.Location != "Jugendzentrum Test" {
		t.Fatalf("group session %+v", s)
	}
	got := map[string]models.Attendance{}
	for _, p := range s.Participants {
		got[p.ParticipantID] = p.Attendance
	}
	if got[a.ID] != models.Attended || got[b.ID] != models.Excused {
		t.Errorf("attendance per participant %v", got)
	}
	// Attendance must be given for every child of a held session.
	missing := group
	missing.Attendance = map[string]models.Attendance{a.ID: models.Attended}
	if err := w.as("sw", func(st *models.Store) error { _, err := st.CreateSession(missing, today); return err }); !errors.As(err, &ve) {
		t.Errorf("attendance missing for one child: %v", err)
	}
	// Editing keeps a version; a stale edit changes nothing.
	w.must("sw", func(st *models.Store) error {
		_, err := st.UpdateSession(s.ID, s.Version, models.SessionPatch{Attendance: map[string]models.Attendance{b.ID: models.Absent}})
		return err
	})
	err = w.as("sw", func(st *models.Store) error {
		_, err := st.UpdateSession(s.ID, s.Version, models.SessionPatch{Notes: ptr("stale")})
		return err
	})
	if !errors.Is(err, models.ErrConflict) {
		t.Errorf("stale session edit: %v", err)
	}
	// Sessions of a participant; a planned session is taken away on withdrawal.
	planned := base
	planned.ParticipantIDs, planned.Planned, planned.StartedAt = []string{b.ID}, true, today.AddDate(0, 0, 3)
	var p *models.CaseSession
	w.must("sw", func(st *models.Store) (err error) { p, err = st.CreateSession(planned, today); return err })
	w.must("sw", func(st *models.Store) error {
		cs, err := st.ConsentsOf(b.ID)
		if err != nil {
			return err
		}
		if _, err := st.WithdrawConsent(cs[len(cs)-1].ID, today, today); err != nil {
			return err
		}
		after, err := st.SessionByID(p.ID)
		if err == nil && (after.Status != models.SessionCancelled) {
			t.Errorf("planned session after withdrawal: %s", after.Status)
		}
		if errors.Is(err, models.ErrNotFound) {
			return nil // taken away entirely is fine as well
		}
		return err
	})
	w.must("sw", func(st *models.Store) error {
		ss, err := st.SessionsOf(a.ID)
		if len(ss) != 1 {
			t.Errorf("sessions of A: %d", len(ss))
		}
		return err
	})
	// Mediators' database role reads no session at all.
	if err := w.as("med", func(st *models.Store) error { _, err := st.SessionByID(s.ID); return err }); !models.IsPermissionDenied(err) {
		t.Errorf("mediator reads a session: %v", err)
	}
}

func TestClosingInterview(t *testing.T) {
	w := newWorld(t)
	p := w.activeCase("Dana", time.Date(2013, 4, 4, 0, 0, 0, 0, time.UTC))
	var g1, g2 *models.Goal
	w.must("sw", func(st *models.Store) (err error) {
		if g1, err = st.CreateGoal(p.ID, "Konflikte ohne Gewalt lösen", ptr(today.AddDate(0, 6, 0)), today); err != nil {
			return err
		}
		g2, err = st.CreateGoal(p.ID, "Regelmäßig zur Schule", nil, today)
		return err
	})
	w.must("sw", func(st *models.Store) error {
		_, err := st.UpdateGoal(g1.ID, g1.Version, models.GoalPatch{Progress: ptr("in_progress")}, today)
		return err
	})
	// Every goal needs an outcome.
	in := models.ClosingInput{EndedOn: today, Handover: "school", Assessment: "Gute Entwicklung", Completed: true,
		Outcomes: map[string]string{g1.ID: "achieved"}}
	err := w.as("sw", func(st *models.Store) error { _, err := st.CloseCase(p.ID, p.Version, in, today); return err })
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("closing without all outcomes: %v", err)
	}
	in.Outcomes[g2.ID] = "partly_achieved"
	w.must("sw", func(st *models.Store) error {
		closed, err := st.CloseCase(p.ID, p.Version, in, today)
		if err != nil {
			return err
		}
		if closed.Status != models.StatusCompleted {
			t.Errorf("status after closing %s", closed.Status)
		}
		c, err := st.ClosingOf(p.ID)
		if err != nil || c.Handover != "school" || c.Assessment != "Gute Entwicklung" {
			t.Errorf("closing %+v %v", c, err)
		}
		gs, _ := st.GoalsOf(p.ID)
		for _, g := range gs {
			if g.Outcome == "" {
				t.Errorf("goal without outcome %+v", g)
			}
		}
		return nil
	})
	// Ending early needs a reason.
	q := w.activeCase("Ela", time.Date(2013, 4, 4, 0, 0, 0, 0, time.UTC))
	early := models.ClosingInput{EndedOn: today, Handover: "youth_office"}
	if err := w.as("sw", func(st *models.Store) error { _, err := st.CloseCase(q.ID, q.Version, early, today); return err }); !errors.As(err, &ve) {
		t.Errorf("early end without reason: %v", err)
	}
	early.EndReason = "moved"
	w.must("sw", func(st *models.Store) error {
		closed, err := st.CloseCase(q.ID, q.Version, early, today)
		if err == nil && closed.Status != models.StatusEndedEarly {
			t.Errorf("status %s", closed.Status)
		}
		return err
	})
}

func TestReviewsAndExtensions(t *testing.T) {
	w := newWorld(t)
	p := w.activeCase("Filiz", time.Date(2013, 4, 4, 0, 0, 0, 0, time.UTC))
	w.must("sw", func(st *models.Store) error {
		tm, err := st.TimingOf(p, today)
		if err != nil {
			return err
		}
		if tm.ReviewDue == nil || !tm.ReviewDue.Equal(p.ActivatedOn.AddDate(0, 0, 56)) {
			t.Errorf("review due %v", tm.ReviewDue)
		}
		if _, err := st.RecordReview(p.ID, today, "Fallbesprechung: Ziele angepasst", today); err != nil {
			return err
		}
		tm, _ = st.TimingOf(p, today)
		if !tm.ReviewDue.Equal(today.AddDate(0, 0, 56)) {
			t.Errorf("review due after review %v", tm.ReviewDue)
		}
		if _, err := st.ExtendProgram(p.ID, ""); err == nil {
			t.Error("extension without reason")
		}
		return nil
	})
	w.must("sw", func(st *models.Store) error {
		tm, err := st.ExtendProgram(p.ID, "Schulwechsel abwarten")
		if err == nil && (tm.Extensions != 1 || !tm.ProgramEnd.Equal(p.ActivatedOn.AddDate(0, 18, -1))) {
			t.Errorf("after extension %+v", tm)
		}
		return err
	})
}
