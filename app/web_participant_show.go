package app

import (
	"time"

	"errors"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// caseView is the data of participant_show.html. For a language mediator
// (Limited) only the participant's names, languages and status, the family
// and the guardians are loaded: the mediation database role could not read
// more, and the page must not ask.
type caseView struct {
	// assigned are the case's assignments as loadCasework read them (case
	// staff only), for the visit form's preselection.
	assigned    []models.Assignment
	P           *models.Participant
	Limited     bool
	Coordinator bool
	Languages   []langChoice
	Family      *models.Family
	FamilyLangs []langChoice
	Guardians   []guardianItem
	// Unconfirmed are the guardians carried over from a referral whose
	// relationship and custody staff have not confirmed yet, with the
	// relationships the confirmation offers (case staff only).
	Unconfirmed   []guardianItem
	Relationships []string
	// Referrals are the police referrals taken into this case, oldest
	// first: more than one is a re-referral (case staff only).
	Referrals []referralItem

	Age         int
	DateOfBirth string
	Next        []statusAction
	// Reopen offers reopening a case closed in error (coordinators,
	// within models.ReopenDays).
	Reopen bool
	// History is the status history, oldest first.
	History    []statusItem
	EndReasons []string
	Consents   []consentItem
	Missing    []caseNote
	// MissingBy is Missing in short, one line per guardian (summary).
	MissingBy    []caseNote
	Assignments  []assignmentItem
	Workers      []models.Staff
	Kinds        []string
	Today        string
	AlertMessage string
	AlertItems   []caseNote
	// Work is the casework over time (sessions, goals, reviews, program
	// period, closing); nil for language mediators.
	Work *caseworkView
	// Assessment is the assessments section (web_assessments.go); nil for
	// language mediators.
	Assessment *assessmentView

	// Visits is the family visits section (web_visits.go), for everyone.
	Visits *visitsView
	// Proposal is the mediators of the assignment form, best match for
	// the family's interpreter languages first (coordinators).
	Proposal *mediatorProposal

	// Summary and Sections are the top of the page: what needs attention
	// and the index of the sections (web_case_summary.go).
	Summary  *caseSummary
	Sections []caseSection
	// Flash is the message of the save that led here, shown in the
	// section FlashAt that was saved (see caseFlashSections).
	Flash, FlashAt string
}

// caseNote is one line of a list of problems; Who names the guardian a
// missing consent belongs to, if any.
type caseNote struct {
	Who, Text string
}

type guardianItem struct {
	models.Guardian
	Langs []langChoice
}

// caseIssue is why an action on the participant page was refused, shown
// on the page itself.
type caseIssue struct {
	MessageID string
	Missing   []models.Missing
	Invalid   *models.ValidationError
}

// participantShow shows one case; the read is audited.
func (h *handlers) participantShow(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	return h.renderCase(c, p, nil)
}

func (h *handlers) renderCase(c *fiber.Ctx, p *models.Participant, issue *caseIssue) error {
	st, u, l := store(c), currentUser(c), h.s.localizer(c)
	v := &caseView{P: p, Limited: p.Limited || u.Role == models.RoleMediator, Coordinator: u.Role == models.RoleCoordinator,
		Languages: chosenLanguages(p.Languages)}
	fam, err := st.FamilyByID(p.FamilyID)
	if err != nil {
		return err
	}
	v.Family, v.FamilyLangs = fam, familyDisplay(fam)
	gs, err := st.GuardiansOf(p.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, g := range gs {
		names[g.ID] = g.FirstName + " " + g.LastName
		v.Guardians = append(v.Guardians, guardianItem{Guardian: g, Langs: chosenLanguages(g.Languages)})
	}
	if !v.Limited {
		for _, g := range v.Guardians {
			if !g.CustodyConfirmed {
				v.Unconfirmed = append(v.Unconfirmed, g)
			}
		}
		v.Relationships = models.Relationships
		rs, err := st.CaseReferrals(p.ID)
		if err != nil {
			return err
		}
		for _, r := range rs {
			v.Referrals = append(v.Referrals, referralItem{Kind: r.Kind, On: r.DecidedAt.In(programZone).Format(time.DateOnly)})
		}
		if err := h.loadCasework(c, v, names); err != nil {
			return err
		}
	}
	if err := h.loadVisits(c, v); err != nil {
		return err
	}
	summarise(l, v)
	page := h.s.newPage(c, "participant.title", v)
	page.Title = l.T("participant.title_case", "CaseNumber", p.CaseNumber)
	if id, ok := c.Locals(localFlash).(string); ok && v.hasSection(caseFlashSections[id]) {
		v.Flash, v.FlashAt, page.Flash = page.Flash, caseFlashSections[id], ""
	}
	if issue != nil {
		v.AlertMessage = l.T(issue.MessageID)
		v.AlertItems = missingTexts(l, issue.Missing, names)
		if issue.Invalid != nil {
			page.Errors = formErrors(l, issue.Invalid)
			for _, f := range sortedKeys(page.Errors) {
				v.AlertItems = append(v.AlertItems, caseNote{Text: page.Errors[f]})
			}
		}
	}
	return h.s.renderPage(c, "participant_show.html", page)
}

// caseFailure shows the participant page with the reason an action was
// refused (422 for invalid input or missing consent, 409 for a stale
// version). Other errors go to the error page.
func (h *handlers) caseFailure(c *fiber.Ctx, participantID string, err error) error {
	var ce *models.ConsentError
	var ve *models.ValidationError
	status, issue := 0, &caseIssue{}
	switch {
	case errors.As(err, &ce):
		status, issue.MessageID, issue.Missing = fiber.StatusUnprocessableEntity, "error.consent_missing", ce.Missing
	case errors.As(err, &ve):
		status, issue.MessageID, issue.Invalid = fiber.StatusUnprocessableEntity, "error.validation", ve
	case errors.Is(err, models.ErrConflict):
		status, issue.MessageID = fiber.StatusConflict, "error.conflict"
	default:
		return err
	}
	p, perr := readParticipantID(c, participantID)
	if perr != nil {
		return perr
	}
	return h.renderCase(c.Status(status), p, issue)
}

// missingTexts describes missing consents, naming the guardian.
func missingTexts(l *Localizer, missing []models.Missing, names map[string]string) []caseNote {
	var out []caseNote
	for _, m := range missing {
		n := caseNote{Text: missingText(l, m)}
		if m.GuardianID != "" {
			n.Who = names[m.GuardianID]
		}
		out = append(out, n)
	}
	return out
}

// referralItem is one referral of the case's history: how intake took it
// and on which day.
type referralItem struct {
	Kind, On string
}
