package app

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// consentForm is the consent form as typed. GuardianID is a guardian's id,
// assentChoice for the young person's own assent, or "" when nobody was
// chosen (refused: the form never defaults to the assent).
type consentForm struct {
	GuardianID, FormVersion, FormLanguage, State, GivenOn, ExpiresOn, MediatorID string
	Purposes                                                                     []string
}

// HasPurpose reports whether the purpose's checkbox is ticked.
func (f consentForm) HasPurpose(p models.Purpose) bool {
	for _, x := range f.Purposes {
		if x == string(p) {
			return true
		}
	}
	return false
}

type consentFormData struct {
	P    *models.Participant
	Form consentForm
	// Guardians are those who may give consent: the ones with custody.
	Guardians []models.Guardian
	// Assent offers the young person's own assent (from 14 only).
	Assent    bool
	Mediators []models.Staff
	Purposes  []models.Purpose
	States    []models.ConsentState
	Languages []string
}

// assentChoice is the value of the consent form's "own assent" option.
const assentChoice = "assent"

// currentFormVersion is the consent form version offered by default.
const currentFormVersion = "2026-1"

// consentNew shows the form that records a consent (or assent).
func (h *handlers) consentNew(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	f := consentForm{FormVersion: currentFormVersion, FormLanguage: "de", State: string(models.ConsentGiven), GivenOn: formatDate(ptr(today(c)))}
	if fam, err := store(c).FamilyByID(p.FamilyID); err != nil {
		return err
	} else if langs := fam.InterpreterLanguages(); len(langs) > 0 {
		f.FormLanguage = langs[0]
	}
	// A guardian with custody comes first; the young person's own assent
	// (from 14) is chosen on purpose, never by default.
	gs, err := custodians(store(c), p.ID)
	if err != nil {
		return err
	}
	if len(gs) > 0 {
		f.GuardianID = gs[0].ID
	}
	return h.renderConsentForm(c, p, f, nil)
}

// custodians are the participant's guardians with custody, who alone give
// consent (SPEC §4).
func custodians(st *models.Store, participantID string) ([]models.Guardian, error) {
	gs, err := st.GuardiansOf(participantID)
	if err != nil {
		return nil, err
	}
	out := gs[:0]
	for _, g := range gs {
		if g.HasCustody {
			out = append(out, g)
		}
	}
	return out, nil
}

func (h *handlers) renderConsentForm(c *fiber.Ctx, p *models.Participant, f consentForm, errs map[string]string) error {
	gs, err := custodians(store(c), p.ID)
	if err != nil {
		return err
	}
	meds, err := store(c).StaffOfSite(p.SiteID, models.RoleMediator)
	if err != nil {
		return err
	}
	data := consentFormData{P: p, Form: f, Guardians: gs, Assent: p.Age(today(c)) >= models.AssentAge, Mediators: meds, Purposes: models.Purposes,
		States:    []models.ConsentState{models.ConsentGiven, models.ConsentRequested, models.ConsentRefused},
		Languages: models.FamilyLanguageCodes}
	page := h.s.newPage(c, "consent.title", data)
	page.Errors = errs
	return h.s.renderPage(c, "consent_form.html", page)
}

// consentCreate records the consent and returns to the case.
func (h *handlers) consentCreate(c *fiber.Ctx) error {
	id := c.Params("id")
	p, err := store(c).ParticipantByID(id)
	if err != nil {
		return err
	}
	f := consentForm{GuardianID: c.FormValue("guardian_id"), FormVersion: strings.TrimSpace(c.FormValue("form_version")),
		FormLanguage: c.FormValue("form_language"), State: c.FormValue("state"), GivenOn: c.FormValue("given_on"),
		ExpiresOn: c.FormValue("expires_on"), MediatorID: c.FormValue("mediator_id"), Purposes: formValues(c, "purposes")}
	dp := newDateParser()
	guardianID := f.GuardianID
	switch guardianID {
	case "":
		dp.v.Add("guardian_id", "validation.required", nil)
	case assentChoice:
		guardianID = ""
	}
	in := models.ConsentInput{GuardianID: guardianID, FormVersion: f.FormVersion, FormLanguage: f.FormLanguage,
		State: models.ConsentState(f.State), GivenOn: dp.opt("given_on", f.GivenOn), ExpiresOn: dp.opt("expires_on", f.ExpiresOn),
		MediatorID: f.MediatorID}
	if in.State != models.ConsentGiven {
		// Only a given consent has a date of giving; the form pre-fills it.
		in.GivenOn = nil
	}
	for _, pu := range f.Purposes {
		in.Purposes = append(in.Purposes, models.Purpose(pu))
	}
	if err = dp.err(); err == nil {
		_, err = recordConsent(c, id, in)
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderConsentForm(c.Status(fiber.StatusUnprocessableEntity), p, f, formErrors(h.s.localizer(c), ve))
	}
	if err != nil {
		return err
	}
	return h.backToCase(c, id, "flash.consent_recorded")
}

// consentWithdraw withdraws a given consent as of a date (SPEC §4); the
// store moves an active case to withdrawn when participation lapses.
func (h *handlers) consentWithdraw(c *fiber.Ctx) error {
	k, err := store(c).ConsentByID(c.Params("id"))
	if err != nil {
		return err
	}
	dp := newDateParser()
	on := dp.opt("withdrawn_on", c.FormValue("withdrawn_on"))
	if on == nil && c.FormValue("withdrawn_on") == "" {
		dp.v.Add("withdrawn_on", "validation.required", nil)
	}
	if err = dp.err(); err == nil {
		_, err = withdrawConsent(c, k.ID, *on)
	}
	if err != nil {
		return h.caseFailure(c, k.ParticipantID, err)
	}
	return h.backToCase(c, k.ParticipantID, "flash.consent_withdrawn")
}

// consentAnswer records the family's answer to a requested consent:
// given on a date, or refused.
func (h *handlers) consentAnswer(c *fiber.Ctx) error {
	k, err := store(c).ConsentByID(c.Params("id"))
	if err != nil {
		return err
	}
	version, verr := strconv.Atoi(c.FormValue("version"))
	dp := newDateParser()
	state := models.ConsentState(c.FormValue("state"))
	var on *time.Time
	if state == models.ConsentGiven {
		on = dp.opt("given_on", c.FormValue("given_on"))
	}
	switch {
	case verr != nil:
		err = models.ErrConflict
	case dp.err() != nil:
		err = dp.err()
	default:
		_, err = answerConsent(c, k.ID, version, state, on)
	}
	if err != nil {
		return h.caseFailure(c, k.ParticipantID, err)
	}
	return h.backToCase(c, k.ParticipantID, "flash.consent_answered")
}

func ptr[T any](v T) *T { return &v }
