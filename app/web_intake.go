package app

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Intake pages (SPEC §5, crossing 1): a coordinator reads the undecided
// referrals of their site through crossing.intake_queue, which never
// returns police notes, officer, unit or reference, and accepts (opens a
// case) or declines each one.

type intakeQueueRow struct {
	ID, Name, ReceivedOn, ReasonCategory string
	Age                                  int
}

// intakeListData is a page of the queue (50 by default) with the reason
// filter as chosen; NextURL and FirstURL page through it keeping the
// filter.
type intakeListData struct {
	Rows              []intakeQueueRow
	Reason            string
	Reasons           []string
	NextURL, FirstURL string
	AlertMessage      string
	AlertItems        []string
}

// intakeList shows the site's intake queue, oldest first, of ?reason=
// (default every reason category), a page after ?cursor=.
func (h *handlers) intakeList(c *fiber.Ctx) error {
	data := intakeListData{Reason: c.Query("reason"), Reasons: models.ReasonCategories}
	q, next, err := intakePage(c, data.Reason)
	if ve, ok := asValidation(err); ok {
		var errs map[string]string
		data.AlertMessage, data.AlertItems, errs = validationAlert(h.s.localizer(c), ve)
		p := h.s.newPage(c.Status(fiber.StatusUnprocessableEntity), "intake.list_title", data)
		p.Errors = errs
		return h.s.renderPage(c, "intake_list.html", p)
	} else if err != nil {
		return err
	}
	// The queue shows names of children: reading it is audited like the
	// caseload (ids and counts only).
	if err := audit(c, currentUser(c), models.AuditReferralRead, "referral", "", map[string]any{"count": len(q)}); err != nil {
		return err
	}
	day := today(c)
	for _, r := range q {
		data.Rows = append(data.Rows, intakeQueueRow{ID: r.ID, Name: r.FirstName + " " + r.LastName,
			ReceivedOn: r.ReceivedOn.Format(time.DateOnly), ReasonCategory: r.ReasonCategory, Age: models.AgeOn(r.DateOfBirth, day)})
	}
	if next != "" {
		data.NextURL = nextLink(c, "/intake", next)
	}
	if c.Query("cursor") != "" {
		data.FirstURL = firstLink(c, "/intake")
	}
	return h.s.render(c, "intake_list.html", "intake.list_title", data)
}

// intakePage reads one page of the queue of reason ("": all), shared with
// the API, with the cursor of the next page while more follow.
func intakePage(c *fiber.Ctx, reason string) ([]models.IntakeReferral, string, error) {
	return readPage(c, func(pg models.Page) ([]models.IntakeReferral, error) {
		return store(c).IntakePage(models.IntakeFilter{Reason: reason, Page: pg})
	}, (*models.IntakeReferral).Cursor)
}

// intakeView is the data of intake_show.html. Decided hides the decision
// forms (someone else decided meanwhile); Reason keeps a chosen decline
// reason.
type intakeView struct {
	R            *models.IntakeReferral
	Age          int
	DateOfBirth  string
	ReceivedOn   string
	Reasons      []string
	Reason       string
	Decided      bool
	AlertMessage string
	AlertItems   []string
	// Cases and Families are the existing cases and families that may be
	// the referred child or its family (models.Store.ReferralMatches);
	// Target is the chosen destination ("new", "case:<id>",
	// "family:<id>").
	Cases    []models.CaseMatch
	Families []models.FamilyMatch
	Target   string
}

// intakeShow shows one referral of the queue; the read is audited.
func (h *handlers) intakeShow(c *fiber.Ctx) error {
	r, err := store(c).IntakeReferralByID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditReferralRead, "referral", r.ID, nil); err != nil {
		return err
	}
	return h.renderIntake(c, r, &intakeView{}, nil)
}

// intakeAccept takes the referral where the form's target says: a new
// case, a sibling in an existing family, or a second referral of an
// existing case; then shows the case.
func (h *handlers) intakeAccept(c *fiber.Ctx) error {
	r, err := store(c).IntakeReferralByID(c.Params("id"))
	if err != nil {
		return err
	}
	target := c.FormValue("target", "new")
	var in models.AcceptInput
	switch kind, id, _ := strings.Cut(target, ":"); kind {
	case "case":
		in.ParticipantID = id
	case "family":
		in.FamilyID = id
	}
	// Shared with the API: the same audit entries.
	p, kind, err := acceptReferral(c, r.ID, in)
	if err != nil {
		return h.intakeFailure(c, r, "", err)
	}
	if err := setFlash(c, "flash.referral_accepted."+kind); err != nil {
		return err
	}
	return c.Redirect("/participants/"+p.ID, fiber.StatusSeeOther)
}

// intakeDecline declines the referral with a reason and returns to the
// queue.
func (h *handlers) intakeDecline(c *fiber.Ctx) error {
	r, err := store(c).IntakeReferralByID(c.Params("id"))
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	if err := declineReferral(c, r.ID, reason); err != nil {
		return h.intakeFailure(c, r, reason, err)
	}
	if err := setFlash(c, "flash.referral_declined"); err != nil {
		return err
	}
	return c.Redirect("/intake", fiber.StatusSeeOther)
}

// intakeFailure shows the referral again with the reason a decision was
// refused: 422 for invalid input, 409 when it was decided meanwhile. The
// page is built from r as loaded before the attempt: after a unique
// violation the transaction takes no more queries (it is rolled back).
func (h *handlers) intakeFailure(c *fiber.Ctx, r *models.IntakeReferral, reason string, err error) error {
	l := h.s.localizer(c)
	var ve *models.ValidationError
	v := &intakeView{Reason: reason, Target: c.FormValue("target")}
	switch {
	case errors.As(err, &ve):
		var errs map[string]string
		v.AlertMessage, v.AlertItems, errs = validationAlert(l, ve)
		return h.renderIntake(c.Status(fiber.StatusUnprocessableEntity), r, v, errs)
	case errors.Is(err, models.ErrConflict):
		v.AlertMessage, v.Decided = l.T("intake.decided_already"), true
		return h.renderIntake(c.Status(fiber.StatusConflict), r, v, nil)
	}
	return err
}

func (h *handlers) renderIntake(c *fiber.Ctx, r *models.IntakeReferral, v *intakeView, errs map[string]string) error {
	v.R, v.Age, v.Reasons = r, models.AgeOn(r.DateOfBirth, today(c)), models.DeclineReasons
	if !v.Decided {
		var err error
		if v.Cases, v.Families, err = referralMatches(c, r.ID); err != nil {
			return err
		}
	}
	if v.Target == "" {
		v.Target = "new"
	}
	v.DateOfBirth, v.ReceivedOn = r.DateOfBirth.Format(time.DateOnly), r.ReceivedOn.Format(time.DateOnly)
	p := h.s.newPage(c, "intake.show_title", v)
	p.Errors = errs
	return h.s.renderPage(c, "intake_show.html", p)
}
