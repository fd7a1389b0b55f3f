package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// sessionEditData is the data of session_edit.html: the session, and the
// form as typed when it comes back refused.
type sessionEditData struct {
	S          *models.CaseSession
	Line       sessionLine
	Version    int
	Status     string
	Notes      string
	Attendance map[string]string
	Statuses   []string
	Choices    []models.Attendance
	Alert      string
}

// sessionShow shows a recorded session with a form to correct attendance,
// status and notes; the read is audited.
func (h *handlers) sessionShow(c *fiber.Ctx) error {
	s, err := store(c).SessionByID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditSessionRead, "session", s.ID, nil); err != nil {
		return err
	}
	d := sessionEditData{Version: s.Version, Status: s.Status, Notes: s.Notes, Attendance: map[string]string{}}
	for _, p := range s.Participants {
		d.Attendance[p.ParticipantID] = string(p.Attendance)
	}
	return h.renderSessionEdit(c, s, d, nil)
}

func (h *handlers) renderSessionEdit(c *fiber.Ctx, s *models.CaseSession, d sessionEditData, errs map[string]string) error {
	d.S, d.Line = s, sessionLineOf(s, h.s.localizer(c).Lang)
	d.Statuses = []string{models.SessionPlanned, models.SessionHeld, models.SessionCancelled}
	d.Choices = models.Attendances
	p := h.s.newPage(c, "session.edit_title", d)
	p.Errors = errs
	return h.s.renderPage(c, "session_edit.html", p)
}

// sessionUpdate saves the corrections. A stale version answers 409 with
// the form as typed, and saves nothing.
func (h *handlers) sessionUpdate(c *fiber.Ctx) error {
	st := store(c)
	s, err := st.SessionByID(c.Params("id"))
	if err != nil {
		return err
	}
	d := sessionEditData{Status: c.FormValue("status"), Notes: c.FormValue("notes"), Attendance: map[string]string{}}
	version, verr := strconv.Atoi(c.FormValue("version"))
	d.Version = version
	patch := models.SessionPatch{Notes: &d.Notes, Status: &d.Status, Attendance: map[string]models.Attendance{}}
	for _, p := range s.Participants {
		if a := strings.TrimSpace(c.FormValue("attendance_" + p.ParticipantID)); a != "" {
			d.Attendance[p.ParticipantID] = a
			patch.Attendance[p.ParticipantID] = models.Attendance(a)
		}
	}
	if verr != nil {
		err = models.ErrConflict
	} else {
		_, err = st.UpdateSession(s.ID, version, patch)
	}
	l := h.s.localizer(c)
	var ve *models.ValidationError
	switch {
	case errors.Is(err, models.ErrConflict):
		d.Version, d.Alert = s.Version, l.T("error.conflict")
		return h.renderSessionEdit(c.Status(fiber.StatusConflict), s, d, nil)
	case errors.As(err, &ve):
		d.Alert = l.T("error.validation")
		return h.renderSessionEdit(c.Status(fiber.StatusUnprocessableEntity), s, d, formErrors(l, ve))
	case err != nil:
		return err
	}
	if err := audit(c, currentUser(c), models.AuditSessionUpdate, "session", s.ID, nil); err != nil {
		return err
	}
	if err := setFlash(c, "flash.session_updated"); err != nil {
		return err
	}
	return c.Redirect("/sessions/"+s.ID, fiber.StatusSeeOther)
}
