package app

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// sessionLine is a session as the dashboard and the case page list it,
// with its start in the program's zone.
type sessionLine struct {
	ID, Day, Weekday, Time, Measure, Module, Status string
	Minutes                                         int
	Participants                                    []models.SessionParticipant
}

// weekdayIDs complete "dashboard.weekday.%s", indexed by time.Weekday.
var weekdayIDs = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func sessionLineOf(s *models.CaseSession, lang string) sessionLine {
	at := s.StartedAt.In(programZone)
	l := sessionLine{ID: s.ID, Day: at.Format(time.DateOnly), Weekday: weekdayIDs[at.Weekday()], Time: at.Format("15:04"),
		Measure: s.Measure.Name(lang), Status: s.Status, Minutes: s.DurationMinutes, Participants: s.Participants}
	if s.ModuleCode != "" {
		l.Module = s.Module.Name(lang)
	}
	return l
}

// caseworkView is the casework over time on the case page: sessions,
// goals, reviews, the program period and the closing interview. It is
// loaded for case staff only, never for language mediators.
type caseworkView struct {
	Active, Open bool
	// Sessions are the latest caseSessionsShown sessions, newest first;
	// More tells that older ones follow on the sessions page.
	Sessions []caseSessionItem
	More     bool
	Goals    []models.Goal
	Progress []string
	Reviews  []models.Review
	Timing   *models.Timing
	Closing  *models.Closing
	// Next is the child's next planned session, if any.
	Next *caseSessionItem
	// Kept is what a refused form of the case page had typed.
	Kept map[string]string
}

// caseSessionItem is one session of the child, with the child's own
// attendance and the first line of the notes.
type caseSessionItem struct {
	sessionLine
	Attendance, Note string
}

// localCaseForm carries the input of a refused case-page form to the page
// shown again (see keepCaseInput).
const localCaseForm = "kurve.case_form"

// keepCaseInput keeps typed values for the case page that caseFailure
// shows, so that a refused review or extension loses nothing.
func keepCaseInput(c *fiber.Ctx, kv ...string) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	c.Locals(localCaseForm, m)
}

// loadCaseworkTime fills v.Work for case staff.
func (h *handlers) loadCaseworkTime(c *fiber.Ctx, v *caseView) error {
	st, p, lang := store(c), v.P, h.s.localizer(c).Lang
	w := &caseworkView{Active: p.Status == models.StatusActive, Open: p.Status.Open(), Progress: models.GoalProgress}
	w.Kept, _ = c.Locals(localCaseForm).(map[string]string)
	ss, err := st.SessionsPage(p.ID, models.Page{Limit: caseSessionsShown + 1}, models.SessionText)
	if err != nil {
		return err
	}
	if len(ss) > caseSessionsShown {
		ss, w.More = ss[:caseSessionsShown], true
	}
	w.Sessions = caseSessionItems(ss, p.ID, lang)
	at := now(c)
	for i := range ss {
		if ss[i].Status == models.SessionPlanned && ss[i].StartedAt.After(at) {
			w.Next = &w.Sessions[i] // newest first: the last one to come is the next
		}
	}
	// When even the oldest shown is still to come (a term of sessions
	// planned ahead), the next one is older than what is shown.
	if last := len(ss) - 1; w.More && w.Next == &w.Sessions[last] {
		ns, err := st.NextSession(p.ID, at, models.SessionText)
		if err != nil {
			return err
		}
		if ns != nil {
			w.Next = &caseSessionItems([]models.CaseSession{*ns}, p.ID, lang)[0]
		}
	}
	if w.Goals, err = st.GoalsOf(p.ID); err != nil {
		return err
	}
	if w.Reviews, err = st.ReviewsOf(p.ID); err != nil {
		return err
	}
	if w.Timing, err = st.TimingOf(p, today(c)); err != nil {
		return err
	}
	if p.Status == models.StatusCompleted || p.Status == models.StatusEndedEarly {
		if w.Closing, err = st.ClosingOf(p.ID); err != nil {
			return err
		}
	}
	v.Work = w
	return nil
}

// caseSessionsShown is how many sessions the case page lists, newest
// first. A year of weekly sessions made the page 19 KB longer on a phone
// and its rendering the largest part of the page's time; the rest are on
// the sessions page (/participants/{id}/sessions).
const caseSessionsShown = 10

// caseSessionItems are sessions as the case's lists show them, with the
// child's own attendance and the first line of the notes.
func caseSessionItems(ss []models.CaseSession, participantID, lang string) []caseSessionItem {
	out := make([]caseSessionItem, 0, len(ss))
	for i := range ss {
		item := caseSessionItem{sessionLine: sessionLineOf(&ss[i], lang), Note: firstLine(ss[i].Notes, 120)}
		for _, sp := range ss[i].Participants {
			if sp.ParticipantID == participantID {
				item.Attendance = string(sp.Attendance)
			}
		}
		out = append(out, item)
	}
	return out
}

// caseSessionsData is the sessions page of a case: one page of its
// sessions, newest first, and the links to the next and the first page.
type caseSessionsData struct {
	P                 *models.Participant
	Sessions          []caseSessionItem
	NextURL, FirstURL string
	AlertMessage      string
	AlertItems        []string
}

// participantSessions shows every session of a case, 50 a page (?limit=,
// ?cursor=), newest first; the read is audited like the case page.
func (h *handlers) participantSessions(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	l := h.s.localizer(c)
	data := caseSessionsData{P: p}
	ss, next, err := readPage(c, func(pg models.Page) ([]models.CaseSession, error) {
		return store(c).SessionsPage(p.ID, pg, models.SessionText)
	}, (*models.CaseSession).Cursor)
	if ve, ok := asValidation(err); ok {
		c.Status(fiber.StatusUnprocessableEntity)
		data.AlertMessage, data.AlertItems, _ = validationAlert(l, ve)
	} else if err != nil {
		return err
	}
	data.Sessions = caseSessionItems(ss, p.ID, l.Lang)
	if next != "" {
		data.NextURL = nextLink(c, c.Path(), next)
	}
	if c.Query("cursor") != "" {
		data.FirstURL = firstLink(c, c.Path())
	}
	page := h.s.newPage(c, "session.history_title", data)
	page.Title = l.T("session.history_title", "CaseNumber", p.CaseNumber)
	return h.s.renderPage(c, "participant_sessions.html", page)
}

// firstLine is the first line of s, cut to max runes.
func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(strings.TrimSpace(s)); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return strings.TrimSpace(s)
}
