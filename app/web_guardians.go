package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// guardianForm is the guardian form as typed: a new person, or
// (GuardianID) a guardian of the family already recorded for a sibling.
type guardianForm struct {
	GuardianID, FirstName, LastName, Relationship, Phone, Email string
	HasCustody                                                  bool
	Languages                                                   []string
}

// LanguageChoices are the guardian's language checkboxes.
func (f guardianForm) LanguageChoices() []langChoice { return languageChoices(f.Languages) }

type guardianFormData struct {
	P             *models.Participant
	Form          guardianForm
	Existing      []models.Guardian
	Relationships []string
}

// guardianNew shows the form that adds a guardian to a child.
func (h *handlers) guardianNew(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	return h.renderGuardianForm(c, p, guardianForm{}, nil)
}

func (h *handlers) renderGuardianForm(c *fiber.Ctx, p *models.Participant, f guardianForm, errs map[string]string) error {
	st := store(c)
	linked, err := st.GuardiansOf(p.ID)
	if err != nil {
		return err
	}
	family, err := st.FamilyGuardians(p.FamilyID)
	if err != nil {
		return err
	}
	data := guardianFormData{P: p, Form: f, Relationships: models.Relationships}
	for _, g := range family {
		if !linkedTo(linked, g.ID) {
			data.Existing = append(data.Existing, g)
		}
	}
	page := h.s.newPage(c, "guardian.title", data)
	page.Errors = errs
	return h.s.renderPage(c, "guardian_form.html", page)
}

func linkedTo(gs []models.Guardian, id string) bool {
	for _, g := range gs {
		if g.ID == id {
			return true
		}
	}
	return false
}

// guardianCreate adds the guardian and returns to the case.
func (h *handlers) guardianCreate(c *fiber.Ctx) error {
	st, id := store(c), c.Params("id")
	p, err := st.ParticipantByID(id)
	if err != nil {
		return err
	}
	f := guardianForm{GuardianID: c.FormValue("guardian_id"), FirstName: strings.TrimSpace(c.FormValue("first_name")),
		LastName: strings.TrimSpace(c.FormValue("last_name")), Relationship: c.FormValue("relationship"),
		Phone: strings.TrimSpace(c.FormValue("phone")), Email: strings.TrimSpace(c.FormValue("email")),
		HasCustody: c.FormValue("has_custody") != "", Languages: formValues(c, "languages")}
	linked, err := st.GuardiansOf(id)
	if err != nil {
		return err
	}
	if f.GuardianID != "" && linkedTo(linked, f.GuardianID) {
		// Linking twice would fail in the database and end the transaction.
		ve := &models.ValidationError{}
		ve.Add("guardian_id", "guardian.already_linked", nil)
		err = ve
	} else {
		_, err = addGuardian(c, id, models.GuardianInput{GuardianID: f.GuardianID, FirstName: f.FirstName, LastName: f.LastName,
			Phone: f.Phone, Email: f.Email, Languages: f.Languages, Relationship: f.Relationship, HasCustody: f.HasCustody})
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderGuardianForm(c.Status(fiber.StatusUnprocessableEntity), p, f, formErrors(h.s.localizer(c), ve))
	}
	if err != nil {
		return err
	}
	return h.backToCase(c, id, "flash.guardian_added")
}

// guardianCustody confirms relationship and custody of a guardian of the
// child (one carried over from a referral) and returns to the guardians.
func (h *handlers) guardianCustody(c *fiber.Ctx) error {
	id := c.Params("id")
	in := models.CustodyInput{Relationship: c.FormValue("relationship"), HasCustody: c.FormValue("has_custody") == "yes"}
	err := confirmCustody(c, id, c.Params("gid"), in)
	if ve, ok := asValidation(err); ok {
		// The select offers only known relationships: a tampered form.
		return ve
	}
	if err != nil {
		return err
	}
	return h.backToCase(c, id, "flash.custody_confirmed")
}
