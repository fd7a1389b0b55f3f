package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The small forms of the case page for the casework over time: goals,
// case reviews and extensions of the program period. A refused form shows
// the case page again with the reason and what was typed (caseFailure).

// goalCreate adds a goal to the case plan.
func (h *handlers) goalCreate(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := store(c).ParticipantByID(id); err != nil {
		return err
	}
	title, target := strings.TrimSpace(c.FormValue("title")), c.FormValue("target_on")
	dp := newDateParser()
	on := dp.opt("target_on", target)
	err := dp.err()
	var g *models.Goal
	if err == nil {
		g, err = store(c).CreateGoal(id, title, on, today(c))
	}
	if err == nil {
		err = audit(c, currentUser(c), models.AuditGoalCreate, "participant", id, map[string]any{"goal_id": g.ID})
	}
	if err != nil {
		keepCaseInput(c, "title", title, "target_on", target)
		return h.caseFailure(c, id, err)
	}
	return h.backToCase(c, id, "flash.goal_added")
}

// goalUpdate changes a goal's progress (409 on a stale version).
func (h *handlers) goalUpdate(c *fiber.Ctx) error {
	g, err := store(c).GoalByID(c.Params("id"))
	if err != nil {
		return err
	}
	progress := c.FormValue("progress")
	_, err = store(c).UpdateGoal(g.ID, formVersion(c), models.GoalPatch{Progress: &progress}, today(c))
	if err == nil {
		err = audit(c, currentUser(c), models.AuditGoalUpdate, "participant", g.ParticipantID, map[string]any{"goal_id": g.ID})
	}
	if err != nil {
		return h.caseFailure(c, g.ParticipantID, err)
	}
	return h.backToCase(c, g.ParticipantID, "flash.goal_saved")
}

// reviewCreate records a case review (SPEC §3: at least every 8 weeks).
func (h *handlers) reviewCreate(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := store(c).ParticipantByID(id); err != nil {
		return err
	}
	held, notes := c.FormValue("held_on"), c.FormValue("notes")
	dp := newDateParser()
	on := dp.opt("held_on", held)
	if held == "" {
		dp.v.Add("held_on", "validation.required", nil)
	}
	err := dp.err()
	var r *models.Review
	if err == nil {
		r, err = store(c).RecordReview(id, *on, notes, today(c))
	}
	if err == nil {
		err = audit(c, currentUser(c), models.AuditReviewRecord, "participant", id, map[string]any{"review_id": r.ID})
	}
	if err != nil {
		keepCaseInput(c, "held_on", held, "notes", notes)
		return h.caseFailure(c, id, err)
	}
	return h.backToCase(c, id, "flash.review_recorded")
}

// extensionCreate extends the program period by six months, with a reason.
func (h *handlers) extensionCreate(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := store(c).ParticipantByID(id); err != nil {
		return err
	}
	reason := c.FormValue("reason")
	_, err := store(c).ExtendProgram(id, reason)
	if err == nil {
		err = audit(c, currentUser(c), models.AuditProgramExtend, "participant", id, nil)
	}
	if err != nil {
		keepCaseInput(c, "reason", reason)
		return h.caseFailure(c, id, err)
	}
	return h.backToCase(c, id, "flash.program_extended")
}
