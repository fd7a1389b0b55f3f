package app

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The dpo's erasure on the web (GDPR Art. 17, issue 12): a form with the
// case number and the reason, a confirmation page that says what goes and
// what stays, and only then the erasure (eraseParticipant, shared with
// DELETE /api/v1/participants/{id}). The dpo never sees a record: the case
// number is resolved through audit.case_numbers(), and the success page is
// the erasure's own entry in the audit log.

// erasureView is the form and the confirmation page.
type erasureView struct {
	ID, CaseNumber, Reason string
	Reasons                []string
	// Problem is the localised refusal of a confirmed erasure (a case
	// still open, or gone already).
	Problem string
}

// erasureRequest reads the form's case number and reason.
func erasureRequest(c *fiber.Ctx) models.EraseRequest {
	return models.EraseRequest{CaseNumber: models.NormalizeCaseNumber(c.FormValue("case_number")),
		Reason: strings.TrimSpace(c.FormValue("reason"))}
}

// erasureForm is GET /erasure.
func (h *handlers) erasureForm(c *fiber.Ctx) error {
	return h.renderErasureForm(c, &erasureView{}, nil)
}

// erasureCheck is POST /erasure: it resolves the case number and asks for
// confirmation; nothing is erased yet.
func (h *handlers) erasureCheck(c *fiber.Ctx) error {
	r := erasureRequest(c)
	v := &erasureView{CaseNumber: r.CaseNumber, Reason: r.Reason}
	id, err := store(c).EraseTarget(r)
	if ve, ok := asValidation(err); ok {
		return h.renderErasureForm(c.Status(fiber.StatusUnprocessableEntity), v, formErrors(h.s.localizer(c), ve))
	} else if err != nil {
		return err
	}
	v.ID = id
	return h.s.render(c, "erasure_confirm.html", "erasure.confirm_title", v)
}

// erasureConfirm is POST /erasure/confirm: it erases and shows the
// erasure's audit entry. A case still open is refused with 409, one erased
// already (a second tap with a new key) or unknown with 404, on the form.
func (h *handlers) erasureConfirm(c *fiber.Ctx) error {
	l := h.s.localizer(c)
	r := erasureRequest(c)
	v := &erasureView{CaseNumber: r.CaseNumber, Reason: r.Reason}
	id, err := store(c).EraseTarget(r)
	if ve, ok := asValidation(err); ok {
		return h.renderErasureForm(c.Status(fiber.StatusUnprocessableEntity), v, formErrors(l, ve))
	} else if err != nil {
		return err
	}
	if id != strings.TrimSpace(c.FormValue("participant_id")) {
		// The case number does not name the participant confirmed.
		err = models.ErrNotFound
	} else {
		_, err = eraseParticipant(c, id, r.Reason)
	}
	switch {
	case errors.Is(err, models.ErrCaseOpen):
		v.Problem = l.T("error.case_open")
		return h.renderErasureForm(c.Status(fiber.StatusConflict), v, nil)
	case errors.Is(err, models.ErrNotFound):
		v.Problem = l.T("error.erase_not_found")
		return h.renderErasureForm(c.Status(fiber.StatusNotFound), v, nil)
	case err != nil:
		return err
	}
	if err := setFlash(c, "flash.participant_erased"); err != nil {
		return err
	}
	q := url.Values{"participant": {r.CaseNumber}, "action": {models.AuditParticipantErase}}
	return c.Redirect("/audit?"+q.Encode(), fiber.StatusSeeOther)
}

func (h *handlers) renderErasureForm(c *fiber.Ctx, v *erasureView, errs map[string]string) error {
	v.Reasons = models.EraseReasons
	p := h.s.newPage(c, "erasure.title", v)
	p.Errors = errs
	return h.s.renderPage(c, "erasure_form.html", p)
}
