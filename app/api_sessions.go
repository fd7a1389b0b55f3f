package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

type labelsJSON struct {
	DE string `json:"de" validate:"required,max=120"`
	EN string `json:"en" validate:"required,max=120"`
	TR string `json:"tr" validate:"required,max=120"`
	AR string `json:"ar" validate:"required,max=120"`
}

type moduleJSON struct {
	Code   string     `json:"code"`
	Name   string     `json:"name"`
	Names  labelsJSON `json:"names"`
	Active bool       `json:"active"`
}

// measureJSON is a catalogue entry (SPEC §11: {code, name, modules}); name
// is in the caller's language, names in all four.
type measureJSON struct {
	Code        string       `json:"code"`
	Name        string       `json:"name"`
	Names       labelsJSON   `json:"names"`
	GroupFormat bool         `json:"group_format"`
	Active      bool         `json:"active"`
	Modules     []moduleJSON `json:"modules"`
}

func labelsOut(l models.Labels) labelsJSON { return labelsJSON{DE: l.DE, EN: l.EN, TR: l.TR, AR: l.AR} }

func measureOut(m *models.Measure, lang string) measureJSON {
	out := measureJSON{Code: m.Code, Name: m.Labels().Name(lang), Names: labelsOut(m.Labels()), GroupFormat: m.GroupFormat,
		Active: m.Active, Modules: []moduleJSON{}}
	for i := range m.Modules {
		mod := &m.Modules[i]
		out.Modules = append(out.Modules, moduleJSON{Code: mod.Code, Name: mod.Labels().Name(lang), Names: labelsOut(mod.Labels()), Active: mod.Active})
	}
	return out
}

// apiMeasures returns the site's measure catalogue.
func (h *handlers) apiMeasures(c *fiber.Ctx) error {
	all := c.QueryBool("all") && currentUser(c).Role == models.RoleCoordinator
	ms, err := store(c).Measures(all)
	if err != nil {
		return err
	}
	lang := h.s.localizer(c).Lang
	out := make([]measureJSON, 0, len(ms))
	for i := range ms {
		out = append(out, measureOut(&ms[i], lang))
	}
	return c.JSON(out)
}

type measurePutJSON struct {
	Names       labelsJSON `json:"names" validate:"required"`
	GroupFormat bool       `json:"group_format"`
	Active      *bool      `json:"active"`
	Sort        int        `json:"sort"`
	Modules     []struct {
		Code   string     `json:"code" validate:"required"`
		Names  labelsJSON `json:"names" validate:"required"`
		Active *bool      `json:"active"`
		Sort   int        `json:"sort"`
	} `json:"modules" validate:"dive"`
}

// apiMeasurePut creates or changes a catalogue entry and its modules
// (coordinators of the site).
func (h *handlers) apiMeasurePut(c *fiber.Ctx) error {
	var in measurePutJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	code := c.Params("code")
	active := in.Active == nil || *in.Active
	m, err := store(c).SaveMeasure(models.MeasureInput{Code: code, Labels: models.Labels(in.Names), GroupFormat: in.GroupFormat,
		Active: active, Sort: in.Sort})
	if err != nil {
		return err
	}
	for _, mod := range in.Modules {
		if err := store(c).SaveModule(code, models.MeasureInput{Code: mod.Code, Labels: models.Labels(mod.Names),
			Active: mod.Active == nil || *mod.Active, Sort: mod.Sort}); err != nil {
			return err
		}
	}
	if err := audit(c, currentUser(c), models.AuditMeasureSave, "measure", m.ID, map[string]any{"code": code}); err != nil {
		return err
	}
	m, err = store(c).MeasureByCodeAny(code)
	if err != nil {
		return err
	}
	return c.JSON(measureOut(m, h.s.localizer(c).Lang))
}

// sessionJSON is a session with attendance per (visible) participant.
type sessionJSON struct {
	ID              string            `json:"id"`
	Type            string            `json:"type"`
	TypeName        string            `json:"type_name"`
	Module          string            `json:"module,omitempty"`
	ModuleName      string            `json:"module_name,omitempty"`
	Status          string            `json:"status"`
	StartedAt       string            `json:"started_at"`
	DurationMinutes int               `json:"duration_minutes"`
	Location        string            `json:"location"`
	MediatorPresent bool              `json:"mediator_present"`
	StaffIDs        []string          `json:"staff_ids"`
	ParticipantIDs  []string          `json:"participant_ids"`
	Attendance      map[string]string `json:"attendance"`
	Notes           string            `json:"notes"`
	Version         int               `json:"version"`
}

func sessionOut(s *models.CaseSession, lang string) sessionJSON {
	out := sessionJSON{ID: s.ID, Type: s.MeasureCode, TypeName: s.Measure.Name(lang), Module: s.ModuleCode, Status: s.Status,
		StartedAt: s.StartedAt.UTC().Format(time.RFC3339), DurationMinutes: s.DurationMinutes, Location: s.Location,
		MediatorPresent: s.MediatorPresent, StaffIDs: s.StaffIDs, ParticipantIDs: []string{}, Attendance: map[string]string{},
		Notes: s.Notes, Version: s.Version}
	if s.ModuleCode != "" {
		out.ModuleName = s.Module.Name(lang)
	}
	if out.StaffIDs == nil {
		out.StaffIDs = []string{}
	}
	for _, p := range s.Participants {
		out.ParticipantIDs = append(out.ParticipantIDs, p.ParticipantID)
		if p.Attendance != "" {
			out.Attendance[p.ParticipantID] = string(p.Attendance)
		}
	}
	return out
}

type sessionCreateJSON struct {
	ParticipantIDs  []string          `json:"participant_ids" validate:"required,min=1"`
	Type            string            `json:"type" validate:"required"`
	Module          string            `json:"module"`
	StartedAt       string            `json:"started_at" validate:"required"`
	DurationMinutes int               `json:"duration_minutes" validate:"required"`
	Location        string            `json:"location"`
	StaffIDs        []string          `json:"staff_ids"`
	MediatorPresent bool              `json:"mediator_present"`
	Attendance      map[string]string `json:"attendance"`
	Notes           string            `json:"notes"`
	Planned         bool              `json:"planned"`
}

// apiSessionCreate records a session (SPEC §11); 422 when a participant
// is not active or lacks valid consent.
func (h *handlers) apiSessionCreate(c *fiber.Ctx) error {
	var in sessionCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	at, perr := time.Parse(time.RFC3339, in.StartedAt)
	if perr != nil && in.StartedAt != "" {
		dp.v.Add("started_at", "validation.datetime", nil)
	}
	if err := dp.err(); err != nil {
		return err
	}
	att := map[string]models.Attendance{}
	for k, v := range in.Attendance {
		att[k] = models.Attendance(v)
	}
	s, err := createSession(c, models.SessionInput{ParticipantIDs: in.ParticipantIDs, MeasureCode: in.Type, ModuleCode: in.Module,
		StartedAt: at, DurationMinutes: in.DurationMinutes, Location: in.Location, StaffIDs: in.StaffIDs,
		MediatorPresent: in.MediatorPresent, Attendance: att, Notes: in.Notes, Planned: in.Planned})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(sessionOut(s, h.s.localizer(c).Lang))
}

// createSession is shared by the API and the quick form.
func createSession(c *fiber.Ctx, in models.SessionInput) (*models.CaseSession, error) {
	s, err := store(c).CreateSession(in, today(c))
	if err != nil {
		return nil, err
	}
	return s, audit(c, currentUser(c), models.AuditSessionCreate, "session", s.ID, map[string]any{"participants": len(s.Participants)})
}

// apiSession returns one session.
func (h *handlers) apiSession(c *fiber.Ctx) error {
	s, err := store(c).SessionByID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditSessionRead, "session", s.ID, nil); err != nil {
		return err
	}
	return c.JSON(sessionOut(s, h.s.localizer(c).Lang))
}

type sessionPatchJSON struct {
	Version    *int              `json:"version" validate:"required"`
	Notes      *string           `json:"notes"`
	Status     *string           `json:"status"`
	Attendance map[string]string `json:"attendance"`
}

// apiSessionPatch edits a session (409 on a stale version).
func (h *handlers) apiSessionPatch(c *fiber.Ctx) error {
	var in sessionPatchJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	att := map[string]models.Attendance{}
	for k, v := range in.Attendance {
		att[k] = models.Attendance(v)
	}
	s, err := store(c).UpdateSession(c.Params("id"), *in.Version, models.SessionPatch{Notes: in.Notes, Status: in.Status, Attendance: att})
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditSessionUpdate, "session", s.ID, nil); err != nil {
		return err
	}
	return c.JSON(sessionOut(s, h.s.localizer(c).Lang))
}

// apiParticipantSessions lists a participant's sessions, newest first, with
// notes, in pages.
func (h *handlers) apiParticipantSessions(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	ss, next, err := readPage(c, func(pg models.Page) ([]models.CaseSession, error) {
		return store(c).SessionsPage(p.ID, pg, models.SessionAll)
	},
		(*models.CaseSession).Cursor)
	if err != nil {
		return err
	}
	linkNext(c, next)
	lang := h.s.localizer(c).Lang
	out := make([]sessionJSON, 0, len(ss))
	for i := range ss {
		out = append(out, sessionOut(&ss[i], lang))
	}
	return c.JSON(out)
}
