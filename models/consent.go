package models

import (
	"time"
)

// Purpose is what a consent covers (SPEC §4).
type Purpose string

// The consent purposes of SPEC §4.
const (
	PurposeParticipation  Purpose = "participation"
	PurposeDataProcessing Purpose = "data_processing"
	PurposePoliceFeedback Purpose = "police_feedback"
	PurposeSchoolExchange Purpose = "school_exchange"
	PurposeEvaluation     Purpose = "evaluation"
)

// Purposes lists every purpose.
var Purposes = []Purpose{PurposeParticipation, PurposeDataProcessing, PurposePoliceFeedback, PurposeSchoolExchange, PurposeEvaluation}

// ConsentState is the lifecycle state of a consent.
type ConsentState string

// The consent states of SPEC §4.
const (
	ConsentRequested ConsentState = "requested"
	ConsentGiven     ConsentState = "given"
	ConsentRefused   ConsentState = "refused"
	ConsentWithdrawn ConsentState = "withdrawn"
	ConsentExpired   ConsentState = "expired"
)

// AssentAge is the age from which young people give their own assent.
const AssentAge = 14

// Consent is one consent record: by a guardian, or the young person's own
// assent when GuardianID is empty.
type Consent struct {
	ID            string
	ParticipantID string
	GuardianID    string
	Purposes      []Purpose
	FormVersion   string
	FormLanguage  string
	State         ConsentState
	GivenOn       *time.Time
	ExpiresOn     *time.Time
	WithdrawnOn   *time.Time
	RecordedBy    string
	MediatorID    string
	Version       int
	CreatedAt     time.Time
}

// Covers reports whether the consent names purpose.
func (c *Consent) Covers(p Purpose) bool {
	for _, x := range c.Purposes {
		if x == p {
			return true
		}
	}
	return false
}

// ValidOn reports whether the consent is in force on day: given on or
// before it, not withdrawn by then, not expired.
func (c *Consent) ValidOn(day time.Time) bool {
	d := dateOf(day)
	if c.State != ConsentGiven || c.GivenOn == nil || dateOf(*c.GivenOn).After(d) {
		return false
	}
	if c.WithdrawnOn != nil && !dateOf(*c.WithdrawnOn).After(d) {
		return false
	}
	if c.ExpiresOn != nil && !dateOf(*c.ExpiresOn).After(d) {
		return false
	}
	return true
}

// GuardianLink is a guardian as far as consent is concerned.
type GuardianLink struct {
	GuardianID string
	HasCustody bool
}

// Missing names one consent that participation still lacks: of a
// guardian (GuardianID set) or the young person's assent (Assent).
type Missing struct {
	GuardianID string
	Assent     bool
	Purpose    Purpose
	// NoCustodian is set when no guardian with custody is recorded at all.
	NoCustodian bool
}

// participationPurposes are what participation needs (SPEC §4).
var participationPurposes = []Purpose{PurposeParticipation, PurposeDataProcessing}

// ParticipationConsent is the one place of the consent rule (SPEC §4):
// participation is valid on day only while every guardian with custody has
// valid, unwithdrawn consent covering participation and data_processing,
// and — from age 14 — the young person has assented to the same. At least
// one guardian with custody must be recorded. It returns what is missing;
// an empty list means valid.
func ParticipationConsent(dateOfBirth time.Time, guardians []GuardianLink, consents []Consent, day time.Time) []Missing {
	var missing []Missing
	custodians := 0
	covered := func(guardianID string, p Purpose) bool {
		for i := range consents {
			c := &consents[i]
			if c.GuardianID == guardianID && c.Covers(p) && c.ValidOn(day) {
				return true
			}
		}
		return false
	}
	for _, g := range guardians {
		if !g.HasCustody {
			continue
		}
		custodians++
		for _, p := range participationPurposes {
			if !covered(g.GuardianID, p) {
				missing = append(missing, Missing{GuardianID: g.GuardianID, Purpose: p})
			}
		}
	}
	if custodians == 0 {
		missing = append(missing, Missing{NoCustodian: true})
	}
	if AgeOn(dateOfBirth, day) >= AssentAge {
		for _, p := range participationPurposes {
			if !covered("", p) {
				missing = append(missing, Missing{Assent: true, Purpose: p})
			}
		}
	}
	return missing
}

// ConsentGiverRefusal applies who may give a consent on day (SPEC §4): a
// guardian with custody, at any age of the child; the young person
// themself (g nil: their own assent) only from the 14th birthday, in
// addition to the guardians. It returns the message ID of the refusal, or
// "" when the giver may consent.
func ConsentGiverRefusal(dateOfBirth time.Time, g *GuardianLink, day time.Time) string {
	// Written as ifs, not a switch: gremlins (make mutate) counts a
	// switch's case conditions as uncovered and would never mutate them.
	if g == nil && AgeOn(dateOfBirth, day) < AssentAge {
		return "validation.assent_too_young"
	}
	if g != nil && !g.HasCustody {
		return "validation.consent_needs_custody"
	}
	return ""
}

// PurposeConsented reports whether some guardian with custody has valid
// consent to purpose on day (police feedback, school exchange, evaluation).
func PurposeConsented(purpose Purpose, guardians []GuardianLink, consents []Consent, day time.Time) bool {
	for _, g := range guardians {
		if !g.HasCustody {
			continue
		}
		for i := range consents {
			c := &consents[i]
			if c.GuardianID == g.GuardianID && c.Covers(purpose) && c.ValidOn(day) {
				return true
			}
		}
	}
	return false
}

// AgeOn is the age in whole years on day.
func AgeOn(dateOfBirth, day time.Time) int {
	b, d := dateOf(dateOfBirth), dateOf(day)
	age := d.Year() - b.Year()
	if d.Month() < b.Month() || (d.Month() == b.Month() && d.Day() < b.Day()) {
		age--
	}
	return age
}

// dateOf is the calendar day of t, as midnight UTC.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
