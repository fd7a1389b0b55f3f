package models_test

import (
	"errors"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestVisitOverlap: interval cases of double booking, refused by the
// database: touching intervals are free, cancelled visits are free time,
// done visits still block, a moved visit does not clash with itself, and
// the earliest overlapping visit is named.
func TestVisitOverlap(t *testing.T) {
	w := newWorld(t)
	a := w.activeCase("Overlap", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	w.assign(a, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	day := today.AddDate(0, 0, -3) // past, so that a visit may be done
	at := func(hhmm string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", day.Format(time.DateOnly)+" "+hhmm, models.ProgramZone)
		if err != nil {
			panic(err)
		}
		return t
	}
	plan := func(st *models.Store, from, to string) (*models.Visit, error) {
		return st.CreateVisit(models.VisitInput{ParticipantID: a.ID, StartsAt: at(from), EndsAt: at(to), Purpose: "follow_up"}, today)
	}
	booked := map[string]*models.Visit{}
	w.must("med", func(st *models.Store) error {
		for name, iv := range map[string][2]string{"a": {"09:00", "10:00"}, "b": {"13:00", "14:00"}, "c": {"15:00", "16:00"}} {
			v, err := plan(st, iv[0], iv[1])
			if err != nil {
				return err
			}
			booked[name] = v
		}
		if _, err := st.UpdateVisit(booked["b"].ID, 1, models.VisitPatch{Status: ptr(models.VisitCancelled)}, today); err != nil {
			return err
		}
		_, err := st.UpdateVisit(booked["c"].ID, 1, models.VisitPatch{Status: ptr(models.VisitDone)}, today)
		return err
	})
	cases := []struct {
		name       string
		move       string
		start, end string
		want       string
	}{
		{"before, touching the start", "", "08:00", "09:00", ""},
		{"after, touching the end", "", "10:00", "11:00", ""},
		{"overlapping the start", "", "08:30", "09:30", "a"},
		{"overlapping the end", "", "09:30", "10:30", "a"},
		{"inside", "", "09:15", "09:45", "a"},
		{"around", "", "08:00", "11:00", "a"},
		{"identical", "", "09:00", "10:00", "a"},
		{"one minute overlap", "", "09:59", "10:30", "a"},
		{"cancelled visit is free time", "", "13:00", "14:00", ""},
		{"done visit still blocks", "", "15:30", "16:30", "c"},
		{"moving a visit does not clash with itself", "a", "09:30", "10:30", ""},
		{"moving a visit onto another", "a", "15:30", "16:30", "c"},
		{"spanning two: the earliest is named", "", "09:30", "15:30", "a"},
		{"in a gap", "", "11:00", "12:00", ""},
	}
	errRollback := errors.New("rollback")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := w.as("med", func(st *models.Store) error {
				var err error
				if tc.move != "" {
					s, e := at(tc.start), at(tc.end)
					_, err = st.UpdateVisit(booked[tc.move].ID, 1, models.VisitPatch{StartsAt: &s, EndsAt: &e}, today)
				} else {
					_, err = plan(st, tc.start, tc.end)
				}
				if err == nil {
					return errRollback // each case on the same bookings
				}
				return err
			})
			var ce *models.ConflictError
			switch {
			case tc.want == "" && !errors.Is(err, errRollback):
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!errors.As(err, &ce) || !ce.Slot.Start.Equal(booked[tc.want].StartsAt) || ce.Slot.CaseNumber != a.CaseNumber):
				t.Fatalf("got %v, want a conflict with %s", err, tc.want)
			}
		})
	}
}

func TestVisits(t *testing.T) {
	w := newWorld(t)
	a := w.activeCase("Gül", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	b := w.activeCase("Hakan", time.Date(2014, 3, 3, 0, 0, 0, 0, time.UTC))
	for _, p := range []*models.Participant{a, b} {
		w.assign(p, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	}
	fresh := w.newParticipant("coord", "Ilyas", time.Date(2014, 4, 4, 0, 0, 0, 0, time.UTC))
	w.assign(fresh, "med", models.AssignMediator, today, nil)
	day := today.AddDate(0, 0, 3)
	slot := func(h int) (time.Time, time.Time) {
		s := day.Add(time.Duration(h) * time.Hour)
		return s, s.Add(time.Hour)
	}
	s1, e1 := slot(10)
	var v1 *models.Visit
	w.must("med", func(st *models.Store) (err error) {
		v1, err = st.CreateVisit(models.VisitInput{ParticipantID: a.ID, StartsAt: s1, EndsAt: e1, Purpose: "follow_up"}, today)
		return err
	})
	if v1.MediatorID != w.users["med"].ID || v1.Status != models.VisitPlanned {
		t.Fatalf("visit %+v", v1)
	}
	// The mediator is booked: 409 naming time and case number only.
	err := w.as("med", func(st *models.Store) error {
		_, err := st.CreateVisit(models.VisitInput{ParticipantID: b.ID, StartsAt: s1.Add(30 * time.Minute), EndsAt: e1.Add(30 * time.Minute), Purpose: "follow_up"}, today)
		return err
	})
	var ce *models.ConflictError
	if !errors.As(err, &ce) || ce.Slot.CaseNumber != a.CaseNumber || !ce.Slot.Start.Equal(s1) || !errors.Is(err, models.ErrConflict) {
		t.Fatalf("double booking: %v", err)
	}
	// Touching is fine.
	w.must("sw", func(st *models.Store) error {
		_, err := st.CreateVisit(models.VisitInput{ParticipantID: b.ID, StartsAt: e1, EndsAt: e1.Add(time.Hour), Purpose: "family_conversation",
			MediatorID: w.users["med"].ID, SocialWorkerID: w.users["sw"].ID}, today)
		return err
	})
	// The social worker is booked too: another visit of theirs in that
	// hour, with another mediator, is refused naming the social worker.
	err = w.as("sw", func(st *models.Store) error {
		_, err := st.CreateVisit(models.VisitInput{ParticipantID: a.ID, StartsAt: e1.Add(30 * time.Minute), EndsAt: e1.Add(90 * time.Minute),
			Purpose: "family_conversation", MediatorID: w.users["med2"].ID, SocialWorkerID: w.users["sw"].ID}, today)
		return err
	})
	if !errors.As(err, &ce) || ce.Person != "social_worker" || ce.Slot.CaseNumber != b.CaseNumber {
		t.Fatalf("social worker double-booked: %v", err)
	}
	// Without valid consent: 422, except for the visits that obtain it.
	err = w.as("med", func(st *models.Store) error {
		s, e := slot(15)
		_, err := st.CreateVisit(models.VisitInput{ParticipantID: fresh.ID, StartsAt: s, EndsAt: e, Purpose: "follow_up"}, today)
		return err
	})
	var ve *models.ValidationError
	if !errors.As(err, &ve) || ve.Fields[0].MessageID != "validation.visit_no_consent" {
		t.Fatalf("visit without consent: %v", err)
	}
	w.must("med", func(st *models.Store) error {
		s, e := slot(15)
		_, err := st.CreateVisit(models.VisitInput{ParticipantID: fresh.ID, StartsAt: s, EndsAt: e, Purpose: "consent_talk"}, today)
		return err
	})
	// Mediators move and close visits but never read or write notes.
	w.must("med", func(st *models.Store) error {
		s, e := slot(8)
		moved, err := st.UpdateVisit(v1.ID, v1.Version, models.VisitPatch{StartsAt: &s, EndsAt: &e}, today)
		if err == nil && !moved.StartsAt.Equal(s) {
			t.Errorf("moved %+v", moved)
		}
		return err
	})
	if err := w.as("med", func(st *models.Store) error {
		cur, _ := st.VisitByID(v1.ID)
		_, err := st.UpdateVisit(v1.ID, cur.Version, models.VisitPatch{OutcomeNote: ptr("x")}, today)
		return err
	}); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("mediator wrote an outcome note: %v", err)
	}
	if err := asRole(w.db.Gorm, models.DBMediation, models.Actor{}, "SELECT outcome_note_enc FROM prevention.visits"); !models.IsPermissionDenied(err) {
		t.Errorf("mediation role reads outcome notes: %v", err)
	}
	// A visit is recorded as done or "nobody home" only once it has begun;
	// before, it can only be moved or cancelled.
	var cur *models.Visit
	w.must("sw", func(st *models.Store) (err error) {
		cur, err = st.VisitByID(v1.ID)
		return err
	})
	for _, status := range []string{models.VisitDone, models.VisitNobodyHome} {
		err := w.as("med", func(st *models.Store) error {
			_, err := st.UpdateVisit(v1.ID, cur.Version, models.VisitPatch{Status: &status}, cur.StartsAt.Add(-time.Minute))
			return err
		})
		if !errors.As(err, &ve) || ve.Fields[0].MessageID != "validation.visit_not_begun" {
			t.Errorf("%s a minute before the visit: %v", status, err)
		}
	}
	w.must("sw", func(st *models.Store) error {
		_, err := st.UpdateVisit(v1.ID, cur.Version, models.VisitPatch{Status: ptr(models.VisitDone), OutcomeNote: ptr("Familie angetroffen")}, cur.StartsAt)
		return err
	})
	// A stale version changes nothing.
	if err := w.as("med", func(st *models.Store) error {
		_, err := st.UpdateVisit(v1.ID, v1.Version, models.VisitPatch{Status: ptr(models.VisitNobodyHome)}, today)
		return err
	}); !errors.Is(err, models.ErrConflict) {
		t.Errorf("stale visit update: %v", err)
	}
	// Withdrawal cancels planned visits.
	w.must("sw", func(st *models.Store) error {
		cs, err := st.ConsentsOf(b.ID)
		if err != nil {
			return err
		}
		if _, err := st.WithdrawConsent(cs[len(cs)-1].ID, today, today); err != nil {
			return err
		}
		vs, err := st.VisitsOf(b.ID)
		if len(vs) == 0 {
			t.Error("withdrawal: the planned visit disappeared instead of being cancelled")
		}
		for _, v := range vs {
			if v.Status == models.VisitPlanned {
				t.Errorf("planned visit survived the withdrawal: %+v", v)
			}
		}
		return err
	})
}

// TestVisitConsentRuleMatchesGo: the database's consent check for
// mediators agrees with models.ParticipationConsent outside the month of
// the 14th birthday.
func TestVisitConsentRuleMatchesGo(t *testing.T) {
	w := newWorld(t)
	young := w.activeCase("Jale", time.Date(2015, 6, 6, 0, 0, 0, 0, time.UTC))
	older := w.activeCase("Kaan", time.Date(2011, 6, 6, 0, 0, 0, 0, time.UTC))
	for _, p := range []*models.Participant{young, older} {
		w.assign(p, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	}
	hour := 8
	check := func(p *models.Participant) (sqlOK, goOK bool) {
		hour++ // a new slot each time: the mediator must not be double-booked
		err := w.as("med", func(st *models.Store) error {
			s := today.AddDate(0, 0, 1).Add(time.Duration(hour) * time.Hour)
			_, err := st.CreateVisit(models.VisitInput{ParticipantID: p.ID, StartsAt: s, EndsAt: s.Add(time.Hour), Purpose: "follow_up"}, today)
			var ve *models.ValidationError
			sqlOK = err == nil
			if err != nil && !errors.As(err, &ve) {
				t.Errorf("visit for %s: %v", p.FirstName, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		w.must("sw", func(st *models.Store) error {
			missing, err := st.MissingConsent(p, today.AddDate(0, 0, 1))
			goOK = len(missing) == 0
			return err
		})
		return sqlOK, goOK
	}
	for _, p := range []*models.Participant{young, older} {
		if s, g := check(p); s != g || !s {
			t.Errorf("%s: SQL %v, Go %v", p.FirstName, s, g)
		}
	}
	// Without the older child's own assent both say no.
	dbtest.Exec(t, w.db.Gorm, "UPDATE prevention.consents SET state = 'withdrawn', withdrawn_on = ? WHERE participant_id = ? AND guardian_id IS NULL", today, older.ID)
	if s, g := check(older); s != g || s {
		t.Errorf("without assent: SQL %v, Go %v", s, g)
	}
	// A second guardian with custody who has not consented: both say no.
	w.must("sw", func(st *models.Store) error {
		_, err := st.AddGuardian(young.ID, models.GuardianInput{FirstName: "V", LastName: "Jale", Relationship: "father", HasCustody: true})
		return err
	})
	if s, g := check(young); s != g || s {
		t.Errorf("a custodial guardian without consent: SQL %v, Go %v", s, g)
	}
}

func TestMatchMediators(t *testing.T) {
	w := newWorld(t)
	w.must("med", func(st *models.Store) error { return st.SetMediatorLanguages(w.users["med"].ID, []string{"tr", "ku"}) })
	w.must("med2", func(st *models.Store) error { return st.SetMediatorLanguages(w.users["med2"].ID, []string{"ar"}) })
	if err := w.as("med", func(st *models.Store) error { return st.SetMediatorLanguages(w.users["med2"].ID, []string{"ru"}) }); err == nil {
		t.Error("a mediator changed a colleague's languages")
	}
	w.must("coord", func(st *models.Store) error {
		ms, full, err := st.MatchMediators(w.users["coord"].SiteID, []string{"ar"})
		if err != nil {
			return err
		}
		if !full || ms[0].ID != w.users["med2"].ID {
			t.Errorf("Arabic: full=%v first=%s", full, ms[0].Name)
		}
		_, full, err = st.MatchMediators(w.users["coord"].SiteID, []string{"ro"})
		if full {
			t.Error("Romanian is covered by nobody, yet full")
		}
		return err
	})
}

// TestMediatorVisitFamilies: the families of a page of visits come in one
// read with the family name and languages, and only for the children the
// reader sees (a mediator: those assigned to them).
func TestMediatorVisitFamilies(t *testing.T) {
	w := newWorld(t)
	mine := w.newParticipant("coord", "Gül", time.Date(2014, 2, 2, 0, 0, 0, 0, time.UTC))
	theirs := w.newParticipant("coord", "Hakan", time.Date(2014, 3, 3, 0, 0, 0, 0, time.UTC))
	w.assign(mine, "med", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	w.assign(theirs, "med2", models.AssignMediator, today.AddDate(0, -1, 0), nil)
	for user, want := range map[string][]string{"med": {mine.ID}, "med2": {theirs.ID}, "coord": {mine.ID, theirs.ID}, "sw": nil} {
		w.must(user, func(st *models.Store) error {
			fams, err := st.VisitFamilies([]string{mine.ID, theirs.ID})
			if err != nil {
				return err
			}
			if len(fams) != len(want) {
				t.Errorf("%s reads %d families, want %d", user, len(fams), len(want))
			}
			for _, id := range want {
				f := fams[id]
				if f == nil {
					t.Errorf("%s lacks the family of a visible child", user)
					continue
				}
				if f.Name != "Testfall" || f.Address != "Teststraße 1, 45127 Essen" || len(f.Languages) != 2 ||
					f.Languages[0] != (models.FamilyLanguage{Language: "ar", Mode: models.ModeInterpreter}) {
					t.Errorf("%s: family name, address or languages wrong (%d languages)", user, len(f.Languages))
				}
			}
			return nil
		})
	}
	w.must("med", func(st *models.Store) error {
		fams, err := st.VisitFamilies(nil)
		if err == nil && len(fams) != 0 {
			t.Error("families without children asked for")
		}
		return err
	})
}
