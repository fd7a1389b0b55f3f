package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"kurve/models"
	"kurve/models/dbtest"
)

// TestCrossingPrivileges: each crossing can be called by its one side only.
func TestCrossingPrivileges(t *testing.T) {
	tdb := dbtest.New(t)
	may := map[string]models.DBRole{
		"SELECT * FROM crossing.intake_queue()":      models.DBPrevention,
		"SELECT * FROM crossing.referral_feedback()": models.DBEnforcement,
		"SELECT crossing.referral_open(NULL)":        models.DBEnforcement,
		"SELECT crossing.intake_hold(NULL)":          models.DBPrevention,
		// Crossing 3 (issue 17): aggregate counts for the evaluators.
		"SELECT * FROM crossing.police_outcomes('{site}', NULL, NULL, NULL, 5)": models.DBStatistics,
	}
	for sql, side := range may {
		for _, role := range models.DBRoles {
			err := asRole(tdb.Gorm, role, models.Actor{}, sql)
			if role == side && err != nil {
				t.Errorf("%s cannot call %s: %v", role, sql, err)
			}
			if role != side && !models.IsPermissionDenied(err) {
				t.Errorf("%s may call %s: %v", role, sql, err)
			}
		}
	}
	// Nobody but the owner may call the consent-expiry job's function
	// except the prevention side that runs it.
	for _, role := range []models.DBRole{models.DBEnforcement, models.DBStatistics, models.DBAdmin, models.DBDPO, models.DBAuth, models.DBMediation} {
		if err := asRole(tdb.Gorm, role, models.Actor{}, "SELECT prevention.expire_consents(current_date)"); !models.IsPermissionDenied(err) {
			t.Errorf("%s may run the consent expiry: %v", role, err)
		}
	}
}

// TestCrossingColumns: the crossings return exactly the documented columns.
func TestCrossingColumns(t *testing.T) {
	tdb := dbtest.New(t)
	want := map[string][]string{
		"crossing.intake_queue()": {"id", "site_id", "first_name_enc", "last_name_enc", "date_of_birth_enc", "gender",
			"guardian_name_enc", "guardian_phone_enc", "reason_category", "received_on"},
		"crossing.referral_feedback()": {"id", "police_reference", "status", "since"},
	}
	for fn, cols := range want {
		rows, err := tdb.Gorm.Raw("SELECT * FROM " + fn + " LIMIT 0").Rows()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := rows.Columns()
		rows.Close()
		if strings.Join(got, ",") != strings.Join(cols, ",") {
			t.Errorf("%s returns %v, documented %v", fn, got, cols)
		}
		for _, c := range got {
			for _, forbidden := range []string{"notes", "officer", "unit", "reference"} {
				if fn == "crossing.intake_queue()" && strings.Contains(c, forbidden) {
					t.Errorf("intake crossing returns %s", c)
				}
			}
		}
	}
}

func (w *world) police() *models.User {
	w.t.Helper()
	if u, ok := w.users["police"]; ok {
		return u
	}
	err := models.InTx(context.Background(), w.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		u, err := st.UserByEmail("polizei@es.kurve.example")
		w.users["police"] = u
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.users["police"]
}

func (w *world) refer(first string) *models.Referral {
	w.t.Helper()
	w.police()
	var r *models.Referral
	w.must("police", func(st *models.Store) (err error) {
		r, err = st.CreateReferral(models.ReferralInput{FirstName: first, LastName: "Meldung", DateOfBirth: ptr(time.Date(2014, 5, 5, 0, 0, 0, 0, time.UTC)),
			Gender: "male", SiteCode: "ES", ReasonCategory: "property", PoliceReference: "PP-ES-2026-" + first, ReferringUnit: "PI Test",
			OfficerName: "Kommissarin Test", GuardianName: "Vater " + first, GuardianPhone: "0201 999", Notes: "Polizeiliche Notiz " + first}, today)
		return err
	})
	return r
}

// confirmCarried confirms, as the coordinator, the relationship and
// custody of the guardian an accepted referral carried over to p.
func (w *world) confirmCarried(p *models.Participant, relationship string, custody bool) {
	w.t.Helper()
	w.must("coord", func(st *models.Store) error {
		gs, err := st.GuardiansOf(p.ID)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if !g.CustodyConfirmed {
				return st.ConfirmCustody(p.ID, g.ID, models.CustodyInput{Relationship: relationship, HasCustody: custody})
			}
		}
		return fmt.Errorf("no guardian carried over to %s", p.CaseNumber)
	})
}

func (w *world) feedback(id string) models.Feedback {
	w.t.Helper()
	var f *models.Feedback
	w.must("police", func(st *models.Store) (err error) {
		f, err = st.FeedbackFor(id)
		return err
	})
	return *f
}

// TestReferralLifecycle follows a referral across both crossings.
func TestReferralLifecycle(t *testing.T) {
	w := newWorld(t)
	r := w.refer("Jonas")
	other := w.refer("Kai")

	// Crossing 1: the ES coordinator sees identity and contact, never the
	// police notes; Duisburg and social workers see nothing.
	w.must("coord", func(st *models.Store) error {
		q, err := st.IntakeQueue()
		if err != nil {
			return err
		}
		if len(q) != 2 || q[0].FirstName != "Jonas" || q[0].GuardianPhone != "0201 999" || q[0].ReasonCategory != "property" {
			t.Errorf("intake queue %+v", q)
		}
		return nil
	})
	for _, user := range []string{"coordDU", "sw"} {
		w.must(user, func(st *models.Store) error {
			q, err := st.IntakeQueue()
			if len(q) != 0 {
				t.Errorf("%s sees %d referrals", user, len(q))
			}
			return err
		})
	}
	if err := w.as("med", func(st *models.Store) error { _, err := st.IntakeQueue(); return err }); !models.IsPermissionDenied(err) {
		t.Errorf("mediator calls the intake crossing: %v", err)
	}
	if f := w.feedback(r.ID); f.Status != models.FeedbackReceived || f.Since.Day() != 1 {
		t.Errorf("feedback before intake %+v", f)
	}

	// Accept one, decline the other; both vanish from the queue.
	var p *models.Participant
	w.must("coord", func(st *models.Store) (err error) {
		p, _, err = st.AcceptReferral(r.ID, models.AcceptInput{}, today)
		if err != nil {
			return err
		}
		return st.DeclineReferral(other.ID, "outside_area")
	})
	if p.Status != models.StatusReferred || p.FirstName != "Jonas" || p.Notes != "" {
		t.Errorf("accepted participant %+v", p)
	}
	// The guardian the police named came with the case, encrypted like
	// every guardian, its custody still to be confirmed by staff.
	w.must("coord", func(st *models.Store) error {
		gs, err := st.GuardiansOf(p.ID)
		if err != nil {
			return err
		}
		if len(gs) != 1 || gs[0].FirstName != "Vater" || gs[0].LastName != "Jonas" || gs[0].Phone != "0201 999" ||
			gs[0].CustodyConfirmed || !gs[0].HasCustody || gs[0].Relationship != "legal_guardian" {
			t.Errorf("guardian carried over: %+v", gs)
		}
		return nil
	})
	err := w.as("coord", func(st *models.Store) error {
		_, _, err := st.AcceptReferral(r.ID, models.AcceptInput{}, today)
		return err
	})
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second acceptance: %v", err)
	}
	// Without police_feedback consent the police learn nothing more.
	for _, id := range []string{r.ID, other.ID} {
		if f := w.feedback(id); f.Status != models.FeedbackReceived {
			t.Errorf("feedback without consent: %+v", f)
		}
	}

	w.assign(p, "sw", models.AssignSocialWorker, today, nil)
	var mother, father *models.Guardian
	w.must("sw", func(st *models.Store) (err error) {
		if mother, err = st.AddGuardian(p.ID, models.GuardianInput{FirstName: "M", LastName: "J", Relationship: "mother", HasCustody: true}); err != nil {
			return err
		}
		father, err = st.AddGuardian(p.ID, models.GuardianInput{FirstName: "V", LastName: "J", Relationship: "father", HasCustody: false})
		return err
	})
	record := func(g *models.Guardian, given time.Time, expires *time.Time, purposes ...models.Purpose) *models.Consent {
		var k *models.Consent
		w.must("sw", func(st *models.Store) (err error) {
			k, err = st.RecordConsent(p.ID, models.ConsentInput{GuardianID: g.ID, Purposes: purposes, FormVersion: "1", FormLanguage: "de",
				GivenOn: &given, ExpiresOn: expires}, today)
			return err
		})
		return k
	}
	// A non-custodial guardian's consent and an expired one do not count.
	// (Kurve refuses to record the first; it is written directly, as it
	// stays stored when custody changes after the consent.)
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO prevention.consents (id, participant_id, guardian_id, purposes, form_version, form_language,
		state, given_on, recorded_by) VALUES (gen_random_uuid(), ?, ?, '{police_feedback}', '1', 'de', 'given', ?, ?)`,
		p.ID, father.ID, today.AddDate(0, -1, 0), w.users["sw"].ID)
	record(mother, today.AddDate(0, -3, 0), ptr(today), models.PurposePoliceFeedback)
	if f := w.feedback(r.ID); f.Status != models.FeedbackReceived {
		t.Errorf("feedback with only non-custodial/expired consent: %+v", f)
	}
	// Nor does a consent dated tomorrow (stored, say, by a clock that ran
	// ahead), or a valid consent of the custodial mother that is not for
	// police feedback.
	dbtest.Exec(t, w.db.Gorm, `INSERT INTO prevention.consents (id, participant_id, guardian_id, purposes, form_version, form_language,
		state, given_on, recorded_by) VALUES (gen_random_uuid(), ?, ?, '{police_feedback}', '1', 'de', 'given', ?, ?)`,
		p.ID, mother.ID, models.ProgramDay(time.Now()).AddDate(0, 0, 1), w.users["sw"].ID)
	if f := w.feedback(r.ID); f.Status != models.FeedbackReceived {
		t.Errorf("feedback with a consent given tomorrow: %+v", f)
	}
	record(mother, today.AddDate(0, 0, -5), nil, models.PurposeParticipation, models.PurposeDataProcessing)
	if f := w.feedback(r.ID); f.Status != models.FeedbackReceived {
		t.Errorf("feedback with a consent for other purposes: %+v", f)
	}
	k := record(mother, today.AddDate(0, 0, -2), nil, models.PurposeParticipation, models.PurposeDataProcessing, models.PurposePoliceFeedback)
	f := w.feedback(r.ID)
	if f.Status != models.FeedbackInProgram || f.Since.Day() != 1 || f.PoliceReference != "PP-ES-2026-Jonas" {
		t.Errorf("feedback with consent %+v", f)
	}
	// Ended: program_ended; then the withdrawal takes it back at once.
	w.must("sw", func(st *models.Store) error {
		cur, err := st.ParticipantByID(p.ID)
		if err != nil {
			return err
		}
		_, err = st.ChangeStatus(p.ID, cur.Version, models.StatusEndedEarly, "moved", today)
		return err
	})
	if f := w.feedback(r.ID); f.Status != models.FeedbackProgramEnded {
		t.Errorf("feedback after the end %+v", f)
	}
	w.must("sw", func(st *models.Store) error { _, err := st.WithdrawConsent(k.ID, today, today); return err })
	if f := w.feedback(r.ID); f.Status != models.FeedbackReceived {
		t.Errorf("feedback after withdrawal %+v", f)
	}
	// The police see only their own referrals, and never the decision.
	w.must("police", func(st *models.Store) error {
		all, err := st.ReferralFeedback()
		if len(all) != 2 {
			t.Errorf("police list %d", len(all))
		}
		return err
	})
	// The liaison's own user id under another application role (settings
	// a bug could set) gets nothing from the crossing.
	err = models.InTx(context.Background(), w.db.Gorm, models.DBEnforcement,
		models.Actor{UserID: w.users["police"].ID, SiteID: w.users["police"].SiteID, Role: models.RoleCoordinator}, func(st *models.Store) error {
			all, err := st.ReferralFeedback()
			if len(all) != 0 {
				t.Errorf("the crossing answers a %s: %d referrals", models.RoleCoordinator, len(all))
			}
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	err = models.InTx(context.Background(), w.db.Gorm, models.DBEnforcement,
		models.Actor{UserID: "00000000-0000-0000-0000-000000000009", Role: models.RolePoliceLiaison}, func(st *models.Store) error {
			st.UseCipher(w.cipher)
			all, err := st.ReferralFeedback()
			if len(all) != 0 {
				t.Errorf("another police liaison sees %d", len(all))
			}
			if _, err := st.ReferralByID(r.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("another police liaison reads the referral: %v", err)
			}
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFeedbackRuleMatchesGo checks the SQL consent rule of the feedback
// crossing against models.PurposeConsented on the same data.
func TestFeedbackRuleMatchesGo(t *testing.T) {
	cases := []struct {
		name     string
		custody  bool
		state    string
		given    int // days from today
		withdraw *int
		expires  *int
	}{
		{"valid", true, "given", -10, nil, nil},
		{"no custody", false, "given", -10, nil, nil},
		{"requested", true, "requested", -10, nil, nil},
		{"given today", true, "given", 0, nil, nil},
		{"withdrawn today", true, "given", -10, ptr(0), nil},
		{"withdrawal tomorrow", true, "given", -10, ptr(1), nil},
		{"expires today", true, "given", -10, nil, ptr(0)},
		{"expires tomorrow", true, "given", -10, nil, ptr(1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			r := w.refer("Lars")
			var p *models.Participant
			w.must("coord", func(st *models.Store) (err error) {
				p, _, err = st.AcceptReferral(r.ID, models.AcceptInput{}, today)
				return err
			})
			// The database's today is the program's day (Berlin), not UTC's.
			day := models.ProgramDay(time.Now())
			at := func(d *int) *time.Time {
				if d == nil {
					return nil
				}
				return ptr(day.AddDate(0, 0, *d))
			}
			given := day.AddDate(0, 0, tc.given)
			var gid string
			w.must("coord", func(st *models.Store) error {
				g, err := st.AddGuardian(p.ID, models.GuardianInput{FirstName: "G", LastName: "H", Relationship: "mother", HasCustody: tc.custody})
				gid = g.ID
				return err
			})
			// Written directly: the rule is about stored data, whatever path wrote it.
			dbtest.Exec(t, w.db.Gorm, `INSERT INTO prevention.consents (id, participant_id, guardian_id, purposes, form_version, form_language,
				state, given_on, withdrawn_on, expires_on, recorded_by) VALUES (gen_random_uuid(), ?, ?, '{police_feedback}', '1', 'de', ?, ?, ?, ?, ?)`,
				p.ID, gid, tc.state, given, at(tc.withdraw), at(tc.expires), w.users["coord"].ID)
			goRule := models.PurposeConsented(models.PurposePoliceFeedback, []models.GuardianLink{{GuardianID: gid, HasCustody: tc.custody}},
				[]models.Consent{{GuardianID: gid, Purposes: []models.Purpose{models.PurposePoliceFeedback}, State: models.ConsentState(tc.state),
					GivenOn: &given, WithdrawnOn: at(tc.withdraw), ExpiresOn: at(tc.expires)}}, day)
			sqlRule := w.feedback(r.ID).Status != models.FeedbackReceived
			if goRule != sqlRule {
				t.Errorf("Go rule %v, SQL rule %v", goRule, sqlRule)
			}
		})
	}
}
