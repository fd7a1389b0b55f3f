package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// mediatorHomeData is the start page of a language mediator: their own
// visits of today and tomorrow (program zone), with what they need to go
// there and nothing of the casework.
type mediatorHomeData struct {
	Today, Tomorrow mediatorDay
}

// mediatorDay is one day of the mediator's start page: at most
// dashListMax visits, More when the agenda (Agenda, the day's week) has
// others.
type mediatorDay struct {
	Date   string
	Agenda string
	Visits []mediatorVisit
	More   bool
}

// mediatorVisit is a visit line of the mediator's start page: time,
// family name, case number, purpose, the family's languages, a link to
// the visit and to the family's documents.
type mediatorVisit struct {
	visitLine
	// Family is "Family <name>" in the interface language, the name
	// isolated for the other writing direction; empty when the family is
	// no longer visible.
	Family    string
	Languages []langChoice
}

// mediatorHome shows the mediator's visits of today and tomorrow. Its
// cost does not grow with the site or the mediator's caseload: one page
// of visits per day, the families of all lines in one statement, one
// audit statement.
func (h *handlers) mediatorHome(c *fiber.Ctx) error {
	st, l := store(c), h.s.localizer(c)
	at := now(c).In(programZone)
	day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, programZone)
	var d mediatorHomeData
	days := []*mediatorDay{&d.Today, &d.Tomorrow}
	lists := make([][]models.Visit, len(days))
	var all []models.Visit
	for i, md := range days {
		from := day.AddDate(0, 0, i)
		vs, err := st.VisitsPage(models.VisitFilter{From: from, To: from.AddDate(0, 0, 1), Page: models.Page{Limit: dashListMax + 1}})
		if err != nil {
			return err
		}
		if len(vs) > dashListMax {
			vs, md.More = vs[:dashListMax], true
		}
		md.Date = from.Format(time.DateOnly)
		md.Agenda = "/visits?week=" + md.Date
		lists[i], all = vs, append(all, vs...)
	}
	families, err := visitFamilies(c, st, all)
	if err != nil {
		return err
	}
	for i, md := range days {
		for j := range lists[i] {
			v := &lists[i][j]
			line := mediatorVisit{visitLine: visitLineOf(v, at)}
			if fam := families[v.ParticipantID]; fam != nil {
				line.Family = l.T("visit.family", "Name", isolate(fam.Name))
				line.Languages = familyDisplay(&fam.Family)
			}
			md.Visits = append(md.Visits, line)
		}
	}
	return h.s.render(c, "mediator_home.html", "home.title", d)
}
