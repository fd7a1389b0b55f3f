package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// caseloadRow is one line of the caseload. Age is -1 when the viewer may
// not see the date of birth (language mediators).
type caseloadRow struct {
	ID, CaseNumber, Name string
	Age                  int
	Status               models.Status
}

type caseloadData struct {
	Rows        []caseloadRow
	Limited     bool
	Coordinator bool
	Filter      models.Status
	Statuses    []models.Status
}

// participantList shows the caseload: the assigned cases of a social
// worker or mediator, the whole site for a coordinator (row-level security
// decides), with a status filter for coordinators.
func (h *handlers) participantList(c *fiber.Ctx) error {
	u := currentUser(c)
	data := caseloadData{Limited: u.Role == models.RoleMediator, Coordinator: u.Role == models.RoleCoordinator,
		Statuses: models.Statuses}
	if st := models.Status(c.Query("status")); data.Coordinator && st.Valid() {
		data.Filter = st
	}
	ps, err := store(c).Participants(models.ParticipantFilter{Status: data.Filter})
	if err != nil {
		return err
	}
	if err := audit(c, u, models.AuditParticipantList, "participant", "", map[string]any{"count": len(ps)}); err != nil {
		return err
	}
	day := today(c)
	for i := range ps {
		p := &ps[i]
		data.Rows = append(data.Rows, caseloadRow{ID: p.ID, CaseNumber: p.CaseNumber, Name: p.FirstName + " " + p.LastName,
			Age: p.Age(day), Status: p.Status})
	}
	return h.s.render(c, "participant_list.html", "caseload.title", data)
}

// participantNew shows the form that opens a case (coordinators).
func (h *handlers) participantNew(c *fiber.Ctx) error {
	return h.renderParticipantForm(c, participantFormData{New: true, Form: participantForm{FamilyModes: map[string]string{}}}, nil)
}

// participantCreate opens a case with a new family at the coordinator's
// site and shows it.
func (h *handlers) participantCreate(c *fiber.Ctx) error {
	f := readParticipantForm(c)
	dp := newDateParser()
	in := f.input(dp, true)
	err := dp.err()
	var p *models.Participant
	if err == nil {
		p, err = store(c).CreateParticipant(in, "", f.family(), today(c))
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderParticipantForm(c.Status(fiber.StatusUnprocessableEntity), participantFormData{New: true, Form: f},
			formErrors(h.s.localizer(c), ve))
	}
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditParticipantCreate, "participant", p.ID, nil); err != nil {
		return err
	}
	if err := setFlash(c, "flash.participant_created"); err != nil {
		return err
	}
	return c.Redirect("/participants/"+p.ID, fiber.StatusSeeOther)
}
