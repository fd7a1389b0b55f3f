package models

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

type consentRow struct {
	ID            string
	ParticipantID string
	GuardianID    *string
	Purposes      TextArray
	FormVersion   string
	FormLanguage  string
	State         ConsentState
	GivenOn       *time.Time
	ExpiresOn     *time.Time
	WithdrawnOn   *time.Time
	RecordedBy    string
	MediatorID    *string
	Version       int
	CreatedAt     time.Time `gorm:"->"`
	UpdatedAt     time.Time
}

func (consentRow) TableName() string { return "prevention.consents" }

// ConsentEvent is one entry of a consent's history; never changed.
type ConsentEvent struct {
	ID          int64
	ConsentID   string
	State       ConsentState
	EffectiveOn *time.Time
	ChangedBy   *string
	ChangedAt   time.Time `gorm:"->"`
}

// TableName implements gorm's Tabler.
func (ConsentEvent) TableName() string { return "prevention.consent_events" }

func (r *consentRow) consent() Consent {
	c := Consent{ID: r.ID, ParticipantID: r.ParticipantID, GuardianID: deref(r.GuardianID), FormVersion: r.FormVersion,
		FormLanguage: r.FormLanguage, State: r.State, GivenOn: r.GivenOn, ExpiresOn: r.ExpiresOn, WithdrawnOn: r.WithdrawnOn,
		RecordedBy: r.RecordedBy, MediatorID: deref(r.MediatorID), Version: r.Version, CreatedAt: r.CreatedAt}
	for _, p := range r.Purposes {
		c.Purposes = append(c.Purposes, Purpose(p))
	}
	return c
}

// ConsentInput records a consent. GuardianID empty is the young person's
// own assent. State is requested, given (needs GivenOn) or refused.
type ConsentInput struct {
	GuardianID   string
	Purposes     []Purpose
	FormVersion  string
	FormLanguage string
	State        ConsentState
	GivenOn      *time.Time
	ExpiresOn    *time.Time
	MediatorID   string
}

// consentEarliest is the earliest plausible day a consent for p was given:
// not before the child was born, and at most five years back.
func consentEarliest(p *Participant, today time.Time) time.Time {
	earliest := today.AddDate(-5, 0, 0)
	if p.DateOfBirth != nil && p.DateOfBirth.After(earliest) {
		earliest = *p.DateOfBirth
	}
	return earliest
}

// RecordConsent stores a consent for a visible participant, with its first
// history event.
func (s *Store) RecordConsent(participantID string, in ConsentInput, today time.Time) (*Consent, error) {
	p, err := s.ParticipantByID(participantID)
	if err != nil {
		return nil, err
	}
	if in.State == "" {
		in.State = ConsentGiven
	}
	v := &ValidationError{}
	if len(in.Purposes) == 0 {
		v.Add("purposes", "validation.required", nil)
	}
	for _, pu := range in.Purposes {
		if !contains(Purposes, pu) {
			v.Add("purposes", "validation.oneof", nil)
			break
		}
	}
	if n := len(in.FormVersion); n < 1 || n > 40 {
		v.Add("form_version", "validation.required", nil)
	}
	if !languageCodeRE.MatchString(in.FormLanguage) {
		v.Add("form_language", "validation.language", nil)
	}
	switch in.State {
	case ConsentGiven:
		if in.GivenOn == nil {
			v.Add("given_on", "validation.required", nil)
		} else if dateOf(*in.GivenOn).After(dateOf(today)) {
			v.Add("given_on", "validation.not_future", nil)
		} else {
			v.DayWithin("given_on", *in.GivenOn, consentEarliest(p, today), today)
		}
	case ConsentRequested, ConsentRefused:
	default:
		v.Add("state", "validation.oneof", nil)
	}
	if in.ExpiresOn != nil && in.GivenOn != nil && !in.ExpiresOn.After(*in.GivenOn) {
		v.Add("expires_on", "validation.after_given", nil)
	} else if in.ExpiresOn != nil {
		v.DayWithin("expires_on", *in.ExpiresOn, today.AddDate(-5, 0, 0), today.AddDate(10, 0, 0))
	}
	// Who may give it: a guardian with custody; the child's own assent
	// only from 14 (on the day it is given, else today).
	var giver *GuardianLink
	if in.GuardianID != "" {
		gs, err := s.GuardiansOf(participantID)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.ID == in.GuardianID {
				giver = &GuardianLink{GuardianID: g.ID, HasCustody: g.HasCustody}
			}
		}
		if giver == nil {
			v.Add("guardian_id", "validation.guardian_unknown", nil)
		}
	}
	if p.DateOfBirth != nil && (in.GuardianID == "" || giver != nil) {
		day := today
		if in.GivenOn != nil {
			day = *in.GivenOn
		}
		if msg := ConsentGiverRefusal(*p.DateOfBirth, giver, day); msg != "" {
			v.Add("guardian_id", msg, map[string]any{"Age": AssentAge})
		}
	}
	if in.MediatorID != "" {
		if u, err := s.StaffByID(in.MediatorID); err != nil || u.Role != RoleMediator || u.SiteID != p.SiteID {
			v.Add("mediator_id", "validation.mediator_unknown", nil)
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	row := consentRow{ID: uuid.NewString(), ParticipantID: participantID, GuardianID: nilIfEmpty(in.GuardianID),
		FormVersion: in.FormVersion, FormLanguage: in.FormLanguage, State: in.State, GivenOn: in.GivenOn,
		ExpiresOn: in.ExpiresOn, RecordedBy: s.actor.UserID, MediatorID: nilIfEmpty(in.MediatorID), Version: 1, UpdatedAt: time.Now()}
	for _, pu := range in.Purposes {
		row.Purposes = append(row.Purposes, string(pu))
	}
	if err := s.db.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("models: create consent: %w", err)
	}
	eff := in.GivenOn
	if eff == nil {
		d := dateOf(today)
		eff = &d
	}
	if err := s.consentEvent(row.ID, in.State, eff); err != nil {
		return nil, err
	}
	return s.ConsentByID(row.ID)
}

func (s *Store) consentEvent(consentID string, state ConsentState, on *time.Time) error {
	ev := ConsentEvent{ConsentID: consentID, State: state, EffectiveOn: on, ChangedBy: nilIfEmpty(s.actor.UserID)}
	if err := s.db.Omit("id").Create(&ev).Error; err != nil {
		return fmt.Errorf("models: consent history: %w", err)
	}
	return nil
}

// ConsentByID returns a visible consent.
func (s *Store) ConsentByID(id string) (*Consent, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: consent %s: %w", id, ErrNotFound)
	}
	var row consentRow
	if err := s.db.Where("id = ?", id).Take(&row).Error; err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: consent %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("models: consent %s: %w", id, err)
	}
	c := row.consent()
	return &c, nil
}

// ConsentsOf lists a participant's consents, newest first.
func (s *Store) ConsentsOf(participantID string) ([]Consent, error) {
	var rows []consentRow
	if err := s.db.Where("participant_id = ?", participantID).Order("created_at DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: consents: %w", err)
	}
	out := make([]Consent, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].consent())
	}
	return out, nil
}

// ConsentHistory lists the events of a consent, oldest first.
func (s *Store) ConsentHistory(consentID string) ([]ConsentEvent, error) {
	var out []ConsentEvent
	if err := s.db.Where("consent_id = ?", consentID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: consent history: %w", err)
	}
	return out, nil
}

// MissingConsent applies the consent rule to a participant on day.
func (s *Store) MissingConsent(p *Participant, day time.Time) ([]Missing, error) {
	if p.DateOfBirth == nil {
		return nil, fmt.Errorf("models: consent check needs the date of birth: %w", ErrNotFound)
	}
	gs, err := s.GuardiansOf(p.ID)
	if err != nil {
		return nil, err
	}
	cs, err := s.ConsentsOf(p.ID)
	if err != nil {
		return nil, err
	}
	links := make([]GuardianLink, 0, len(gs))
	for _, g := range gs {
		links = append(links, GuardianLink{GuardianID: g.ID, HasCustody: g.HasCustody})
	}
	return ParticipationConsent(*p.DateOfBirth, links, cs, day), nil
}

// MissingConsents applies the consent rule on day to several visible
// participants at once, given their dates of birth by id: one statement
// reads the custody links and consents of all of them. It returns what is
// missing per participant (none: valid).
func (s *Store) MissingConsents(datesOfBirth map[string]time.Time, day time.Time) (map[string][]Missing, error) {
	out := map[string][]Missing{}
	if len(datesOfBirth) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(datesOfBirth))
	for id := range datesOfBirth {
		ids = append(ids, id)
	}
	links, consents, err := s.linksAndConsents("= ANY (?::uuid[])", idArray(ids))
	if err != nil {
		return nil, err
	}
	for id, dob := range datesOfBirth {
		if m := ParticipationConsent(dob, links[id], consents[id], day); len(m) > 0 {
			out[id] = m
		}
	}
	return out, nil
}

// linksAndConsents reads, in one statement, the guardian links and the
// consents of the participants whose id satisfies "participant_id <in>"
// (in: "= ANY (?::uuid[])" with an idArray, or "IN (SELECT …)"), by
// participant.
func (s *Store) linksAndConsents(in string, arg ...any) (map[string][]GuardianLink, map[string][]Consent, error) {
	var rows []struct {
		ParticipantID string
		Link          bool
		GuardianID    *string
		HasCustody    bool
		Purposes      TextArray
		State         *string
		GivenOn       *time.Time
		ExpiresOn     *time.Time
		WithdrawnOn   *time.Time
	}
	err := s.db.Raw(`SELECT pg.participant_id, true AS link, pg.guardian_id, pg.has_custody,
			NULL::text[] AS purposes, NULL AS state, NULL::date AS given_on, NULL::date AS expires_on, NULL::date AS withdrawn_on
		FROM prevention.participant_guardians pg WHERE pg.participant_id `+in+`
		UNION ALL
		SELECT c.participant_id, false, c.guardian_id, false, c.purposes, c.state, c.given_on, c.expires_on, c.withdrawn_on
		FROM prevention.consents c WHERE c.participant_id `+in, append(arg, arg...)...).Scan(&rows).Error
	if err != nil {
		return nil, nil, fmt.Errorf("models: consents: %w", err)
	}
	links := map[string][]GuardianLink{}
	consents := map[string][]Consent{}
	for i := range rows {
		r := &rows[i]
		if r.Link {
			links[r.ParticipantID] = append(links[r.ParticipantID], GuardianLink{GuardianID: deref(r.GuardianID), HasCustody: r.HasCustody})
			continue
		}
		c := consentRow{ParticipantID: r.ParticipantID, GuardianID: r.GuardianID, Purposes: r.Purposes, State: ConsentState(deref(r.State)),
			GivenOn: r.GivenOn, ExpiresOn: r.ExpiresOn, WithdrawnOn: r.WithdrawnOn}
		consents[r.ParticipantID] = append(consents[r.ParticipantID], c.consent())
	}
	return links, consents, nil
}

// AnswerConsent records the family's answer to a requested consent: given
// (on a date) or refused. Other transitions are not answers: withdrawal has
// its own action, expiry its job.
func (s *Store) AnswerConsent(id string, version int, state ConsentState, givenOn *time.Time, today time.Time) (*Consent, error) {
	c, err := s.ConsentByID(id)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	switch {
	case c.State != ConsentRequested:
		v.Add("state", "validation.consent_not_requested", nil)
	case state == ConsentGiven && givenOn == nil:
		v.Add("given_on", "validation.required", nil)
	case state == ConsentGiven && dateOf(*givenOn).After(dateOf(today)):
		v.Add("given_on", "validation.not_future", nil)
	case state == ConsentGiven && dateOf(*givenOn).Before(dateOf(today.AddDate(-5, 0, 0))):
		v.DayWithin("given_on", *givenOn, today.AddDate(-5, 0, 0), today)
	case state == ConsentGiven && c.ExpiresOn != nil && !c.ExpiresOn.After(*givenOn):
		v.Add("given_on", "validation.before_expiry", nil)
	case state != ConsentGiven && state != ConsentRefused:
		v.Add("state", "validation.oneof", nil)
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	upd := map[string]any{"state": state, "version": gormExpr("version + 1"), "updated_at": time.Now()}
	on := dateOf(today)
	if state == ConsentGiven {
		on = dateOf(*givenOn)
		upd["given_on"] = on
	}
	if err := s.updateVersioned(&consentRow{}, id, version, c.Version, upd); err != nil {
		return nil, fmt.Errorf("models: consent %s: %w", id, err)
	}
	if err := s.consentEvent(id, state, &on); err != nil {
		return nil, err
	}
	return s.ConsentByID(id)
}

// WithdrawConsent withdraws a given consent as of withdrawnOn (one action,
// SPEC §4): from that day its purposes are invalid. When that leaves an
// active participant without valid participation consent, the participant
// moves to withdrawn. The history keeps every step.
func (s *Store) WithdrawConsent(id string, withdrawnOn, today time.Time) (*Consent, error) {
	c, err := s.ConsentByID(id)
	if err != nil {
		return nil, err
	}
	if c.State != ConsentGiven {
		v := &ValidationError{}
		v.Add("state", "validation.consent_not_given", nil)
		return nil, v
	}
	if dateOf(withdrawnOn).After(dateOf(today)) {
		v := &ValidationError{}
		v.Add("withdrawn_on", "validation.not_future", nil)
		return nil, v
	}
	if c.GivenOn != nil && dateOf(withdrawnOn).Before(dateOf(*c.GivenOn)) {
		v := &ValidationError{}
		v.Add("withdrawn_on", "validation.after_given", nil)
		return nil, v
	}
	day := dateOf(withdrawnOn)
	upd := map[string]any{"state": ConsentWithdrawn, "withdrawn_on": day, "version": gormExpr("version + 1"), "updated_at": time.Now()}
	if err := s.updateVersioned(&consentRow{}, id, c.Version, c.Version, upd); err != nil {
		return nil, fmt.Errorf("models: consent %s: %w", id, err)
	}
	if err := s.consentEvent(id, ConsentWithdrawn, &day); err != nil {
		return nil, err
	}
	if c.Covers(PurposeParticipation) || c.Covers(PurposeDataProcessing) {
		p, err := s.ParticipantByID(c.ParticipantID)
		if err != nil {
			return nil, err
		}
		missing, err := s.MissingConsent(p, maxTime(today, day))
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			if err := s.cancelPlannedSessions(p.ID); err != nil {
				return nil, err
			}
			if err := s.cancelPlannedVisits(p.ID); err != nil {
				return nil, err
			}
		}
		if p.Status == StatusActive {
			missing, err := s.MissingConsent(p, maxTime(today, day))
			if err != nil {
				return nil, err
			}
			if len(missing) > 0 {
				if _, err := s.setStatus(p, StatusWithdrawn, "", maxTime(today, day)); err != nil {
					return nil, err
				}
			}
		}
	}
	return s.ConsentByID(id)
}

// ExpireConsents marks given consents whose expiry date has come as
// expired, with a history event each, for every site (the database function
// runs as its owner; see migration 00004). Validity never waits for this
// job: ValidOn already treats them as invalid. Safe on several instances.
func (s *Store) ExpireConsents(today time.Time) (int, error) {
	var n int
	if err := s.db.Raw("SELECT prevention.expire_consents(?)", dateOf(today)).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("models: expire consents: %w", err)
	}
	return n, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
