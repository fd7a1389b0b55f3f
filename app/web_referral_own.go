package app

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// A police liaison's own referral (issue 16, web): the page shows it as
// submitted with its feedback; the edit form corrects it while intake has
// not decided, with the version it was opened at, so that a second tab
// cannot overwrite it silently. Nothing of the prevention side but the
// feedback and whether intake decided.

// referralShowData is the data of referral_show.html.
type referralShowData struct {
	R        *models.Referral
	Feedback *models.Feedback
	// DateOfBirth is empty for an erased referral.
	DateOfBirth string
	// AlertMessage says why a correction was not saved.
	AlertMessage string
	// Contacts are the later police contacts recorded on the referral
	// and the form to record one (issue 17, web_police_contacts.go).
	Contacts *referralContacts
}

// referralShow shows the liaison's own referral; the read is audited.
func (h *handlers) referralShow(c *fiber.Ctx) error {
	r, f, err := readOwnReferral(c, c.Params("id"))
	if err != nil {
		return err
	}
	contacts, err := loadReferralContacts(c, r)
	if err != nil {
		return err
	}
	return h.renderReferralShow(c, r, f, "", contacts, nil)
}

// renderReferralShow shows the referral page; errs are the contact form's
// field errors.
func (h *handlers) renderReferralShow(c *fiber.Ctx, r *models.Referral, f *models.Feedback, alert string, contacts *referralContacts,
	errs map[string]string) error {
	data := referralShowData{R: r, Feedback: f, AlertMessage: alert, Contacts: contacts}
	if !r.DateOfBirth.IsZero() {
		data.DateOfBirth = r.DateOfBirth.Format(time.DateOnly)
	}
	p := h.s.newPage(c, "referral.show_title", data)
	p.Errors = errs
	return h.s.renderPage(c, "referral_show.html", p)
}

// referralEdit shows the correction form, filled in; once intake decided
// it goes back to the (read-only) referral page.
func (h *handlers) referralEdit(c *fiber.Ctx) error {
	st := store(c)
	r, err := st.ReferralByID(c.Params("id"))
	if err != nil {
		return err
	}
	if !r.Open {
		return c.Redirect("/referrals/"+r.ID, fiber.StatusSeeOther)
	}
	if err := audit(c, currentUser(c), models.AuditReferralRead, "referral", r.ID, nil); err != nil {
		return err
	}
	sites, err := st.Sites()
	if err != nil {
		return err
	}
	return h.renderReferralEdit(c, r, sites, referralFormOf(r), nil, false)
}

// referralUpdate saves the correction form. Invalid input answers 422, a
// stale version 409 with the typed input kept (and the current version,
// so that saving again overwrites knowingly), a decision taken meanwhile
// 409 with the read-only page; nothing is saved in each case.
func (h *handlers) referralUpdate(c *fiber.Ctx) error {
	st := store(c)
	// Everything the answer shows is read before the attempt: after the
	// database refused it, the transaction takes no more queries.
	r, err := st.ReferralByID(c.Params("id"))
	if err != nil {
		return err
	}
	f, err := st.FeedbackFor(r.ID)
	if err != nil {
		return err
	}
	sites, err := st.Sites()
	if err != nil {
		return err
	}
	contacts, err := loadReferralContacts(c, r)
	if err != nil {
		return err
	}
	form := readReferralForm(c)
	form.Version = formVersion(c)
	dp := newDateParser()
	_, err = correctReferral(c, r, form.Version, form.input(dp))
	l := h.s.localizer(c)
	var ve *models.ValidationError
	switch {
	case errors.Is(err, models.ErrReferralDecided):
		r.Open = false
		return h.renderReferralShow(c.Status(fiber.StatusConflict), r, f, l.T("referral.decided_meanwhile"), contacts, nil)
	case errors.As(err, &ve) || dp.err() != nil:
		// An unreadable date is reported as such, before the model's
		// "required" for the same field; the other fields keep theirs.
		all := &models.ValidationError{Fields: append(append([]models.FieldError{}, dp.v.Fields...), fieldsOf(ve)...)}
		return h.renderReferralEdit(c.Status(fiber.StatusUnprocessableEntity), r, sites, form, formErrors(l, all), false)
	case models.IsSiteInactive(err):
		return h.renderReferralEdit(c.Status(fiber.StatusUnprocessableEntity), r, sites, form,
			map[string]string{"site": l.T("error.site_inactive")}, false)
	case errors.Is(err, models.ErrConflict):
		form.Version = r.Version
		return h.renderReferralEdit(c.Status(fiber.StatusConflict), r, sites, form, nil, true)
	case err != nil:
		return err
	}
	if err := setFlash(c, "flash.referral_corrected"); err != nil {
		return err
	}
	return c.Redirect("/referrals/"+r.ID, fiber.StatusSeeOther)
}

func referralFormOf(r *models.Referral) referralForm {
	f := referralForm{FirstName: r.FirstName, LastName: r.LastName, Gender: r.Gender, SiteCode: r.SiteCode,
		ReasonCategory: r.ReasonCategory, PoliceReference: r.PoliceReference, ReferringUnit: r.ReferringUnit,
		OfficerName: r.OfficerName, GuardianName: r.GuardianName, GuardianPhone: r.GuardianPhone, Notes: r.Notes,
		Version: r.Version}
	if !r.DateOfBirth.IsZero() {
		f.DateOfBirth = r.DateOfBirth.Format(time.DateOnly)
	}
	return f
}

func (h *handlers) renderReferralEdit(c *fiber.Ctx, r *models.Referral, sites []models.Site, f referralForm, errs map[string]string,
	conflict bool) error {
	p := h.s.newPage(c, "referral.edit_title", referralFormData{Form: f, Sites: sites, Genders: models.Genders,
		Reasons: models.ReasonCategories, ID: r.ID, Reference: r.PoliceReference, Conflict: conflict})
	p.Errors = errs
	return h.s.renderPage(c, "referral_form.html", p)
}
