package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The top of the case page (issue 15): a short summary of the case, an
// index of the page's sections, and the way back to the section that a
// form saved. Everything here is derived from what renderCase has loaded
// already: no query of its own, so the page's statement count does not
// grow with the case history.

// caseSection is one section of the case page as its index lists it: the
// id of the section element (the anchor of the index link, and of the
// redirect after a save in it) and its heading.
type caseSection struct {
	ID, Title string
}

// caseSections lists the sections that participant_show.html renders for
// v, in page order, with their headings. A language mediator (Limited)
// gets only status, person, family, guardians, visits and the family's
// documents.
func caseSections(l *Localizer, v *caseView) []caseSection {
	var out []caseSection
	add := func(id, title string) { out = append(out, caseSection{ID: id, Title: title}) }
	add("case-status", l.T("participant.status_heading"))
	add("case-person", l.T("participant.person_heading"))
	if !v.Limited {
		add("case-notes", l.T("field.notes"))
		if v.Work != nil {
			add("case-sessions", l.T("session.case_heading"))
			add("case-goals", l.T("goal.heading"))
			add("case-reviews", l.T("review.heading"))
			if v.Assessment != nil {
				add("case-assessment", l.T("assessment.heading"))
			}
			add("case-program", l.T("program.heading"))
			add("case-closing", l.T("closing.heading"))
		}
	}
	add("case-family", l.T("family.heading"))
	add("case-guardians", l.T("guardian.heading"))
	if v.Visits != nil {
		add("case-visits", l.T("visit.heading"))
	}
	if !v.Limited {
		add("case-consent", l.T("consent.heading"))
	}
	add("case-documents", l.Doc("doc.section.heading"))
	if !v.Limited {
		add("case-assignments", l.T("assignment.heading"))
	}
	return out
}

// hasSection reports whether the page shows the section with id.
func (v *caseView) hasSection(id string) bool {
	for _, s := range v.Sections {
		if s.ID == id {
			return true
		}
	}
	return false
}

// caseFlashSections names, for each message that a save on the case page
// (or on a form page of the case) ends with, the section it belongs to:
// the save redirects to that section's anchor, and the page shows the
// message there rather than at the top, out of sight.
var caseFlashSections = map[string]string{
	"flash.status_changed":      "case-status",
	"flash.case_reopened":       "case-status",
	"flash.participant_saved":   "case-person",
	"flash.goal_added":          "case-goals",
	"flash.goal_saved":          "case-goals",
	"flash.review_recorded":     "case-reviews",
	"flash.assessment_recorded": "case-assessment",
	"flash.program_extended":    "case-program",
	"flash.case_closed":         "case-closing",
	"flash.family_saved":        "case-family",
	"flash.guardian_added":      "case-guardians",
	"flash.custody_confirmed":   "case-guardians",
	"flash.visit_planned":       "case-visits",
	"flash.visit_moved":         "case-visits",
	"flash.visit_status":        "case-visits",
	"flash.visit_saved":         "case-visits",
	"flash.consent_recorded":    "case-consent",
	"flash.consent_withdrawn":   "case-consent",
	"flash.consent_answered":    "case-consent",
	"flash.assigned":            "case-assignments",
	"flash.assignment_ended":    "case-assignments",
}

// caseURL is the case page, at section when it is not empty.
func caseURL(participantID, section string) string {
	if section == "" {
		return "/participants/" + participantID
	}
	return "/participants/" + participantID + "#" + section
}

// backToCase ends a successful save of a case: the message, then the case
// page at the section the message belongs to.
func (h *handlers) backToCase(c *fiber.Ctx, participantID, flashID string) error {
	if err := setFlash(c, flashID); err != nil {
		return err
	}
	return c.Redirect(caseURL(participantID, caseFlashSections[flashID]), fiber.StatusSeeOther)
}

// caseSummary is the short summary on top of the case page. NextSession
// and NextVisit come from the sections' own lists; Tasks link to the
// section where each can be done.
type caseSummary struct {
	NextSession *caseSessionItem
	NextVisit   *visitItem
	Tasks       []caseTask
}

type caseTask struct {
	Task    models.Task
	Section string
}

// taskSections is where each task of models.OpenTasks is done.
var taskSections = map[models.Task]string{
	models.TaskConsentMissing: "case-consent",
	models.TaskConsentAnswer:  "case-consent",
	models.TaskReviewOverdue:  "case-reviews",
	models.TaskProgramEnding:  "case-program",
	models.TaskNoGoals:        "case-goals",
	models.TaskNoBaseline:     "case-assessment",
	models.TaskNoSocialWorker: "case-assignments",
}

// missingByParty is what missingTexts says, one line per guardian (or the
// young person's own assent) with the purposes that party has not
// consented to: the short form for the summary.
func missingByParty(l *Localizer, missing []models.Missing, names map[string]string) []caseNote {
	var out []caseNote
	at := map[string]int{}
	for _, m := range missing {
		if m.NoCustodian {
			out = append(out, caseNote{Text: l.T("consent.no_custodian")})
			continue
		}
		who := names[m.GuardianID]
		if m.Assent {
			who = l.T("consent.own_assent")
		}
		purpose := l.T("purpose." + string(m.Purpose))
		if i, ok := at[who]; ok {
			out[i].Text += ", " + purpose
			continue
		}
		at[who] = len(out)
		out = append(out, caseNote{Who: who, Text: purpose})
	}
	return out
}

// summarise fills v.Sections and v.Summary from what v holds. Tasks are
// for case staff only: a language mediator's page knows nothing of
// consent, reviews or goals.
func summarise(l *Localizer, v *caseView) {
	v.Sections = caseSections(l, v)
	s := &caseSummary{}
	if v.Visits != nil {
		s.NextVisit = v.Visits.Next
	}
	if w := v.Work; w != nil {
		s.NextSession = w.Next
		f := models.TaskFacts{Status: v.P.Status, ConsentValid: len(v.Missing) == 0, Goals: len(w.Goals),
			NoBaseline: v.Assessment != nil && v.Assessment.NoBaseline}
		if w.Timing != nil {
			f.ReviewOverdue, f.ProgramEnding = w.Timing.ReviewOverdue, w.Timing.EndingSoon
		}
		for _, k := range v.Consents {
			f.ConsentRequested = f.ConsentRequested || k.Answerable
		}
		for _, a := range v.Assignments {
			f.SocialWorker = f.SocialWorker || (a.Current && a.Kind == models.AssignSocialWorker)
		}
		for _, t := range models.OpenTasks(f) {
			if v.hasSection(taskSections[t]) {
				s.Tasks = append(s.Tasks, caseTask{Task: t, Section: taskSections[t]})
			}
		}
	}
	v.Summary = s
}
