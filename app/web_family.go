package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// familyForm is the family form as typed.
type familyForm struct {
	Address, Phone, Email string
	Modes                 map[string]string
	Version               int
}

// Choices are the language selects with their modes.
func (f familyForm) Choices() []langChoice { return familyChoices(f.Modes) }

type familyFormData struct {
	ID   string
	Form familyForm
	// Participant is the case to return to ("" goes to the caseload).
	Participant string
	Modes       []string
	Conflict    bool
}

// familyEdit shows the household form; the read is audited.
func (h *handlers) familyEdit(c *fiber.Ctx) error {
	f, err := store(c).FamilyByID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditFamilyRead, "family", f.ID, nil); err != nil {
		return err
	}
	form := familyForm{Address: f.Address, Phone: f.Phone, Email: f.Email, Modes: modesOf(f), Version: f.Version}
	return h.renderFamilyForm(c, familyFormData{ID: f.ID, Form: form, Participant: participantRef(c.Query("participant"))}, nil)
}

func (h *handlers) renderFamilyForm(c *fiber.Ctx, data familyFormData, errs map[string]string) error {
	data.Modes = models.LanguageModes
	page := h.s.newPage(c, "family.title", data)
	page.Errors = errs
	return h.s.renderPage(c, "family_form.html", page)
}

// familyUpdate saves the household. A stale version answers 409 with the
// typed input kept; nothing is saved.
func (h *handlers) familyUpdate(c *fiber.Ctx) error {
	id := c.Params("id")
	cur, err := store(c).FamilyByID(id)
	if err != nil {
		return err
	}
	form := familyForm{Address: strings.TrimSpace(c.FormValue("address")), Phone: strings.TrimSpace(c.FormValue("phone")),
		Email: strings.TrimSpace(c.FormValue("email")), Modes: familyModes(c), Version: formVersion(c)}
	data := familyFormData{ID: id, Form: form, Participant: participantRef(c.FormValue("participant"))}
	langs := familyLanguages(form.Modes)
	_, err = updateFamily(c, id, form.Version, models.FamilyInput{Address: &form.Address, Phone: &form.Phone,
		Email: &form.Email, Languages: &langs})
	var ve *models.ValidationError
	switch {
	case errors.Is(err, models.ErrConflict):
		data.Conflict, data.Form.Version = true, cur.Version
		return h.renderFamilyForm(c.Status(fiber.StatusConflict), data, nil)
	case errors.As(err, &ve):
		return h.renderFamilyForm(c.Status(fiber.StatusUnprocessableEntity), data, formErrors(h.s.localizer(c), ve))
	case err != nil:
		return err
	}
	if data.Participant != "" {
		return h.backToCase(c, data.Participant, "flash.family_saved")
	}
	if err := setFlash(c, "flash.family_saved"); err != nil {
		return err
	}
	return c.Redirect("/participants", fiber.StatusSeeOther)
}
