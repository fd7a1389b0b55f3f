package app

import (
	"slices"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// dashboardData is the start page of case staff: the sessions of today and
// this week, and the cases that need attention. Coordinators see their
// site (row-level security decides), social workers their caseload.
type dashboardData struct {
	Coordinator     bool
	Today, Week     []sessionLine
	OverdueReviews  caseList
	ConsentMissing  caseList
	ConsentExpiring caseList
	EndingSoon      caseList
	// NoBaseline are the active cases without a baseline assessment
	// (issue 17), longest active first.
	NoBaseline caseList
	// NeedsWorker are the site's open cases without a current social
	// worker, for instance after the admin deactivated theirs
	// (coordinators only).
	NeedsWorker caseList
	Caseload    []workerLoad

	// VisitsToday and VisitsWeek are this week's family visits
	// (web_agenda.go).
	VisitsToday, VisitsWeek []visitLine
	// MoreVisitsToday and MoreVisitsWeek: the lists are cut at
	// dashListMax; the agenda has the rest.
	MoreVisitsToday, MoreVisitsWeek bool
}

// dashListMax bounds each attention list of the start page: a site of
// 12,000 cases must not make it a page of thousands of lines. The rest is
// one link away, on the caseload filtered the same way.
const dashListMax = 10

// caseList is one attention list: its first lines, how many more cases
// are on it, and the caseload filter that shows them all.
type caseList struct {
	Lines []caseLine
	More  int
	Href  string
}

// caseLine is one case on a dashboard list; Date is what the list is
// about (review due, consent expiry, program end).
type caseLine struct {
	ID, CaseNumber, Name, Date string
	Status                     models.Status
}

// workerLoad is a social worker's caseload: open cases currently assigned
// to them, and how many of those are active.
type workerLoad struct {
	ID, Name     string
	Open, Active int
}

// dashboard is the start page of social workers and coordinators. Its
// cost does not grow with the site: the attention lists come from one
// reading of the case facts (models.Store.CaseFacts), and only the names shown
// are decrypted.
func (h *handlers) dashboard(c *fiber.Ctx) error {
	st, u, lang := store(c), currentUser(c), h.s.localizer(c).Lang
	d := dashboardData{Coordinator: u.Role == models.RoleCoordinator}
	at := now(c).In(programZone)
	dayStart := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, programZone)
	monday := dayStart.AddDate(0, 0, -((int(dayStart.Weekday()) + 6) % 7))
	ss, err := st.SessionsBetween(monday, monday.AddDate(0, 0, 7))
	if err != nil {
		return err
	}
	sort.SliceStable(ss, func(i, j int) bool { return ss[i].StartedAt.Before(ss[j].StartedAt) })
	for i := range ss {
		line := sessionLineOf(&ss[i], lang)
		if line.Day == dayStart.Format(time.DateOnly) {
			d.Today = append(d.Today, line)
		} else {
			d.Week = append(d.Week, line)
		}
	}
	if err := d.addVisits(st, monday, dayStart, at); err != nil {
		return err
	}
	att, err := h.s.dash.attention(st, today(c), d.Coordinator)
	if err != nil {
		return err
	}
	lists := []*caseList{&d.OverdueReviews, &d.ConsentMissing, &d.ConsentExpiring, &d.EndingSoon, &d.NoBaseline, &d.NeedsWorker}
	var shown []*caseLine
	for i, l := range att.lists {
		// A copy: the cached lines stay without names.
		*lists[i] = caseList{Lines: slices.Clone(l.Lines), More: l.More, Href: l.Href}
		for j := range lists[i].Lines {
			shown = append(shown, &lists[i].Lines[j])
		}
	}
	ids := make([]string, 0, len(shown))
	for _, l := range shown {
		ids = append(ids, l.ID)
	}
	names, err := st.ParticipantNames(ids)
	if err != nil {
		return err
	}
	for _, l := range shown {
		l.Name = names[l.ID]
	}
	if err := audit(c, u, models.AuditParticipantList, "participant", "", map[string]any{"count": len(names)}); err != nil {
		return err
	}
	if d.Coordinator {
		workers, err := st.StaffOfSite(u.SiteID, models.RoleSocialWorker)
		if err != nil {
			return err
		}
		for _, w := range workers {
			load := att.loads[w.ID]
			load.ID, load.Name = w.ID, w.Name
			d.Caseload = append(d.Caseload, load)
		}
	}
	return h.s.render(c, "dashboard.html", "home.title", d)
}

// attentionList fills one list of the start page: the cases its filter
// holds for, soonest date first when the list is about a date.
type attentionList struct {
	filter caseFilter
	date   func(*models.CaseFact) *time.Time
}

// attention is what the start page computes from the case facts of the
// user's cases or site: each attention list's first dashListMax lines
// (case number, status and date, never a name) and how many more there
// are, in the order of dashboardData's fields, and with staffing the
// open and active cases per social worker. The dashboard cache keeps it
// (dashcache.go).
type attention struct {
	lists []caseList
	loads map[string]workerLoad
}

// attentionOf applies the attention filters to the facts; staffing adds
// the list of cases without a social worker and the caseloads.
func attentionOf(facts []models.CaseFact, staffing bool) *attention {
	att := &attention{}
	lists := []attentionList{
		{filterReviewOverdue, func(f *models.CaseFact) *time.Time { return f.ReviewDue }},
		{filterConsentMissing, nil},
		{filterConsentExpiring, func(f *models.CaseFact) *time.Time { return f.ConsentExpires }},
		{filterEndingSoon, func(f *models.CaseFact) *time.Time { return f.ProgramEnd }},
		{filterNoBaseline, func(f *models.CaseFact) *time.Time { return f.ActivatedOn }},
	}
	if staffing {
		lists = append(lists, attentionList{filterNeedsWorker, nil})
	}
	for _, l := range lists {
		match := l.filter.pick(facts)
		if l.date != nil {
			models.SortFactsBy(match, l.date)
		}
		list := caseList{Href: "/participants?attention=" + string(l.filter)}
		for i := range match {
			if i == dashListMax {
				list.More = len(match) - dashListMax
				break
			}
			line := caseLine{ID: match[i].ID, CaseNumber: match[i].CaseNumber, Status: match[i].Status}
			if l.date != nil {
				line.Date = formatDate(l.date(&match[i]))
			}
			list.Lines = append(list.Lines, line)
		}
		att.lists = append(att.lists, list)
	}
	if staffing {
		att.loads = map[string]workerLoad{}
		for i := range facts {
			for _, w := range facts[i].Workers {
				load := att.loads[w]
				load.Open++
				if facts[i].Status == models.StatusActive {
					load.Active++
				}
				att.loads[w] = load
			}
		}
	}
	return att
}

// caseFilter is an attention filter of the start page and the caseload.
type caseFilter string

const (
	filterReviewOverdue   caseFilter = "review_overdue"
	filterConsentMissing  caseFilter = "consent_missing"
	filterConsentExpiring caseFilter = "consent_expiring"
	filterEndingSoon      caseFilter = "ending_soon"
	filterNeedsWorker     caseFilter = "needs_worker"
	filterNoBaseline      caseFilter = "no_baseline"
)

// caseFilters are the attention filters in the order the caseload offers
// them.
var caseFilters = []caseFilter{filterReviewOverdue, filterConsentMissing, filterConsentExpiring, filterEndingSoon, filterNoBaseline,
	filterNeedsWorker}

// valid reports whether f is a known filter; needs_worker is the
// coordinator's only.
func (f caseFilter) valid(coordinator bool) bool {
	for _, k := range caseFilters {
		if f == k {
			return f != filterNeedsWorker || coordinator
		}
	}
	return false
}

// holds reports whether a case is on the filter's list.
func (f caseFilter) holds(c *models.CaseFact) bool {
	switch f {
	case filterReviewOverdue:
		return c.ReviewOverdue
	case filterConsentMissing:
		return c.ConsentMissing
	case filterConsentExpiring:
		return c.ConsentExpires != nil
	case filterEndingSoon:
		return c.EndingSoon
	case filterNeedsWorker:
		return len(c.Workers) == 0
	case filterNoBaseline:
		return c.NoBaseline
	}
	return false
}

// pick returns the facts the filter holds for, in their order.
func (f caseFilter) pick(facts []models.CaseFact) []models.CaseFact {
	var out []models.CaseFact
	for i := range facts {
		if f.holds(&facts[i]) {
			out = append(out, facts[i])
		}
	}
	return out
}
