package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// closingForm is the closing interview as typed. Outcome is "completed" or
// "ended_early"; Goals maps goal ids to their outcome.
type closingForm struct {
	EndedOn, Outcome, EndReason, Assessment, Handover string
	Goals                                             map[string]string
	Version                                           int
}

// GoalOutcome is the outcome chosen for a goal.
func (f closingForm) GoalOutcome(id string) string { return f.Goals[id] }

type closingFormData struct {
	P          *models.Participant
	Form       closingForm
	Goals      []models.Goal
	Outcomes   []string
	Handovers  []string
	EndReasons []string
	Today      string
	Conflict   bool
	Problems   []string
}

// closingNew shows the closing interview of an active case; other cases
// have no interview to hold and go back to their page.
func (h *handlers) closingNew(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	if p.Status != models.StatusActive {
		return c.Redirect(caseURL(p.ID, "case-closing"), fiber.StatusSeeOther)
	}
	day := today(c)
	f := closingForm{EndedOn: formatDate(&day), Outcome: string(models.StatusCompleted), Goals: map[string]string{}, Version: p.Version}
	return h.renderClosingForm(c, p, f, nil, false)
}

// closingCreate records the interview, sets each goal's outcome and ends
// the case as completed or ended_early, in one step (closeCase). Invalid
// input is 422, a stale version 409; both keep what was typed.
func (h *handlers) closingCreate(c *fiber.Ctx) error {
	id := c.Params("id")
	p, err := store(c).ParticipantByID(id)
	if err != nil {
		return err
	}
	f := closingForm{EndedOn: strings.TrimSpace(c.FormValue("ended_on")), Outcome: c.FormValue("outcome"),
		EndReason: c.FormValue("end_reason"), Assessment: c.FormValue("assessment"), Handover: c.FormValue("handover"),
		Goals: map[string]string{}, Version: formVersion(c)}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if gid, ok := strings.CutPrefix(string(k), "goal_"); ok {
			f.Goals[gid] = string(v)
		}
	})
	dp := newDateParser()
	ended := dp.opt("ended_on", f.EndedOn)
	if f.EndedOn == "" {
		dp.v.Add("ended_on", "validation.required", nil)
	}
	completed := f.Outcome == string(models.StatusCompleted)
	if !completed && f.Outcome != string(models.StatusEndedEarly) {
		dp.v.Add("outcome", "validation.oneof", nil)
	}
	reason := ""
	if !completed {
		reason = f.EndReason
	}
	if err = dp.err(); err == nil {
		_, err = closeCase(c, id, f.Version, models.ClosingInput{EndedOn: *ended, Assessment: f.Assessment, Handover: f.Handover,
			Outcomes: f.Goals, Completed: completed, EndReason: reason})
	}
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		return h.renderClosingForm(c.Status(fiber.StatusUnprocessableEntity), p, f, ve, false)
	case errors.Is(err, models.ErrConflict):
		// Saving again overwrites the other change, as on the other forms.
		f.Version = p.Version
		return h.renderClosingForm(c.Status(fiber.StatusConflict), p, f, nil, true)
	case err != nil:
		return err
	}
	return h.backToCase(c, id, "flash.case_closed")
}

func (h *handlers) renderClosingForm(c *fiber.Ctx, p *models.Participant, f closingForm, ve *models.ValidationError, conflict bool) error {
	goals, err := store(c).GoalsOf(p.ID)
	if err != nil {
		return err
	}
	day := today(c)
	data := closingFormData{P: p, Form: f, Goals: goals, Outcomes: models.GoalOutcomes, Handovers: models.Handovers,
		EndReasons: models.EndReasons, Today: formatDate(&day), Conflict: conflict}
	l := h.s.localizer(c)
	var errs map[string]string
	if ve != nil {
		errs = formErrors(l, ve)
		for _, fe := range ve.Fields {
			data.Problems = append(data.Problems, l.TData(fe.MessageID, fieldData(l, fe)))
		}
	}
	page := h.s.newPage(c, "closing.title", data)
	page.Title, page.Errors = l.T("closing.title_case", "CaseNumber", p.CaseNumber), errs
	return h.s.renderPage(c, "closing_form.html", page)
}
