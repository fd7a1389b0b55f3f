package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// participantEdit shows the form for a participant's own fields.
func (h *handlers) participantEdit(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	return h.renderParticipantForm(c, participantFormData{ID: p.ID, CaseNumber: p.CaseNumber, Form: participantFormOf(p)}, nil)
}

// participantUpdate saves the edit form. A stale version answers 409 with
// the typed input kept in the form; nothing is saved.
func (h *handlers) participantUpdate(c *fiber.Ctx) error {
	st, id := store(c), c.Params("id")
	p, err := st.ParticipantByID(id)
	if err != nil {
		return err
	}
	f := readParticipantForm(c)
	dp := newDateParser()
	in := f.input(dp, false)
	if err = dp.err(); err == nil {
		_, err = changeParticipant(c, id, f.Version, in, nil, "")
	}
	data := participantFormData{ID: p.ID, CaseNumber: p.CaseNumber, Form: f}
	var ve *models.ValidationError
	switch {
	case errors.Is(err, models.ErrConflict):
		data.Conflict, data.Form.Version = true, p.Version
		return h.renderParticipantForm(c.Status(fiber.StatusConflict), data, nil)
	case errors.As(err, &ve):
		return h.renderParticipantForm(c.Status(fiber.StatusUnprocessableEntity), data, formErrors(h.s.localizer(c), ve))
	case err != nil:
		return err
	}
	return h.backToCase(c, id, "flash.participant_saved")
}
