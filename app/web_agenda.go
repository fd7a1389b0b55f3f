package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// agendaView is a week of visits, Monday to Sunday: the mediator's own,
// a social worker's own, or all of the coordinator's site. The page is a
// list by day; on a wide screen the stylesheet lays the days out as a
// seven-column grid. It never shows sessions, goals or notes.
type agendaView struct {
	Week, Sunday, Prev, Next string
	ThisWeek                 bool
	Days                     []agendaDay
	Count                    int
	AlertMessage             string
	AlertItems               []string
	// Mediator links each visit to the family's documents (the consent
	// form besides the visit notice that every line has).
	Mediator bool
	// Status filters the week's visits ("": all); a week shows pages of
	// 50 visits, NextURL and FirstURL page through them keeping the
	// filter.
	Status            string
	Statuses          []string
	NextURL, FirstURL string
}

type agendaDay struct {
	Date, Weekday string
	Today         bool
	Visits        []agendaVisit
}

// agendaVisit is a visit with what the one going there needs: the
// family's name ("Family <name>" in the interface language), address and
// phone.
type agendaVisit struct {
	visitLine
	Family, Address, Phone, MediatorName, WorkerName string
}

// weekStart is the Monday (midnight in the program's zone) of the week of
// the day s (YYYY-MM-DD), or of this week when s is empty or unreadable.
func weekStart(s string, today time.Time) time.Time {
	day, err := time.ParseInLocation(time.DateOnly, s, programZone)
	if err != nil {
		day = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, programZone)
	}
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// visitAgenda shows the week of ?week= (a day of it; default this week),
// its visits of ?status= (default all), a page of them after ?cursor=.
func (h *handlers) visitAgenda(c *fiber.Ctx) error {
	return h.renderAgenda(c, weekStart(c.Query("week"), today(c)), agendaView{Status: c.Query("status")})
}

// agendaRefused shows the agenda again with why a one-tap form was
// refused (409 for a stale version).
func (h *handlers) agendaRefused(c *fiber.Ctx, week string, err error) error {
	status, msg, fields := visitProblem(h.s.localizer(c), err)
	if status == 0 {
		return err
	}
	a := agendaView{AlertMessage: msg}
	for _, f := range sortedKeys(fields) {
		a.AlertItems = append(a.AlertItems, fields[f])
	}
	return h.renderAgenda(c.Status(status), weekStart(week, today(c)), a)
}

func (h *handlers) renderAgenda(c *fiber.Ctx, monday time.Time, a agendaView) error {
	st, u := store(c), currentUser(c)
	next := monday.AddDate(0, 0, 7)
	a.Statuses, a.Mediator = models.VisitStatuses, u.Role == models.RoleMediator
	vs, more, err := agendaPage(c, monday, a.Status)
	var errs map[string]string
	if ve, ok := asValidation(err); ok {
		c.Status(fiber.StatusUnprocessableEntity)
		a.AlertMessage, vs = h.s.localizer(c).T("error.validation"), nil
		errs = formErrors(h.s.localizer(c), ve)
		for _, f := range sortedKeys(errs) {
			a.AlertItems = append(a.AlertItems, errs[f])
		}
	} else if err != nil {
		return err
	}
	if more != "" {
		a.NextURL = nextLink(c, "/visits", more)
	}
	if c.Query("cursor") != "" {
		a.FirstURL = firstLink(c, "/visits")
	}
	staff, err := st.StaffOfSite(u.SiteID, models.RoleSocialWorker, models.RoleCoordinator, models.RoleMediator)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range staff {
		names[s.ID] = s.Name
	}
	todayStr := formatDate(ptr(today(c)))
	a.Week, a.Sunday = monday.Format(time.DateOnly), monday.AddDate(0, 0, 6).Format(time.DateOnly)
	a.Prev, a.Next = monday.AddDate(0, 0, -7).Format(time.DateOnly), next.Format(time.DateOnly)
	a.ThisWeek = weekStart("", today(c)).Equal(monday)
	index := map[string]int{}
	for i := 0; i < 7; i++ {
		d := monday.AddDate(0, 0, i)
		day := agendaDay{Date: d.Format(time.DateOnly), Weekday: weekdayIDs[d.Weekday()]}
		day.Today = day.Date == todayStr
		index[day.Date] = i
		a.Days = append(a.Days, day)
	}
	families, err := visitFamilies(c, st, vs)
	if err != nil {
		return err
	}
	l := h.s.localizer(c)
	for i := range vs {
		item := agendaVisit{visitLine: visitLineOf(&vs[i], now(c)), MediatorName: names[vs[i].MediatorID], WorkerName: names[vs[i].SocialWorkerID]}
		if vs[i].MediatorID == u.ID {
			item.MediatorName = "" // the agenda's own reader
		}
		if fam := families[vs[i].ParticipantID]; fam != nil {
			item.Family = l.T("visit.family", "Name", isolate(fam.Name))
			item.Address, item.Phone = fam.Address, fam.Phone
		}
		if d, ok := index[item.Day]; ok {
			a.Days[d].Visits = append(a.Days[d].Visits, item)
			a.Count++
		}
	}
	page := h.s.newPage(c, "agenda.title", a)
	page.Errors = errs
	return h.s.renderPage(c, "visit_agenda.html", page)
}

// agendaPage reads one page of the week's visits of status (all when
// ""), with the cursor of the next page while more follow.
func agendaPage(c *fiber.Ctx, monday time.Time, status string) ([]models.Visit, string, error) {
	return readPage(c, func(pg models.Page) ([]models.Visit, error) {
		return store(c).VisitsPage(models.VisitFilter{From: monday, To: monday.AddDate(0, 0, 7), Status: status, Page: pg})
	}, (*models.Visit).Cursor)
}

// visitFamilies returns the families of the visited children (family
// name, contact, languages), by child, in one statement, and audits the
// read of each child's record once. A child the user can no longer see
// has no family here.
func visitFamilies(c *fiber.Ctx, st *models.Store, vs []models.Visit) (map[string]*models.VisitFamily, error) {
	var ids []string
	seen := map[string]bool{}
	for i := range vs {
		if id := vs[i].ParticipantID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	fams, err := st.VisitFamilies(ids)
	if err != nil {
		return nil, err
	}
	read := make([]string, 0, len(fams))
	for _, id := range ids {
		if fams[id] != nil {
			read = append(read, id)
		}
	}
	return fams, auditEach(c, currentUser(c), models.AuditParticipantRead, "participant", read)
}

// addVisits puts today's visits and those of the rest of this week on the
// dashboard, at most dashListMax of each (a coordinator's site has hundreds a week;
// the agenda pages through them all).
func (d *dashboardData) addVisits(st *models.Store, monday, day, now time.Time) error {
	read := func(from, to time.Time, lines *[]visitLine, more *bool) error {
		vs, err := st.VisitsPage(models.VisitFilter{From: from, To: to, Page: models.Page{Limit: dashListMax + 1}})
		if err != nil {
			return err
		}
		if len(vs) > dashListMax {
			vs, *more = vs[:dashListMax], true
		}
		for i := range vs {
			*lines = append(*lines, visitLineOf(&vs[i], now))
		}
		return nil
	}
	tomorrow, sunday := day.AddDate(0, 0, 1), monday.AddDate(0, 0, 7)
	if err := read(day, tomorrow, &d.VisitsToday, &d.MoreVisitsToday); err != nil {
		return err
	}
	// The rest of the week, as the list says.
	if err := read(tomorrow, sunday, &d.VisitsWeek, &d.MoreVisitsWeek); err != nil {
		return err
	}
	return nil
}
