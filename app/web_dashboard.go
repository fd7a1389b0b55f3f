package app

import (
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
	OverdueReviews  []caseLine
	ConsentMissing  []caseLine
	ConsentExpiring []caseLine
	EndingSoon      []caseLine
	// NeedsWorker are the site's open cases without a current social
	// worker, for instance after the admin deactivated theirs
	// (coordinators only).
	NeedsWorker []caseLine
	Caseload    []workerLoad

	// VisitsToday and VisitsWeek are this week's family visits
	// (web_agenda.go).
	VisitsToday, VisitsWeek []visitLine
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

// dashboard is the start page of social workers and coordinators.
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
	ps, err := st.Participants(models.ParticipantFilter{})
	if err != nil {
		return err
	}
	if err := audit(c, u, models.AuditParticipantList, "participant", "", map[string]any{"count": len(ps)}); err != nil {
		return err
	}
	loads := map[string]*workerLoad{}
	day := today(c)
	for i := range ps {
		if err := d.add(st, &ps[i], day, loads); err != nil {
			return err
		}
	}
	if d.Coordinator {
		workers, err := st.StaffOfSite(u.SiteID, models.RoleSocialWorker)
		if err != nil {
			return err
		}
		for _, w := range workers {
			load := workerLoad{ID: w.ID, Name: w.Name}
			if l := loads[w.ID]; l != nil {
				load.Open, load.Active = l.Open, l.Active
			}
			d.Caseload = append(d.Caseload, load)
		}
	}
	return h.s.render(c, "dashboard.html", "home.title", d)
}

// add puts a participant on the lists that concern them; loads counts the
// caseload per social worker (coordinators only).
func (d *dashboardData) add(st *models.Store, p *models.Participant, day time.Time, loads map[string]*workerLoad) error {
	line := caseLine{ID: p.ID, CaseNumber: p.CaseNumber, Name: p.FirstName + " " + p.LastName, Status: p.Status}
	if p.Status == models.StatusActive || p.Status == models.StatusConsentPending {
		missing, err := st.MissingConsent(p, day)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			d.ConsentMissing = append(d.ConsentMissing, line)
		}
		cs, err := st.ConsentsOf(p.ID)
		if err != nil {
			return err
		}
		var soonest *time.Time
		for _, k := range cs {
			if k.State == models.ConsentGiven && k.ExpiresOn != nil && !k.ExpiresOn.Before(day) &&
				!k.ExpiresOn.After(day.AddDate(0, 0, models.ProgramEndNotice)) && (soonest == nil || k.ExpiresOn.Before(*soonest)) {
				soonest = k.ExpiresOn
			}
		}
		if soonest != nil {
			l := line
			l.Date = formatDate(soonest)
			d.ConsentExpiring = append(d.ConsentExpiring, l)
		}
	}
	if p.Status == models.StatusActive {
		t, err := st.TimingOf(p, day)
		if err != nil {
			return err
		}
		if t.ReviewOverdue {
			l := line
			l.Date = formatDate(t.ReviewDue)
			d.OverdueReviews = append(d.OverdueReviews, l)
		}
		if t.EndingSoon {
			l := line
			l.Date = formatDate(t.ProgramEnd)
			d.EndingSoon = append(d.EndingSoon, l)
		}
	}
	if !d.Coordinator || !p.Status.Open() {
		return nil
	}
	as, err := st.AssignmentsOf(p.ID)
	if err != nil {
		return err
	}
	staffed := false
	for i := range as {
		if a := &as[i]; a.Kind == models.AssignSocialWorker && a.CurrentOn(day) {
			staffed = true
			if loads[a.UserID] == nil {
				loads[a.UserID] = &workerLoad{}
			}
			loads[a.UserID].Open++
			if p.Status == models.StatusActive {
				loads[a.UserID].Active++
			}
		}
	}
	if !staffed {
		d.NeedsWorker = append(d.NeedsWorker, line)
	}
	return nil
}
