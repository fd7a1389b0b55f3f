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
	Sessions     []caseSessionItem
	Goals        []models.Goal
	Progress     []string
	Reviews      []models.Review
	Timing       *models.Timing
	Closing      *models.Closing
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
	ss, err := st.SessionsOf(p.ID)
	if err != nil {
		return err
	}
	next, at := -1, now(c)
	for i := range ss {
		if ss[i].Status == models.SessionPlanned && ss[i].StartedAt.After(at) && (next < 0 || ss[i].StartedAt.Before(ss[next].StartedAt)) {
			next = i
		}
		item := caseSessionItem{sessionLine: sessionLineOf(&ss[i], lang), Note: firstLine(ss[i].Notes, 120)}
		for _, sp := range ss[i].Participants {
			if sp.ParticipantID == p.ID {
				item.Attendance = string(sp.Attendance)
			}
		}
		w.Sessions = append(w.Sessions, item)
	}
	if next >= 0 {
		w.Next = &w.Sessions[next]
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

// firstLine is the first line of s, cut to max runes.
func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(strings.TrimSpace(s)); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return strings.TrimSpace(s)
}
