package app

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// visitLine is one visit as the lists show it, with its times in the
// program's zone. It carries no outcome note: lists are for everybody.
type visitLine struct {
	ID, ParticipantID, CaseNumber string
	Day, Weekday, Start, End      string
	Purpose, Status               string
	MediatorID, SocialWorkerID    string
	Version                       int
	Planned                       bool
	// Begun is true once the visit's start has passed: only then can it
	// be recorded as done or "nobody home".
	Begun bool
}

func visitLineOf(v *models.Visit, now time.Time) visitLine {
	s, e := v.StartsAt.In(programZone), v.EndsAt.In(programZone)
	return visitLine{ID: v.ID, ParticipantID: v.ParticipantID, CaseNumber: v.CaseNumber, Day: s.Format(time.DateOnly),
		Weekday: weekdayIDs[s.Weekday()], Start: s.Format("15:04"), End: e.Format("15:04"), Purpose: v.Purpose,
		Status: v.Status, MediatorID: v.MediatorID, SocialWorkerID: v.SocialWorkerID, Version: v.Version,
		Planned: v.Status == models.VisitPlanned, Begun: !v.StartsAt.After(now)}
}

// visitsView is the visits section of the case page. Language mediators
// (Limited) get it without outcome notes.
type visitsView struct {
	Limited bool
	// Next is the next planned visit that has not ended yet, if any.
	Next *visitItem
	// CanPlan is true while the case is open.
	CanPlan  bool
	Items    []visitItem
	Purposes []string
	// Mediators and Workers are the site's people a visit can be planned
	// for; a mediator plans as themself (SelfName).
	Mediators []models.Staff
	Workers   []models.Staff
	SelfName  string
	Form      visitForm
	// ErrFor names the form that Errors belong to: "new" (the plan form)
	// or the id of the visit whose move form was refused.
	ErrFor string
	Errors map[string]string
}

// visitItem is one visit of the case with its forms' values.
type visitItem struct {
	visitLine
	Note, MediatorName, WorkerName string
	Move                           visitForm
	// Open keeps a refused move form unfolded.
	Open bool
}

// visitForm is what the plan and move forms carry: a calendar day and
// clock times in the program's zone.
type visitForm struct {
	Date, Start, End, Purpose, MediatorID, SocialWorkerID string
}

func readVisitForm(c *fiber.Ctx) visitForm {
	return visitForm{Date: strings.TrimSpace(c.FormValue("date")), Start: strings.TrimSpace(c.FormValue("starts_at")),
		End: strings.TrimSpace(c.FormValue("ends_at")), Purpose: c.FormValue("purpose"),
		MediatorID: c.FormValue("mediator_id"), SocialWorkerID: c.FormValue("social_worker_id")}
}

// when reads the day and times as instants in the program's zone; what
// cannot be read is reported to v. The end lies on the same day.
func (f visitForm) when(v *models.ValidationError) (start, end time.Time) {
	day, err := time.ParseInLocation(time.DateOnly, f.Date, programZone)
	if err != nil {
		v.Add("starts_at", "validation.datetime", nil)
		return start, end
	}
	var ok bool
	if start, ok = atClock(day, f.Start); !ok {
		v.Add("starts_at", "validation.datetime", nil)
	}
	if end, ok = atClock(day, f.End); !ok {
		v.Add("ends_at", "validation.datetime", nil)
	}
	return start, end
}

// atClock is the time s ("15:04", as time inputs send it) on day.
func atClock(day time.Time, s string) (time.Time, bool) {
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, programZone), true
		}
	}
	return time.Time{}, false
}

// visitRefusal is a refused visit form, kept for the page shown again.
type visitRefusal struct {
	For     string
	Form    visitForm
	Message string
	Errors  map[string]string
}

const localVisitRefusal = "kurve.visit_refusal"

// loadVisits fills the visits section of the case page, for case staff
// and language mediators alike.
func (h *handlers) loadVisits(c *fiber.Ctx, v *caseView) error {
	st, u, p := store(c), currentUser(c), v.P
	vv := &visitsView{Limited: v.Limited, CanPlan: p.Status.Open(), Purposes: models.VisitPurposes}
	staff, err := st.StaffOfSite(p.SiteID, models.RoleSocialWorker, models.RoleCoordinator, models.RoleMediator)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range staff {
		names[s.ID] = s.Name
		if s.Role == models.RoleMediator {
			vv.Mediators = append(vv.Mediators, s)
		} else {
			vv.Workers = append(vv.Workers, s)
		}
	}
	vs, err := st.VisitsOf(p.ID)
	if err != nil {
		return err
	}
	next, at := -1, now(c)
	for i := range vs {
		if vs[i].Status == models.VisitPlanned && vs[i].EndsAt.After(at) && (next < 0 || vs[i].StartsAt.Before(vs[next].StartsAt)) {
			next = i
		}
		item := visitItem{visitLine: visitLineOf(&vs[i], now(c)), MediatorName: names[vs[i].MediatorID], WorkerName: names[vs[i].SocialWorkerID]}
		if !v.Limited {
			item.Note = vs[i].OutcomeNote
		}
		item.Move = visitForm{Date: item.Day, Start: item.Start, End: item.End}
		vv.Items = append(vv.Items, item)
	}
	if next >= 0 {
		vv.Next = &vv.Items[next]
	}
	vv.Form = visitForm{Date: formatDate(ptr(today(c))), Purpose: defaultPurpose(p.Status)}
	if u.Role == models.RoleMediator {
		vv.SelfName, vv.Form.MediatorID = u.Name, u.ID
	} else {
		defaultVisitPeople(v.assigned, u, &vv.Form, today(c))
	}
	if r, ok := c.Locals(localVisitRefusal).(*visitRefusal); ok {
		vv.ErrFor, vv.Errors = r.For, r.Errors
		if r.For == "new" {
			vv.Form = r.Form
		}
		for i := range vv.Items {
			if vv.Items[i].ID == r.For {
				vv.Items[i].Move, vv.Items[i].Open = r.Form, true
			}
		}
		v.AlertMessage = r.Message
		for _, f := range sortedKeys(r.Errors) {
			v.AlertItems = append(v.AlertItems, caseNote{Text: r.Errors[f]})
		}
	}
	v.Visits = vv
	return nil
}

// defaultPurpose is the visit a case in status s most likely needs next.
func defaultPurpose(s models.Status) string {
	switch s {
	case models.StatusReferred, models.StatusContacted:
		return "first_contact"
	case models.StatusConsentPending:
		return "consent_talk"
	}
	return "follow_up"
}

// defaultVisitPeople preselects the case's current mediator, and the
// social worker planning the visit or else the case's current one.
func defaultVisitPeople(as []models.Assignment, u *models.User, f *visitForm, day time.Time) {
	for i := range as {
		a := &as[i]
		if !a.CurrentOn(day) {
			continue
		}
		switch a.Kind {
		case models.AssignMediator:
			if f.MediatorID == "" {
				f.MediatorID = a.UserID
			}
		case models.AssignSocialWorker:
			if f.SocialWorkerID == "" {
				f.SocialWorkerID = a.UserID
			}
		}
	}
	if u.Role == models.RoleSocialWorker {
		f.SocialWorkerID = u.ID
	}
}

// visitCreate plans a visit from the case page. A mediator plans as
// themself. Double booking answers 409 naming the other visit, missing
// consent 422; the page comes back with the typed input.
func (h *handlers) visitCreate(c *fiber.Ctx) error {
	st, u := store(c), currentUser(c)
	p, err := st.ParticipantByID(c.Params("id"))
	if err != nil {
		return err
	}
	f := readVisitForm(c)
	if u.Role == models.RoleMediator {
		f.MediatorID = u.ID
	}
	ve := &models.ValidationError{}
	start, end := f.when(ve)
	var v *models.Visit
	if err = ve.OrNil(); err == nil {
		v, err = st.CreateVisit(models.VisitInput{ParticipantID: p.ID, StartsAt: start, EndsAt: end, Purpose: f.Purpose,
			MediatorID: f.MediatorID, SocialWorkerID: f.SocialWorkerID}, today(c))
	}
	if err != nil {
		return h.visitRefused(c, p.ID, "new", f, err)
	}
	if err := audit(c, u, models.AuditVisitCreate, "participant", v.ParticipantID, map[string]any{"visit_id": v.ID}); err != nil {
		return err
	}
	return h.backToCase(c, p.ID, "flash.visit_planned")
}

// visitUpdate moves a visit, records what happened (one tap: done, nobody
// home, cancelled) or, for case staff, its outcome note. The form says
// where it came from ("agenda" with its week, else the case page), and a
// refusal is shown there.
func (h *handlers) visitUpdate(c *fiber.Ctx) error {
	st, u := store(c), currentUser(c)
	cur, err := st.VisitByID(c.Params("id"))
	if err != nil {
		return err
	}
	f := readVisitForm(c)
	patch, flash := models.VisitPatch{}, "flash.visit_saved"
	ve := &models.ValidationError{}
	if s := c.FormValue("status"); s != "" {
		patch.Status, flash = &s, "flash.visit_status"
	}
	if f.Date != "" || f.Start != "" || f.End != "" {
		start, end := f.when(ve)
		patch.StartsAt, patch.EndsAt, flash = &start, &end, "flash.visit_moved"
	}
	if c.Request().PostArgs().Has("outcome_note") {
		note := strings.TrimSpace(c.FormValue("outcome_note"))
		patch.OutcomeNote = &note
	}
	if patch.Status == nil && patch.StartsAt == nil && patch.OutcomeNote == nil {
		ve.Add("status", "validation.required", nil)
	}
	var v *models.Visit
	if err = ve.OrNil(); err == nil {
		v, err = st.UpdateVisit(cur.ID, formVersion(c), patch, now(c))
	}
	fromAgenda := c.FormValue("from") == "agenda"
	if err != nil {
		if fromAgenda {
			return h.agendaRefused(c, c.FormValue("week"), err)
		}
		return h.visitRefused(c, cur.ParticipantID, cur.ID, f, err)
	}
	if err := audit(c, u, models.AuditVisitUpdate, "participant", v.ParticipantID, map[string]any{"visit_id": v.ID}); err != nil {
		return err
	}
	if err := setFlash(c, flash); err != nil {
		return err
	}
	if fromAgenda {
		return c.Redirect("/visits?week="+weekStart(c.FormValue("week"), today(c)).Format(time.DateOnly)+"#visit-"+v.ID, fiber.StatusSeeOther)
	}
	return c.Redirect("/participants/"+v.ParticipantID+"#visit-"+v.ID, fiber.StatusSeeOther)
}

// visitRefused shows the case page again with why a visit form was
// refused and what was typed. Errors other than conflicts and invalid
// input go to the error page.
func (h *handlers) visitRefused(c *fiber.Ctx, participantID, formID string, f visitForm, err error) error {
	status, msg, fields := visitProblem(h.s.localizer(c), err)
	if status == 0 {
		return err
	}
	p, perr := store(c).ParticipantByID(participantID)
	if perr != nil {
		return perr
	}
	if perr := audit(c, currentUser(c), models.AuditParticipantRead, "participant", p.ID, nil); perr != nil {
		return perr
	}
	c.Locals(localVisitRefusal, &visitRefusal{For: formID, Form: f, Message: msg, Errors: fields})
	return h.renderCase(c.Status(status), p, nil)
}

// visitProblem is the status and localised message of a refused visit
// form (0 for errors that are not the form's fault). A double booking
// names the other visit by time and case number only, as the API does.
func visitProblem(l *Localizer, err error) (int, string, map[string]string) {
	var ce *models.ConflictError
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ce):
		return fiber.StatusConflict, visitConflictText(l, ce.Slot), nil
	case errors.Is(err, models.ErrConflict):
		return fiber.StatusConflict, l.T("error.conflict"), nil
	case errors.As(err, &ve):
		return fiber.StatusUnprocessableEntity, l.T("error.validation"), formErrors(l, ve)
	}
	return 0, "", nil
}

func visitConflictText(l *Localizer, s models.Slot) string {
	return l.T("error.visit_conflict", "Time", l.DateTime(s.Start), "End", l.Clock(s.End), "CaseNumber", s.CaseNumber)
}
