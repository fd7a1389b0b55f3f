package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

type goalJSON struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	TargetOn *string `json:"target_on"`
	Progress string  `json:"progress"`
	Outcome  *string `json:"outcome"`
	Version  int     `json:"version"`
}

func goalOut(g *models.Goal) goalJSON {
	return goalJSON{ID: g.ID, Title: g.Title, TargetOn: optDate(formatDate(g.TargetOn)), Progress: g.Progress,
		Outcome: optString(g.Outcome), Version: g.Version}
}

// apiGoals lists a participant's goals, oldest first, in pages.
func (h *handlers) apiGoals(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	gs, next, err := readPage(c, func(pg models.Page) ([]models.Goal, error) { return store(c).GoalsPage(p.ID, pg) },
		(*models.Goal).Cursor)
	if err != nil {
		return err
	}
	linkNext(c, next)
	out := make([]goalJSON, 0, len(gs))
	for i := range gs {
		out = append(out, goalOut(&gs[i]))
	}
	return c.JSON(out)
}

type goalCreateJSON struct {
	Title    string `json:"title" validate:"required,max=500"`
	TargetOn string `json:"target_on"`
}

// apiGoalCreate adds a goal.
func (h *handlers) apiGoalCreate(c *fiber.Ctx) error {
	var in goalCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	target := dp.opt("target_on", in.TargetOn)
	if err := dp.err(); err != nil {
		return err
	}
	g, err := store(c).CreateGoal(c.Params("id"), in.Title, target, today(c))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditGoalCreate, "participant", g.ParticipantID, map[string]any{"goal_id": g.ID}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(goalOut(g))
}

type goalPatchJSON struct {
	Version  *int    `json:"version" validate:"required"`
	Title    *string `json:"title"`
	TargetOn *string `json:"target_on"`
	Progress *string `json:"progress"`
}

// apiGoalPatch changes a goal (409 on a stale version).
func (h *handlers) apiGoalPatch(c *fiber.Ctx) error {
	var in goalPatchJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	var patch models.GoalPatch
	patch.Title, patch.Progress = in.Title, in.Progress
	if in.TargetOn != nil {
		patch.TargetOn = dp.opt("target_on", *in.TargetOn)
	}
	if err := dp.err(); err != nil {
		return err
	}
	g, err := store(c).UpdateGoal(c.Params("id"), *in.Version, patch, today(c))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditGoalUpdate, "participant", g.ParticipantID, map[string]any{"goal_id": g.ID}); err != nil {
		return err
	}
	return c.JSON(goalOut(g))
}

type reviewJSON struct {
	ID     string `json:"id"`
	HeldOn string `json:"held_on"`
	Notes  string `json:"notes"`
}

// timingJSON tells where a participant stands in the program's calendar.
type timingJSON struct {
	ReviewDue     *string `json:"review_due"`
	ReviewOverdue bool    `json:"review_overdue"`
	LastReview    *string `json:"last_review"`
	Extensions    int     `json:"extensions"`
	ProgramEnd    *string `json:"program_end"`
	EndingSoon    bool    `json:"ending_soon"`
}

func timingOut(t *models.Timing) timingJSON {
	return timingJSON{ReviewDue: optDate(formatDate(t.ReviewDue)), ReviewOverdue: t.ReviewOverdue,
		LastReview: optDate(formatDate(t.LastReview)), Extensions: t.Extensions, ProgramEnd: optDate(formatDate(t.ProgramEnd)),
		EndingSoon: t.EndingSoon}
}

// apiReviews lists a participant's case reviews with the review timing;
// the reviews, newest first, come in pages (the Link names the next).
func (h *handlers) apiReviews(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	rs, next, err := readPage(c, func(pg models.Page) ([]models.Review, error) { return store(c).ReviewsPage(p.ID, pg) },
		(*models.Review).Cursor)
	if err != nil {
		return err
	}
	linkNext(c, next)
	t, err := store(c).TimingOf(p, today(c))
	if err != nil {
		return err
	}
	out := struct {
		Timing  timingJSON   `json:"timing"`
		Reviews []reviewJSON `json:"reviews"`
	}{Timing: timingOut(t), Reviews: []reviewJSON{}}
	for _, r := range rs {
		out.Reviews = append(out.Reviews, reviewJSON{ID: r.ID, HeldOn: formatDate(&r.HeldOn), Notes: r.Notes})
	}
	return c.JSON(out)
}

type reviewCreateJSON struct {
	HeldOn string `json:"held_on" validate:"required"`
	Notes  string `json:"notes"`
}

// apiReviewCreate records a case review.
func (h *handlers) apiReviewCreate(c *fiber.Ctx) error {
	var in reviewCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	held := dp.opt("held_on", in.HeldOn)
	if err := dp.err(); err != nil {
		return err
	}
	r, err := store(c).RecordReview(c.Params("id"), *held, in.Notes, today(c))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditReviewRecord, "participant", r.ParticipantID, map[string]any{"review_id": r.ID}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(reviewJSON{ID: r.ID, HeldOn: formatDate(&r.HeldOn), Notes: r.Notes})
}

type extensionJSON struct {
	Reason string `json:"reason" validate:"required,max=2000"`
}

// apiExtensionCreate extends the program period by six months.
func (h *handlers) apiExtensionCreate(c *fiber.Ctx) error {
	var in extensionJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	t, err := store(c).ExtendProgram(c.Params("id"), in.Reason)
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditProgramExtend, "participant", c.Params("id"), nil); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(timingOut(t))
}

type closingJSON struct {
	Version    *int              `json:"version" validate:"required"`
	EndedOn    string            `json:"ended_on" validate:"required"`
	Outcome    string            `json:"outcome" validate:"required,oneof=completed ended_early"`
	EndReason  string            `json:"end_reason"`
	Assessment string            `json:"assessment"`
	Handover   string            `json:"handover" validate:"required"`
	Goals      map[string]string `json:"goals"`
}

// apiClosing records the closing interview and ends the case as completed
// or ended_early.
func (h *handlers) apiClosing(c *fiber.Ctx) error {
	var in closingJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	ended := dp.opt("ended_on", in.EndedOn)
	if err := dp.err(); err != nil {
		return err
	}
	p, err := closeCase(c, c.Params("id"), *in.Version, models.ClosingInput{EndedOn: *ended, Assessment: in.Assessment,
		Handover: in.Handover, Outcomes: in.Goals, Completed: in.Outcome == "completed", EndReason: in.EndReason})
	if err != nil {
		return err
	}
	return c.JSON(participantOut(p, siteCode(c)))
}

// closeCase is shared by the API and the closing form.
func closeCase(c *fiber.Ctx, id string, version int, in models.ClosingInput) (*models.Participant, error) {
	p, err := store(c).CloseCase(id, version, in, today(c))
	if err != nil {
		return nil, err
	}
	return p, audit(c, currentUser(c), models.AuditCaseClose, "participant", id, map[string]any{"status": string(p.Status)})
}
