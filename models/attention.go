package models

import (
	"fmt"
	"sort"
	"time"
)

// CaseFact is what the start page and the caseload's filters need to know
// of an open case: the consent rule's verdict, the soonest expiry of a
// given consent, the review and program timing, and who the current
// social workers are. It carries no name: the page decrypts only the names
// it shows (ParticipantNames).
type CaseFact struct {
	ID, CaseNumber string
	Status         Status
	// ConsentMissing: the consent rule (ParticipationConsent) is not met
	// (consent pending and active cases only).
	ConsentMissing bool
	// ConsentExpires is the soonest expiry of a given consent within
	// ProgramEndNotice days (consent pending and active cases only).
	ConsentExpires *time.Time
	ReviewDue      *time.Time
	ReviewOverdue  bool
	ProgramEnd     *time.Time
	EndingSoon     bool
	// ActivatedOn is the day an active case became active.
	ActivatedOn *time.Time
	// NoBaseline: an active case without a baseline assessment (intake,
	// issue 17).
	NoBaseline bool
	// Workers are the current social workers' user ids (only when asked
	// for staffing).
	Workers []string
}

// CaseFacts reads the facts of every open case visible to the actor
// (row-level security decides), by case number, with a fixed number of
// statements whatever the size of the caseload or site: cases (with their
// last review, extensions and whether an active one has its baseline
// assessment), guardian links, consents, and with staffing the
// current social-worker assignments. The rules stay in Go
// (ParticipationConsent, ReviewDue, ProgramEnd), applied to the rows read
// in one go. Only the dates of birth of consent-pending and active cases
// are decrypted (the consent rule depends on the age); no name is.
// Language mediators may not read these facts.
func (s *Store) CaseFacts(day time.Time, staffing bool) ([]CaseFact, error) {
	if s.limited() {
		return nil, fmt.Errorf("models: case facts: %w", ErrForbidden)
	}
	visible, arg := s.visibleCases("p")
	if arg == nil {
		return nil, fmt.Errorf("models: case facts: %w", ErrForbidden)
	}
	var rows []struct {
		ID, CaseNumber string
		Status         Status
		ActivatedOn    *time.Time
		DateOfBirthEnc string
		LastReview     *time.Time
		Extensions     int
		NoBaseline     bool
	}
	err := s.db.Raw(`SELECT p.id, p.case_number, p.status, p.activated_on,
			CASE WHEN p.status IN ('consent_pending', 'active') THEN p.date_of_birth_enc ELSE '' END AS date_of_birth_enc,
			r.last_review, coalesce(e.n, 0) AS extensions,
			p.status = 'active' AND NOT EXISTS (SELECT 1 FROM prevention.assessments a
				WHERE a.participant_id = p.id AND a.occasion = 'intake') AS no_baseline
		FROM prevention.participants p
		LEFT JOIN LATERAL (SELECT max(held_on) AS last_review FROM prevention.reviews WHERE participant_id = p.id AND p.status = 'active') r ON true
		LEFT JOIN LATERAL (SELECT count(*) AS n FROM prevention.extensions WHERE participant_id = p.id AND p.status = 'active') e ON true
		WHERE p.status IN ? AND `+visible+`
		ORDER BY p.case_number`, OpenStatuses, arg).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: case facts: %w", err)
	}
	// The guardian links and consents of the cases the consent rule
	// applies to, in one statement.
	linksOf, consentsOf, err := s.linksAndConsents(
		`IN (SELECT p.id FROM prevention.participants p WHERE p.status IN ('consent_pending', 'active') AND `+visible+`)`, arg)
	if err != nil {
		return nil, fmt.Errorf("models: case facts: %w", err)
	}
	workersOf := map[string][]string{}
	if staffing {
		var as []struct{ ParticipantID, UserID string }
		if err := s.db.Raw(`SELECT a.participant_id, a.user_id FROM prevention.assignments a
			WHERE a.kind = 'social_worker' AND a.from_on <= ? AND (a.until_on IS NULL OR a.until_on >= ?)
			  AND a.participant_id IN (SELECT p.id FROM prevention.participants p WHERE p.status IN ? AND `+visible+`)
			ORDER BY a.participant_id, a.user_id`, dateOf(day), dateOf(day), OpenStatuses, arg).Scan(&as).Error; err != nil {
			return nil, fmt.Errorf("models: case facts: assignments: %w", err)
		}
		for _, a := range as {
			workersOf[a.ParticipantID] = append(workersOf[a.ParticipantID], a.UserID)
		}
	}
	out := make([]CaseFact, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		f := CaseFact{ID: r.ID, CaseNumber: r.CaseNumber, Status: r.Status, Workers: workersOf[r.ID]}
		if r.Status == StatusConsentPending || r.Status == StatusActive {
			o := &opener{s: s, table: participantsTable, id: r.ID}
			dob, err := time.Parse(time.DateOnly, o.str("date_of_birth", &r.DateOfBirthEnc))
			if o.err != nil {
				return nil, o.err
			}
			if err != nil {
				return nil, fmt.Errorf("models: participant %s: date of birth: %w", r.ID, errDecrypt)
			}
			cs := consentsOf[r.ID]
			f.ConsentMissing = len(ParticipationConsent(dob, linksOf[r.ID], cs, day)) > 0
			f.ConsentExpires = soonestExpiry(cs, day)
		}
		if r.Status == StatusActive {
			f.ActivatedOn, f.NoBaseline = r.ActivatedOn, r.NoBaseline
			f.ReviewDue = ReviewDue(r.Status, r.ActivatedOn, r.LastReview)
			f.ReviewOverdue = ReviewOverdue(f.ReviewDue, day)
			f.ProgramEnd = ProgramEnd(r.ActivatedOn, r.Extensions)
			f.EndingSoon = ProgramEndingSoon(r.Status, f.ProgramEnd, day)
		}
		out = append(out, f)
	}
	return out, nil
}

// CaseFactsVersion is the version of the case facts of the actor's site
// (migration 00032): it changes with every statement that changes
// something CaseFacts reads at the site, in the writing transaction. Read
// it before the facts, so that facts cached under it are never older than
// it says. 0 when the site has none yet.
func (s *Store) CaseFactsVersion() (int64, error) {
	var vs []int64
	if err := s.db.Raw(`SELECT version FROM prevention.case_facts_versions WHERE site_id = ?`, s.actor.SiteID).Scan(&vs).Error; err != nil {
		return 0, fmt.Errorf("models: case facts version: %w", err)
	}
	if len(vs) == 0 {
		return 0, nil
	}
	return vs[0], nil
}

// soonestExpiry is the soonest expiry, within ProgramEndNotice days of
// day, of a consent given and not yet expired.
func soonestExpiry(cs []Consent, day time.Time) *time.Time {
	var soonest *time.Time
	for _, k := range cs {
		if k.State == ConsentGiven && k.ExpiresOn != nil && !k.ExpiresOn.Before(day) &&
			!k.ExpiresOn.After(day.AddDate(0, 0, ProgramEndNotice)) && (soonest == nil || k.ExpiresOn.Before(*soonest)) {
			soonest = k.ExpiresOn
		}
	}
	return soonest
}

// ParticipantNames decrypts the names ("first last") of the given
// participants that the actor may see, in one statement.
func (s *Store) ParticipantNames(ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cs, err := s.childNames("p.id = ANY (?::uuid[])", 0, idArray(ids))
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		out[c.ID] = c.Name()
	}
	return out, nil
}

// SortFactsBy orders facts by a date (missing dates last), then case
// number.
func SortFactsBy(fs []CaseFact, date func(*CaseFact) *time.Time) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := date(&fs[i]), date(&fs[j])
		switch {
		case a == nil && b == nil:
			return fs[i].CaseNumber < fs[j].CaseNumber
		case a == nil || b == nil:
			return b == nil
		case !a.Equal(*b):
			return a.Before(*b)
		}
		return fs[i].CaseNumber < fs[j].CaseNumber
	})
}
