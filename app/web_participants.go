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
	// Worker and Attention are the coordinator's and social worker's
	// further filters (web_dashboard.go's caseFilter); Workers the
	// social workers a coordinator can pick.
	Worker     string
	Workers    []models.Staff
	Attention  caseFilter
	Attentions []caseFilter
	// Query is the search box as typed (models.ParseSearch).
	Query string
	// Next is the link to the following page, First the link back to the
	// first one (both empty when there is none).
	Next, First string
}

// Filtered reports whether any filter narrows the list.
func (d caseloadData) Filtered() bool {
	return d.Filter != "" || d.Worker != "" || d.Attention != "" || d.Query != ""
}

// caseloadPage is how many cases one page of the caseload shows.
const caseloadPage = 50

// participantList shows the caseload, a page of 50 by case number: the
// assigned cases of a social worker or mediator, the whole site for a
// coordinator (row-level security decides), with filters by status,
// attention (review overdue, consent missing, ...) and, for coordinators,
// social worker. Only the page's names are decrypted.
func (h *handlers) participantList(c *fiber.Ctx) error {
	st, u := store(c), currentUser(c)
	data := caseloadData{Limited: u.Role == models.RoleMediator, Coordinator: u.Role == models.RoleCoordinator,
		Statuses: models.Statuses}
	f := models.ParticipantFilter{After: c.Query("cursor"), Limit: caseloadPage + 1, Brief: true}
	if !data.Limited {
		if s := models.Status(c.Query("status")); s.Valid() {
			data.Filter, f.Status = s, s
		}
		if a := caseFilter(c.Query("attention")); a.valid(data.Coordinator) {
			data.Attention = a
		}
		for _, a := range caseFilters {
			if a.valid(data.Coordinator) {
				data.Attentions = append(data.Attentions, a)
			}
		}
	}
	if data.Coordinator {
		workers, err := st.StaffOfSite(u.SiteID, models.RoleSocialWorker)
		if err != nil {
			return err
		}
		data.Workers = workers
		for _, w := range workers {
			if w.ID == c.Query("worker") {
				data.Worker, f.WorkerID = w.ID, w.ID
			}
		}
	}
	if data.Attention != "" {
		facts, err := st.CaseFacts(today(c), data.Attention == filterNeedsWorker)
		if err != nil {
			return err
		}
		f.IDs = []string{}
		for _, k := range data.Attention.pick(facts) {
			f.IDs = append(f.IDs, k.ID)
		}
	}
	data.Query = c.Query("q")
	search, err := models.ParseSearch(data.Query)
	var ps []models.Participant
	if err == nil {
		f.Search = search
		ps, err = st.Participants(f)
	}
	if ve, ok := asValidation(err); ok {
		p := h.s.newPage(c.Status(fiber.StatusUnprocessableEntity), "caseload.title", data)
		p.Errors = formErrors(h.s.localizer(c), ve)
		return h.s.renderPage(c, "participant_list.html", p)
	}
	if err != nil {
		return err
	}
	ps, next := trimPage(ps, caseloadPage, (*models.Participant).Cursor)
	if next != "" {
		data.Next = nextLink(c, "/participants", next)
	}
	if f.After != "" {
		data.First = firstLink(c, "/participants")
	}
	if err := audit(c, u, models.AuditParticipantList, "participant", "", listDetails(len(ps), search)); err != nil {
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
