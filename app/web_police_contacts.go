package app

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Police contacts on the liaison's own referral page (issue 17, web): the
// contacts recorded so far, newest first, and a small form to record one
// (a day and a category). The form carries the CSRF token and a one-time
// submission key, so that a double tap records one contact. Nothing of it
// is shown to the prevention side.

// referralContacts is the contacts section of referral_show.html.
type referralContacts struct {
	Items []models.PoliceContact
	// Form holds what was typed when the form was refused.
	Form struct{ OccurredOn, Category string }
	// Min and Max bound the day: the referral's day and today.
	Min, Max   string
	Categories []string
}

// loadReferralContacts reads the contacts of the liaison's own referral r.
func loadReferralContacts(c *fiber.Ctx, r *models.Referral) (*referralContacts, error) {
	items, err := store(c).PoliceContactsOf(r.ID)
	if err != nil {
		return nil, err
	}
	rc := &referralContacts{Items: items, Min: models.ProgramDay(r.CreatedAt).Format(time.DateOnly),
		Max: today(c).Format(time.DateOnly), Categories: models.ReasonCategories}
	rc.Form.OccurredOn = rc.Max
	return rc, nil
}

// policeContactCreate records a contact from the referral page and goes
// back to the page's contacts; an invalid form shows the page again (422)
// with the errors at the fields and what was typed.
func (h *handlers) policeContactCreate(c *fiber.Ctx) error {
	st := store(c)
	// Everything the page shows is read before the attempt: after the
	// database refused it, the transaction takes no more queries.
	r, err := st.ReferralByID(c.Params("id"))
	if err != nil {
		return err
	}
	f, err := st.FeedbackFor(r.ID)
	if err != nil {
		return err
	}
	contacts, err := loadReferralContacts(c, r)
	if err != nil {
		return err
	}
	occurred, category := c.FormValue("occurred_on"), c.FormValue("category")
	dp := newDateParser()
	on := dp.opt("occurred_on", occurred)
	if err = dp.err(); err == nil {
		_, err = recordPoliceContact(c, r.ID, models.PoliceContactInput{OccurredOn: on, Category: category})
	}
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		contacts.Form.OccurredOn, contacts.Form.Category = occurred, category
		return h.renderReferralShow(c.Status(fiber.StatusUnprocessableEntity), r, f, "", contacts, formErrors(h.s.localizer(c), ve))
	case err != nil:
		return err
	}
	if err := setFlash(c, "flash.police_contact_recorded"); err != nil {
		return err
	}
	return c.Redirect("/referrals/"+r.ID+"#referral-contacts", fiber.StatusSeeOther)
}
