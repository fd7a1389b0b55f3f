package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// assignmentCreate assigns a social worker or language mediator of the
// site to a case (coordinators) and returns to the case.
func (h *handlers) assignmentCreate(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := store(c).ParticipantByID(id); err != nil {
		return err
	}
	dp := newDateParser()
	in := models.AssignmentInput{UserID: c.FormValue("user_id"), Kind: c.FormValue("kind"), FromOn: dp.opt("from", c.FormValue("from"))}
	err := dp.err()
	if err == nil {
		_, err = assign(c, id, in)
	}
	if err != nil {
		return h.caseFailure(c, id, err)
	}
	return h.backToCase(c, id, "flash.assigned")
}

// assignmentEnd ends an assignment on a date; its history stays. The form
// names the case to return to, so that a refusal can be shown there.
func (h *handlers) assignmentEnd(c *fiber.Ctx) error {
	dp := newDateParser()
	until := dp.opt("until", c.FormValue("until"))
	if until == nil && c.FormValue("until") == "" {
		dp.v.Add("until", "validation.required", nil)
	}
	err := dp.err()
	var a *models.Assignment
	if err == nil {
		a, err = endAssignment(c, c.Params("id"), *until)
	}
	if err != nil {
		if ref := participantRef(c.FormValue("participant")); ref != "" {
			return h.caseFailure(c, ref, err)
		}
		return err
	}
	return h.backToCase(c, a.ParticipantID, "flash.assignment_ended")
}
