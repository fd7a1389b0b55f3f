package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// participantForm is the participant form as the user typed it, so that a
// rejected form comes back with nothing lost. The family fields are used
// only when a case is opened.
type participantForm struct {
	FirstName, LastName, DateOfBirth, Gender, School, Notes string
	Languages                                               []string
	Address, Phone                                          string
	FamilyModes                                             map[string]string
	Version                                                 int
}

func readParticipantForm(c *fiber.Ctx) participantForm {
	return participantForm{
		FirstName: strings.TrimSpace(c.FormValue("first_name")), LastName: strings.TrimSpace(c.FormValue("last_name")),
		DateOfBirth: strings.TrimSpace(c.FormValue("date_of_birth")), Gender: c.FormValue("gender"),
		School: strings.TrimSpace(c.FormValue("school")), Notes: c.FormValue("notes"), Languages: formValues(c, "languages"),
		Address: strings.TrimSpace(c.FormValue("address")), Phone: strings.TrimSpace(c.FormValue("phone")),
		FamilyModes: familyModes(c), Version: formVersion(c),
	}
}

func participantFormOf(p *models.Participant) participantForm {
	return participantForm{FirstName: p.FirstName, LastName: p.LastName, DateOfBirth: formatDate(p.DateOfBirth),
		Gender: p.Gender, School: p.School, Notes: p.Notes, Languages: p.Languages, Version: p.Version}
}

// input converts the form for the store; an unreadable or (when editing)
// empty date of birth is reported through dp.
func (f *participantForm) input(dp *dateParser, creating bool) models.ParticipantInput {
	dob := dp.opt("date_of_birth", f.DateOfBirth)
	if f.DateOfBirth == "" && !creating {
		dp.v.Add("date_of_birth", "validation.required", nil)
	}
	langs := f.Languages
	if langs == nil {
		langs = []string{}
	}
	return models.ParticipantInput{FirstName: &f.FirstName, LastName: &f.LastName, DateOfBirth: dob,
		Gender: &f.Gender, Languages: &langs, School: &f.School, Notes: &f.Notes}
}

// family is the family of a new case as typed.
func (f *participantForm) family() models.FamilyInput {
	langs := familyLanguages(f.FamilyModes)
	return models.FamilyInput{Address: &f.Address, Phone: &f.Phone, Languages: &langs}
}

// LanguageChoices are the participant's language checkboxes.
func (f participantForm) LanguageChoices() []langChoice { return languageChoices(f.Languages) }

// FamilyChoices are the family language selects (new case only).
func (f participantForm) FamilyChoices() []langChoice { return familyChoices(f.FamilyModes) }

// participantFormData is the data of participant_form.html: opening a
// case (New) or editing one.
type participantFormData struct {
	New        bool
	ID         string
	CaseNumber string
	Form       participantForm
	Genders    []string
	Modes      []string
	// Conflict is set when the record changed meanwhile: the form then
	// carries the current version, so saving again overwrites knowingly.
	Conflict bool
}

func (h *handlers) renderParticipantForm(c *fiber.Ctx, data participantFormData, errs map[string]string) error {
	data.Genders, data.Modes = models.Genders, models.LanguageModes
	title := "participant.edit_title"
	if data.New {
		title = "participant.new_title"
	}
	p := h.s.newPage(c, title, data)
	p.Errors = errs
	return h.s.renderPage(c, "participant_form.html", p)
}
