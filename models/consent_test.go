package models_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kurve/models"
)

// ymd is a fixed calendar day, midnight UTC. It panics on a malformed date
// so a typo in a table cannot silently become the zero time.
func ymd(s string) time.Time {
	var y, m, d int
	if _, err := fmt.Sscanf(s, "%d-%d-%d", &y, &m, &d); err != nil {
		panic(fmt.Sprintf("bad date %q: %v", s, err))
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Format("2006-01-02") != s {
		panic(fmt.Sprintf("bad date %q (normalises to %s)", s, t.Format("2006-01-02")))
	}
	return t
}

func ymdPtr(s string) *time.Time { t := ymd(s); return &t }

// given is a consent in state given by guardianID ("" = the young person's
// own assent), given on the day on, for purposes.
func given(guardianID string, on string, purposes ...models.Purpose) models.Consent {
	return models.Consent{
		GuardianID: guardianID,
		Purposes:   purposes,
		State:      models.ConsentGiven,
		GivenOn:    ymdPtr(on),
	}
}

// assent is the young person's own assent.
func assent(on string, purposes ...models.Purpose) models.Consent {
	return given("", on, purposes...)
}

func inState(c models.Consent, s models.ConsentState) models.Consent { c.State = s; return c }

func expiresOn(c models.Consent, on string) models.Consent { c.ExpiresOn = ymdPtr(on); return c }

func withdrawnOn(c models.Consent, on string) models.Consent { c.WithdrawnOn = ymdPtr(on); return c }

func custodian(id string) models.GuardianLink {
	return models.GuardianLink{GuardianID: id, HasCustody: true}
}

func noCustody(id string) models.GuardianLink {
	return models.GuardianLink{GuardianID: id, HasCustody: false}
}

const (
	participation = models.PurposeParticipation
	dataProc      = models.PurposeDataProcessing
	policeFB      = models.PurposePoliceFeedback
)

// missingGuardian is the pair of entries reported for a guardian with no
// consent at all.
func missingGuardian(id string) []models.Missing {
	return []models.Missing{{GuardianID: id, Purpose: participation}, {GuardianID: id, Purpose: dataProc}}
}

// missingAssent is the pair of entries reported for a missing own assent.
func missingAssent() []models.Missing {
	return []models.Missing{{Assent: true, Purpose: participation}, {Assent: true, Purpose: dataProc}}
}

func sortedMissing(ms []models.Missing) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%+v", m)
	}
	slices.Sort(out)
	return out
}

func TestParticipationConsent(t *testing.T) {
	const (
		today   = "2026-03-10"
		mother  = "g-mother"
		father  = "g-father"
		stepdad = "g-stepfather"
	)
	child := ymd("2015-06-15") // age 10 on today: no assent needed
	both := []models.GuardianLink{custodian(mother), custodian(father)}
	onlyMother := []models.GuardianLink{custodian(mother)}

	cases := []struct {
		name      string
		dob       time.Time // zero means child
		guardians []models.GuardianLink
		consents  []models.Consent
		day       string // empty means today
		want      []models.Missing
	}{
		// --- guardians with custody ---
		{
			name:      "two custodial guardians both consented",
			guardians: both,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc), given(father, "2026-01-06", participation, dataProc)},
		},
		{
			name:      "one of two custodial guardians missing",
			guardians: both,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc)},
			want:      missingGuardian(father),
		},
		{
			name:      "both custodial guardians missing",
			guardians: both,
			want:      append(missingGuardian(mother), missingGuardian(father)...),
		},
		{
			name:      "guardian without custody needs no consent",
			guardians: []models.GuardianLink{custodian(mother), noCustody(stepdad)},
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc)},
		},
		{
			name:      "consent of a guardian without custody does not replace a custodian's",
			guardians: []models.GuardianLink{custodian(mother), noCustody(stepdad)},
			consents:  []models.Consent{given(stepdad, "2026-01-05", participation, dataProc)},
			want:      missingGuardian(mother),
		},
		{
			name: "no guardian at all",
			want: []models.Missing{{NoCustodian: true}},
		},
		{
			name:      "only guardians without custody, even with consent",
			guardians: []models.GuardianLink{noCustody(stepdad)},
			consents:  []models.Consent{given(stepdad, "2026-01-05", participation, dataProc)},
			want:      []models.Missing{{NoCustodian: true}},
		},

		// --- purposes ---
		{
			name:      "consent covering only participation",
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation)},
			want:      []models.Missing{{GuardianID: mother, Purpose: dataProc}},
		},
		{
			name:      "consent covering only data_processing",
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", dataProc)},
			want:      []models.Missing{{GuardianID: mother, Purpose: participation}},
		},
		{
			name:      "consent covering only other purposes",
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", policeFB, models.PurposeEvaluation)},
			want:      missingGuardian(mother),
		},
		{
			name:      "purposes split over two valid consents of the same guardian",
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation), given(mother, "2026-02-01", dataProc)},
		},
		{
			name:      "split consents, one of them withdrawn",
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation), withdrawnOn(given(mother, "2026-02-01", dataProc), "2026-03-01")},
			want:      []models.Missing{{GuardianID: mother, Purpose: dataProc}},
		},

		// --- consent states ---
		{
			name:      "state requested",
			guardians: onlyMother,
			consents:  []models.Consent{inState(given(mother, "2026-01-05", participation, dataProc), models.ConsentRequested)},
			want:      missingGuardian(mother),
		},
		{
			name:      "state refused",
			guardians: onlyMother,
			consents:  []models.Consent{inState(given(mother, "2026-01-05", participation, dataProc), models.ConsentRefused)},
			want:      missingGuardian(mother),
		},
		{
			name:      "state withdrawn",
			guardians: onlyMother,
			consents:  []models.Consent{inState(given(mother, "2026-01-05", participation, dataProc), models.ConsentWithdrawn)},
			want:      missingGuardian(mother),
		},
		{
			name:      "state expired",
			guardians: onlyMother,
			consents:  []models.Consent{inState(given(mother, "2026-01-05", participation, dataProc), models.ConsentExpired)},
			want:      missingGuardian(mother),
		},
		{
			name:      "state given without a given date",
			guardians: onlyMother,
			consents:  []models.Consent{{GuardianID: mother, Purposes: []models.Purpose{participation, dataProc}, State: models.ConsentGiven}},
			want:      missingGuardian(mother),
		},

		// --- withdrawal date: invalid from the withdrawal day on ---
		{
			name:      "withdrawn_on before the day",
			guardians: onlyMother,
			consents:  []models.Consent{withdrawnOn(given(mother, "2026-01-05", participation, dataProc), "2026-03-01")},
			want:      missingGuardian(mother),
		},
		{
			name:      "withdrawn_on the day itself",
			guardians: onlyMother,
			consents:  []models.Consent{withdrawnOn(given(mother, "2026-01-05", participation, dataProc), today)},
			want:      missingGuardian(mother),
		},
		{
			name:      "withdrawn_on after the day: still valid on the day",
			guardians: onlyMother,
			consents:  []models.Consent{withdrawnOn(given(mother, "2026-01-05", participation, dataProc), "2026-03-11")},
		},

		// --- expiry: valid only while day < expires_on ---
		{
			name:      "expires_on before the day",
			guardians: onlyMother,
			consents:  []models.Consent{expiresOn(given(mother, "2026-01-05", participation, dataProc), "2026-03-09")},
			want:      missingGuardian(mother),
		},
		{
			name:      "expires_on equal to the day",
			guardians: onlyMother,
			consents:  []models.Consent{expiresOn(given(mother, "2026-01-05", participation, dataProc), today)},
			want:      missingGuardian(mother),
		},
		{
			name:      "expires_on the day after",
			guardians: onlyMother,
			consents:  []models.Consent{expiresOn(given(mother, "2026-01-05", participation, dataProc), "2026-03-11")},
		},
		{
			name:      "expired consent replaced by a fresh one",
			guardians: onlyMother,
			consents: []models.Consent{
				expiresOn(given(mother, "2025-01-05", participation, dataProc), "2026-01-05"),
				given(mother, "2026-01-05", participation, dataProc),
			},
		},

		// --- given date ---
		{
			name:      "given_on after the day",
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-03-11", participation, dataProc)},
			want:      missingGuardian(mother),
		},
		{
			name:      "given_on the day itself",
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, today, participation, dataProc)},
		},

		// --- whose consent ---
		{
			name:      "another guardian's consent does not count",
			guardians: both,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc), given(mother, "2026-01-06", participation, dataProc)},
			want:      missingGuardian(father),
		},
		{
			name:      "consent by someone not a guardian of the child does not count",
			guardians: onlyMother,
			consents:  []models.Consent{given("g-unrelated", "2026-01-05", participation, dataProc)},
			want:      missingGuardian(mother),
		},
		{
			name:      "young person's assent does not stand in for a guardian",
			dob:       ymd("2012-03-10"),
			guardians: onlyMother,
			consents:  []models.Consent{assent("2026-03-10", participation, dataProc)},
			want:      missingGuardian(mother),
		},

		// --- own assent from age 14 ---
		{
			name:      "age 14 today (birthday): assent required and missing",
			dob:       ymd("2012-03-10"),
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc)},
			want:      missingAssent(),
		},
		{
			name:      "age 13, the day before the 14th birthday: no assent needed",
			dob:       ymd("2012-03-11"),
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc)},
		},
		{
			name:      "14-year-old with assent",
			dob:       ymd("2012-03-10"),
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc), assent("2026-03-10", participation, dataProc)},
		},
		{
			name:      "16-year-old with assent covering only participation",
			dob:       ymd("2010-01-01"),
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc), assent("2026-01-05", participation)},
			want:      []models.Missing{{Assent: true, Purpose: dataProc}},
		},
		{
			name:      "14-year-old whose assent was withdrawn",
			dob:       ymd("2012-03-10"),
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc), withdrawnOn(assent("2026-03-10", participation, dataProc), today)},
			want:      missingAssent(),
		},
		{
			name: "14-year-old with no guardian and no assent",
			dob:  ymd("2012-03-10"),
			want: append([]models.Missing{{NoCustodian: true}}, missingAssent()...),
		},
		{
			name:      "missing guardian and missing assent reported together",
			dob:       ymd("2011-05-05"),
			guardians: both,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc)},
			want:      append(missingGuardian(father), missingAssent()...),
		},

		// --- 29 February birthday ---
		{
			name:      "born 29 Feb 2012, on 2026-02-28 age 13: no assent needed",
			dob:       ymd("2012-02-29"),
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc)},
			day:       "2026-02-28",
		},
		{
			name:      "born 29 Feb 2012, on 2026-03-01 age 14: assent required",
			dob:       ymd("2012-02-29"),
			guardians: onlyMother,
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc)},
			day:       "2026-03-01",
			want:      missingAssent(),
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dob := tc.dob
			if dob.IsZero() {
				dob = child
			}
			day := today
			if tc.day != "" {
				day = tc.day
			}
			got := models.ParticipationConsent(dob, tc.guardians, tc.consents, ymd(day))
			g, w := sortedMissing(got), sortedMissing(tc.want)
			if !slices.Equal(g, w) {
				t.Errorf("ParticipationConsent on %s:\n got  [%s]\n want [%s]", day, strings.Join(g, ", "), strings.Join(w, ", "))
			}
		})
	}

	t.Run("time of day on the day is ignored", func(t *testing.T) {
		consents := []models.Consent{expiresOn(given(mother, today, participation, dataProc), "2026-03-11")}
		for _, at := range []time.Time{
			time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 10, 23, 59, 59, 0, time.UTC),
		} {
			if got := models.ParticipationConsent(child, onlyMother, consents, at); len(got) != 0 {
				t.Errorf("ParticipationConsent at %s = %+v, want valid", at, got)
			}
		}
	})
}

func TestAgeOn(t *testing.T) {
	cases := []struct {
		name     string
		dob, day string
		want     int
	}{
		{"day of birth", "2012-03-10", "2012-03-10", 0},
		{"day before first birthday", "2012-03-10", "2013-03-09", 0},
		{"first birthday", "2012-03-10", "2013-03-10", 1},
		{"14th birthday", "2012-03-10", "2026-03-10", 14},
		{"day before 14th birthday", "2012-03-10", "2026-03-09", 13},
		{"day after 14th birthday", "2012-03-10", "2026-03-11", 14},
		{"earlier month, later day", "2012-03-10", "2026-02-28", 13},
		{"later month, earlier day", "2012-03-10", "2026-04-01", 14},
		{"new year's eve birthday, day before", "2012-12-31", "2026-12-30", 13},
		{"new year's eve birthday", "2012-12-31", "2026-12-31", 14},
		{"new year's day after new year's eve birthday", "2012-12-31", "2027-01-01", 14},
		{"new year's day birthday, eve before", "2012-01-01", "2025-12-31", 13},
		{"leap-day birthday, 28 Feb of a common year", "2012-02-29", "2026-02-28", 13},
		{"leap-day birthday, 1 Mar of a common year", "2012-02-29", "2026-03-01", 14},
		{"leap-day birthday, 28 Feb of a leap year", "2012-02-29", "2028-02-28", 15},
		{"leap-day birthday, 29 Feb of a leap year", "2012-02-29", "2028-02-29", 16},
		{"1 Mar birthday, 29 Feb of a leap year", "2011-03-01", "2028-02-29", 16},
		{"1 Mar birthday, 1 Mar of a leap year", "2011-03-01", "2028-03-01", 17},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.AgeOn(ymd(tc.dob), ymd(tc.day)); got != tc.want {
				t.Errorf("AgeOn(%s, %s) = %d, want %d", tc.dob, tc.day, got, tc.want)
			}
		})
	}

	t.Run("time of day is ignored", func(t *testing.T) {
		dob := time.Date(2012, 3, 10, 23, 30, 0, 0, time.UTC)
		day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
		if got := models.AgeOn(dob, day); got != 14 {
			t.Errorf("AgeOn(%s, %s) = %d, want 14", dob, day, got)
		}
	})
}

func TestPurposeConsented(t *testing.T) {
	const (
		mother  = "g-mother"
		father  = "g-father"
		stepdad = "g-stepfather"
	)
	day := ymd("2026-03-10")

	cases := []struct {
		name      string
		purpose   models.Purpose
		guardians []models.GuardianLink
		consents  []models.Consent
		want      bool
	}{
		{
			name:      "police_feedback given by a custodial guardian",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{given(mother, "2026-01-05", policeFB)},
			want:      true,
		},
		{
			name:      "police_feedback given by one of two custodial guardians",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother), custodian(father)},
			consents:  []models.Consent{given(father, "2026-01-05", participation, dataProc, policeFB)},
			want:      true,
		},
		{
			name:      "police_feedback given only by a non-custodial guardian",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother), noCustody(stepdad)},
			consents:  []models.Consent{given(stepdad, "2026-01-05", policeFB)},
			want:      false,
		},
		{
			name:      "police_feedback consent in state withdrawn",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{inState(given(mother, "2026-01-05", policeFB), models.ConsentWithdrawn)},
			want:      false,
		},
		{
			name:      "police_feedback withdrawn on the day",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{withdrawnOn(given(mother, "2026-01-05", policeFB), "2026-03-10")},
			want:      false,
		},
		{
			name:      "police_feedback withdrawal dated after the day",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{withdrawnOn(given(mother, "2026-01-05", policeFB), "2026-03-11")},
			want:      true,
		},
		{
			name:      "police_feedback expired on the day",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{expiresOn(given(mother, "2026-01-05", policeFB), "2026-03-10")},
			want:      false,
		},
		{
			name:      "custodial consent covers other purposes only",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{given(mother, "2026-01-05", participation, dataProc, models.PurposeSchoolExchange)},
			want:      false,
		},
		{
			name:      "young person's own assent does not count",
			purpose:   policeFB,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{assent("2026-01-05", policeFB)},
			want:      false,
		},
		{
			name:     "no guardians",
			purpose:  policeFB,
			consents: []models.Consent{given(mother, "2026-01-05", policeFB)},
			want:     false,
		},
		{
			name:      "evaluation given by a custodial guardian",
			purpose:   models.PurposeEvaluation,
			guardians: []models.GuardianLink{custodian(mother)},
			consents:  []models.Consent{given(mother, "2026-01-05", models.PurposeEvaluation)},
			want:      true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.PurposeConsented(tc.purpose, tc.guardians, tc.consents, day); got != tc.want {
				t.Errorf("PurposeConsented(%s) = %v, want %v", tc.purpose, got, tc.want)
			}
		})
	}
}

// TestConsentGiverRefusal: who may give a consent (SPEC §4). Under 14 only
// guardians with custody; the young person's own assent from the 14th
// birthday itself; a guardian without custody never.
func TestConsentGiverRefusal(t *testing.T) {
	dob := time.Date(2012, 6, 15, 0, 0, 0, 0, time.UTC)
	custodian := &models.GuardianLink{GuardianID: "g1", HasCustody: true}
	other := &models.GuardianLink{GuardianID: "g2", HasCustody: false}
	for _, tc := range []struct {
		name  string
		giver *models.GuardianLink
		day   time.Time
		want  string
	}{
		{"assent at 11", nil, time.Date(2023, 9, 1, 0, 0, 0, 0, time.UTC), "validation.assent_too_young"},
		{"assent at 13", nil, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), "validation.assent_too_young"},
		{"assent the day before the 14th birthday", nil, time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC), "validation.assent_too_young"},
		{"assent on the 14th birthday", nil, time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), ""},
		{"assent at 14", nil, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), ""},
		{"custodian at 11", custodian, time.Date(2023, 9, 1, 0, 0, 0, 0, time.UTC), ""},
		{"custodian at 13", custodian, time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC), ""},
		{"custodian at 14", custodian, time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), ""},
		{"guardian without custody at 13", other, time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC), "validation.consent_needs_custody"},
		{"guardian without custody at 14", other, time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC), "validation.consent_needs_custody"},
	} {
		if got := models.ConsentGiverRefusal(dob, tc.giver, tc.day); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestConsentOnlyByWhomTheRuleAllows: an 11-year-old's own assent and a
// consent of a guardian without custody are refused when recorded, and
// nothing is stored.
func TestConsentOnlyByWhomTheRuleAllows(t *testing.T) {
	w := newWorld(t)
	eleven := today.AddDate(-11, 0, 0)
	p := w.newParticipant("coord", "Elf", eleven)
	var noCustody *models.Guardian
	w.must("coord", func(st *models.Store) (err error) {
		noCustody, err = st.AddGuardian(p.ID, models.GuardianInput{FirstName: "O", LastName: "K", Relationship: "aunt_uncle", HasCustody: false})
		return err
	})
	for name, gid := range map[string]string{"own assent at 11": "", "guardian without custody": noCustody.ID} {
		err := w.as("coord", func(st *models.Store) error {
			_, err := st.RecordConsent(p.ID, models.ConsentInput{GuardianID: gid, Purposes: []models.Purpose{models.PurposeParticipation, models.PurposeDataProcessing},
				FormVersion: "2026-1", FormLanguage: "de", GivenOn: &today}, today)
			return err
		})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields[0].Field != "guardian_id" {
			t.Errorf("%s: %v, want a refusal on guardian_id", name, err)
		}
	}
	var n int
	w.db.Gorm.Raw("SELECT count(*) FROM prevention.consents WHERE participant_id = ?", p.ID).Scan(&n)
	if n != 0 {
		t.Errorf("%d consents stored", n)
	}
}
