package app

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The quick session form (issue 5): one page to record a held session for
// one child or a group, with defaults filled and attendance by one tap per
// child. It works without JavaScript.

// sessionNew shows the form with its defaults. ?participant=<id> (once
// or more) ticks children (the link from the case page); ?group=<id>
// lists a group's members and ticks them (works without JavaScript);
// ?q= finds active children by the start of their case number.
func (h *handlers) sessionNew(c *fiber.Ctx) error {
	t := now(c).In(programZone)
	at := t.Round(15 * time.Minute)
	if at.Day() != t.Day() {
		at = t.Truncate(15 * time.Minute)
	}
	f := sessionForm{Date: at.Format(time.DateOnly), Time: at.Format("15:04"), Duration: "60", Attendance: map[string]string{},
		Group: participantRef(c.Query("group")), Search: strings.TrimSpace(c.Query("q"))}
	f.TickGroup = f.Group != ""
	for _, v := range c.Context().QueryArgs().PeekMulti("participant") {
		if id := participantRef(string(v)); id != "" && !f.Picked(id) {
			f.ParticipantIDs = append(f.ParticipantIDs, id)
		}
	}
	last, err := store(c).LastMeasureCode()
	if err != nil {
		return err
	}
	f.Measure = last
	return h.renderSessionForm(c, f, nil)
}

// sessionCreate records the session and returns to the dashboard. Only
// the ticked children count; a refused session is shown again with
// everything as typed and the reasons (naming the case numbers) on top.
func (h *handlers) sessionCreate(c *fiber.Ctx) error {
	f := readSessionForm(c)
	v := &models.ValidationError{}
	at, perr := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.Time, programZone)
	switch {
	case f.Date == "" || f.Time == "":
		v.Add("started_at", "validation.required", nil)
	case perr != nil:
		v.Add("started_at", "validation.datetime", nil)
	}
	measure, module, _ := strings.Cut(f.Module, "/")
	if f.Module != "" && measure != f.Measure {
		v.Add("module", "validation.module_unknown", nil)
	}
	err := v.OrNil()
	if err == nil {
		minutes, _ := strconv.Atoi(strings.TrimSpace(f.Duration))
		att := map[string]models.Attendance{}
		for _, id := range f.ParticipantIDs {
			att[id] = models.Attendance(f.AttendanceOf(id))
		}
		staff := append([]string{currentUser(c).ID}, f.StaffIDs...)
		_, err = createSession(c, models.SessionInput{ParticipantIDs: f.ParticipantIDs, MeasureCode: f.Measure, ModuleCode: module,
			StartedAt: at, DurationMinutes: minutes, Location: strings.TrimSpace(f.Location), StaffIDs: staff,
			MediatorPresent: f.MediatorPresent, Attendance: att, Notes: f.Notes})
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderSessionForm(c.Status(fiber.StatusUnprocessableEntity), f, ve)
	}
	if err != nil {
		return err
	}
	if err := setFlash(c, "flash.session_recorded"); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

// readSessionForm reads the form as typed. Attendance is read for every
// row (ticked or not) so that a form shown again keeps each choice.
func readSessionForm(c *fiber.Ctx) sessionForm {
	f := sessionForm{ParticipantIDs: formValues(c, "participant_ids"), Measure: c.FormValue("type"), Module: c.FormValue("module"),
		Date: strings.TrimSpace(c.FormValue("date")), Time: strings.TrimSpace(c.FormValue("time")), Duration: c.FormValue("duration_minutes"),
		Location: c.FormValue("location"), Notes: c.FormValue("notes"), MediatorPresent: c.FormValue("mediator_present") != "",
		Group: participantRef(c.FormValue("group")), Search: strings.TrimSpace(c.FormValue("q")), Attendance: map[string]string{}}
	self := currentUser(c).ID
	for _, id := range formValues(c, "staff_ids") {
		if id != self {
			f.StaffIDs = append(f.StaffIDs, id)
		}
	}
	c.Request().PostArgs().VisitAll(func(k, val []byte) {
		if id, ok := strings.CutPrefix(string(k), "attendance_"); ok {
			f.Attendance[id] = string(val)
		}
	})
	return f
}
