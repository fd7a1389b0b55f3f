package app

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// sessionForm is the quick session form as typed. Module is
// "<measure>/<module>" (the select lists the modules of every measure),
// so the server can tell a module of another measure.
//
// Group is the group picked (its members are listed, and ticked when the
// group is picked: TickGroup) and Search a case-number prefix; both go
// along when the form is shown again, so that it lists the same children.
type sessionForm struct {
	ParticipantIDs                                         []string
	Attendance                                             map[string]string
	Measure, Module, Date, Time, Duration, Location, Notes string
	MediatorPresent                                        bool
	StaffIDs                                               []string
	Group, Search                                          string
	TickGroup                                              bool
}

// Picked reports whether the child's checkbox is ticked.
func (f sessionForm) Picked(id string) bool { return hasString(f.ParticipantIDs, id) }

// HasStaff reports whether a colleague is ticked as also present.
func (f sessionForm) HasStaff(id string) bool { return hasString(f.StaffIDs, id) }

// AttendanceOf is the child's attendance choice, "attended" by default.
func (f sessionForm) AttendanceOf(id string) string {
	if a := f.Attendance[id]; a != "" {
		return a
	}
	return string(models.Attended)
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pickRow is a child the form offers; ConsentMissing warns before the
// server refuses.
type pickRow struct {
	ID, CaseNumber, Name string
	ConsentMissing       bool
}

type formChoice struct{ Value, Name string }

// moduleGroup is an <optgroup>: the modules of one measure.
type moduleGroup struct {
	Name    string
	Modules []formChoice
}

type sessionFormData struct {
	Form        sessionForm
	Rows        []pickRow
	Measures    []formChoice
	Groups      []moduleGroup
	Staff       []models.Staff
	Attendances []models.Attendance
	Self, Today string
	Problems    []string
	Coordinator bool
	// MyGroups are the groups offered: the user's own first, each with
	// children in the program the user may see.
	MyGroups []models.Group
	// Searched: a search ran; More: it found more than it lists (at most
	// SearchMax).
	Searched, More bool
	SearchMax      int
	// SearchHidden go along with a search: the group and the ticks.
	SearchHidden url.Values
}

// renderSessionForm shows the form. It never lists the whole site: it
// offers the user's groups, the children ticked, the members of the group
// picked, a social worker's own caseload and the children found by case
// number, read with a fixed number of statements (models.SessionChildren)
// and with one consent check for all of them; the active catalogue; and
// the colleagues who may be recorded as present. The listing is audited
// once.
func (h *handlers) renderSessionForm(c *fiber.Ctx, f sessionForm, ve *models.ValidationError) error {
	st, u, l := store(c), currentUser(c), h.s.localizer(c)
	day := today(c)
	d := sessionFormData{Form: f, Attendances: models.Attendances, Self: u.ID, Today: formatDate(&day),
		Coordinator: u.Role == models.RoleCoordinator, Searched: strings.TrimSpace(f.Search) != "", SearchMax: models.MaxChildSearch}
	gs, err := st.Groups()
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.Active > 0 {
			d.MyGroups = append(d.MyGroups, g)
		}
	}
	children, more, err := st.SessionChildren(models.SessionChoice{Ticked: f.ParticipantIDs, GroupID: f.Group,
		Caseload: u.Role == models.RoleSocialWorker, Search: f.Search}, day)
	if err != nil {
		return err
	}
	d.More = more
	if err := audit(c, u, models.AuditParticipantList, "participant", "", map[string]any{"count": len(children)}); err != nil {
		return err
	}
	for _, ch := range children {
		if f.TickGroup && ch.InGroup && !d.Form.Picked(ch.ID) {
			d.Form.ParticipantIDs = append(d.Form.ParticipantIDs, ch.ID)
		}
		d.Rows = append(d.Rows, pickRow{ID: ch.ID, CaseNumber: ch.CaseNumber, Name: ch.Name(), ConsentMissing: ch.ConsentMissing})
	}
	d.SearchHidden = url.Values{"participant": d.Form.ParticipantIDs}
	if f.Group != "" {
		d.SearchHidden.Set("group", f.Group)
	}
	ms, err := st.Measures(false)
	if err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		d.Measures = append(d.Measures, formChoice{Value: m.Code, Name: m.Labels().Name(l.Lang)})
		g := moduleGroup{Name: m.Labels().Name(l.Lang)}
		for j := range m.Modules {
			g.Modules = append(g.Modules, formChoice{Value: m.Code + "/" + m.Modules[j].Code, Name: m.Modules[j].Labels().Name(l.Lang)})
		}
		if len(g.Modules) > 0 {
			d.Groups = append(d.Groups, g)
		}
	}
	if !hasChoice(d.Measures, d.Form.Measure) && len(d.Measures) > 0 {
		d.Form.Measure = d.Measures[0].Value
	}
	staff, err := st.StaffOfSite(u.SiteID, models.RoleSocialWorker, models.RoleCoordinator)
	if err != nil {
		return err
	}
	for _, s := range staff {
		if s.ID != u.ID {
			d.Staff = append(d.Staff, s)
		}
	}
	var errs map[string]string
	if ve != nil {
		// Every problem goes on top (several children may be refused, each
		// named by case number); the first of a field also next to it.
		errs = formErrors(l, ve)
		for _, fe := range ve.Fields {
			d.Problems = append(d.Problems, l.TData(fe.MessageID, fieldData(l, fe)))
		}
	}
	page := h.s.newPage(c, "session.new_title", d)
	page.Errors = errs
	return h.s.renderPage(c, "session_form.html", page)
}

func hasChoice(cs []formChoice, v string) bool {
	for _, c := range cs {
		if c.Value == v {
			return true
		}
	}
	return false
}
