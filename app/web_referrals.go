package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Police pages (SPEC §5, enforcement side): a police liaison submits
// referrals and follows them through the feedback crossing. Nothing here
// reads prevention data; the status comes from crossing.referral_feedback.

// referralListData is the data of referral_list.html: only what the
// feedback crossing returns (reference, status, month).
type referralListData struct {
	Rows []models.Feedback
}

// referralList shows the liaison's own referrals with their feedback.
func (h *handlers) referralList(c *fiber.Ctx) error {
	rows, err := store(c).ReferralFeedback()
	if err != nil {
		return err
	}
	return h.s.render(c, "referral_list.html", "referral.list_title", referralListData{Rows: rows})
}

// referralForm is the referral form as typed, so that a rejected form
// comes back with nothing lost.
type referralForm struct {
	FirstName, LastName, DateOfBirth, Gender, SiteCode, ReasonCategory string
	PoliceReference, ReferringUnit, OfficerName                        string
	GuardianName, GuardianPhone, Notes                                 string
	// Version is the version a correction is based on (edit form only).
	Version int
}

func readReferralForm(c *fiber.Ctx) referralForm {
	trim := func(name string) string { return strings.TrimSpace(c.FormValue(name)) }
	return referralForm{FirstName: trim("first_name"), LastName: trim("last_name"), DateOfBirth: trim("date_of_birth"),
		Gender: c.FormValue("gender"), SiteCode: c.FormValue("site"), ReasonCategory: c.FormValue("reason_category"),
		PoliceReference: trim("police_reference"), ReferringUnit: trim("referring_unit"), OfficerName: trim("officer_name"),
		GuardianName: trim("guardian_name"), GuardianPhone: trim("guardian_phone"), Notes: c.FormValue("notes")}
}

func (f *referralForm) input(dp *dateParser) models.ReferralInput {
	return models.ReferralInput{FirstName: f.FirstName, LastName: f.LastName, DateOfBirth: dp.opt("date_of_birth", f.DateOfBirth),
		Gender: f.Gender, SiteCode: f.SiteCode, ReasonCategory: f.ReasonCategory, PoliceReference: f.PoliceReference,
		ReferringUnit: f.ReferringUnit, OfficerName: f.OfficerName, GuardianName: f.GuardianName,
		GuardianPhone: f.GuardianPhone, Notes: f.Notes}
}

// referralFormData is the data of referral_form.html: a new referral, or
// the correction of the referral ID (Reference as stored).
type referralFormData struct {
	Form    referralForm
	Sites   []models.Site
	Genders []string
	Reasons []string
	ID      string
	// Reference is the stored police reference of the referral corrected.
	Reference string
	// Conflict is set when the referral was corrected meanwhile (another
	// tab): the form keeps what was typed and carries the current version.
	Conflict bool
}

// referralNew shows the referral form, with the liaison's own site chosen.
func (h *handlers) referralNew(c *fiber.Ctx) error {
	return h.renderReferralForm(c, referralForm{}, nil)
}

// referralCreate stores a referral and goes back to the list.
func (h *handlers) referralCreate(c *fiber.Ctx) error {
	f := readReferralForm(c)
	dp := newDateParser()
	in := f.input(dp)
	r, err := store(c).CreateReferral(in, today(c))
	var ve *models.ValidationError
	if errors.As(err, &ve) || dp.err() != nil {
		// An unreadable date is reported as such, before the model's
		// "required" for the same field; the other fields keep theirs.
		all := &models.ValidationError{Fields: append(append([]models.FieldError{}, dp.v.Fields...), fieldsOf(ve)...)}
		return h.renderReferralForm(c.Status(fiber.StatusUnprocessableEntity), f, formErrors(h.s.localizer(c), all))
	}
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditReferralCreate, "referral", r.ID, nil); err != nil {
		return err
	}
	if err := setFlash(c, "flash.referral_created"); err != nil {
		return err
	}
	return c.Redirect("/referrals", fiber.StatusSeeOther)
}

func fieldsOf(ve *models.ValidationError) []models.FieldError {
	if ve == nil {
		return nil
	}
	return ve.Fields
}

func (h *handlers) renderReferralForm(c *fiber.Ctx, f referralForm, errs map[string]string) error {
	sites, err := store(c).Sites()
	if err != nil {
		return err
	}
	if f.SiteCode == "" && errs == nil {
		for _, s := range sites {
			if s.ID == currentUser(c).SiteID {
				f.SiteCode = s.Code
			}
		}
	}
	p := h.s.newPage(c, "referral.new_title", referralFormData{Form: f, Sites: sites, Genders: models.Genders,
		Reasons: models.ReasonCategories})
	p.Errors = errs
	return h.s.renderPage(c, "referral_form.html", p)
}
