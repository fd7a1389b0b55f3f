package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Irreversible steps are deliberate: "completed" only through the closing
// interview; declined, ended_early and withdrawn only after a page of
// their own that says what happens (works without JavaScript: the case
// page links to it, and a post without the confirmation lands there too);
// a coordinator can reopen a case closed in error within ReopenDays.

// statusAction is one way forward from the case's status on the case page.
type statusAction struct {
	To models.Status
	// Via is "form" (one button), "closing" (the closing interview) or
	// "confirm" (a confirmation page).
	Via string
}

func statusActions(from models.Status) []statusAction {
	var out []statusAction
	for _, to := range models.NextStatuses(from) {
		a := statusAction{To: to, Via: "form"}
		switch {
		case to == models.StatusCompleted:
			a.Via = "closing"
		case models.NeedsConfirmation(to):
			a.Via = "confirm"
		}
		out = append(out, a)
	}
	return out
}

// statusItem is one line of the case's status history.
type statusItem struct {
	On, From, To, Reason, Note string
	Reopened                   bool
}

type statusConfirmData struct {
	P          *models.Participant
	To         models.Status
	NeedReason bool
	EndReasons []string
	Reason     string
	ReopenDays int
}

// statusConfirm asks before a case ends for good (GET
// /participants/:id/status/:to).
func (h *handlers) statusConfirm(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	to := models.Status(c.Params("to"))
	if !models.NeedsConfirmation(to) || !models.CanTransition(p.Status, to) {
		return fiber.ErrNotFound
	}
	return h.renderStatusConfirm(c, p, to, "", nil)
}

func (h *handlers) renderStatusConfirm(c *fiber.Ctx, p *models.Participant, to models.Status, reason string, errs map[string]string) error {
	d := statusConfirmData{P: p, To: to, NeedReason: to == models.StatusEndedEarly || to == models.StatusDeclined,
		EndReasons: models.EndReasons, Reason: reason, ReopenDays: models.ReopenDays}
	page := h.s.newPage(c, "status_confirm.title", d)
	page.Errors = errs
	return h.s.renderPage(c, "status_confirm.html", page)
}

// participantReopen takes a case closed in error back (coordinators).
func (h *handlers) participantReopen(c *fiber.Ctx) error {
	id := c.Params("id")
	p, err := store(c).ReopenCase(id, formVersion(c), c.FormValue("reason"), today(c))
	if err == nil {
		err = audit(c, currentUser(c), models.AuditParticipantReopen, "participant", id, map[string]any{"to": string(p.Status)})
	}
	if err != nil {
		return h.caseFailure(c, id, err)
	}
	return h.backToCase(c, id, "flash.case_reopened")
}

// statusFailure shows a refused confirmed status change on its own page
// again; other refusals go to the case page.
func (h *handlers) statusFailure(c *fiber.Ctx, id string, to models.Status, err error) error {
	var ve *models.ValidationError
	if !models.NeedsConfirmation(to) || !errors.As(err, &ve) {
		return h.caseFailure(c, id, err)
	}
	p, perr := store(c).ParticipantByID(id)
	if perr != nil {
		return perr
	}
	return h.renderStatusConfirm(c.Status(fiber.StatusUnprocessableEntity), p, to, c.FormValue("end_reason"), formErrors(h.s.localizer(c), ve))
}

// apiParticipantReopen is POST /api/v1/participants/{id}/reopen
// {version, reason} (coordinators).
func (h *handlers) apiParticipantReopen(c *fiber.Ctx) error {
	var in struct {
		Version *int   `json:"version" validate:"required"`
		Reason  string `json:"reason" validate:"required,max=2000"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	id := c.Params("id")
	p, err := store(c).ReopenCase(id, *in.Version, in.Reason, today(c))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditParticipantReopen, "participant", id, map[string]any{"to": string(p.Status)}); err != nil {
		return err
	}
	return c.JSON(participantOut(p, siteCode(c)))
}
