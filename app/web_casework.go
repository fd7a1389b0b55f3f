package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// consentItem is one consent as the participant page lists it. Who is the
// guardian's name, or "" for the young person's own assent.
type consentItem struct {
	ID, Who, FormVersion            string
	FormLanguage                    langChoice
	Purposes                        []models.Purpose
	State                           models.ConsentState
	GivenOn, ExpiresOn, WithdrawnOn string
	Withdrawable                    bool
	// Answerable consents were requested and await the family's answer.
	Answerable bool
	Version    int
}

type assignmentItem struct {
	ID, UserName, Kind, From, Until string
	Current                         bool
}

// loadCasework adds what only case staff see: facts, status actions,
// consent and assignments. Never called for language mediators, whose
// database role cannot read consents or the status history.
func (h *handlers) loadCasework(c *fiber.Ctx, v *caseView, names map[string]string) error {
	st, p, day := store(c), v.P, today(c)
	v.Age, v.DateOfBirth, v.Today = p.Age(day), formatDate(p.DateOfBirth), formatDate(&day)
	v.Next, v.EndReasons = statusActions(p.Status), models.EndReasons
	v.Reopen = v.Coordinator && models.CanReopen(p.Status, p.StatusChangedOn, day)
	hist, err := st.StatusHistory(p.ID)
	if err != nil {
		return err
	}
	for _, sc := range hist {
		v.History = append(v.History, statusItem{On: formatDate(&sc.EffectiveOn), From: deref(sc.FromStatus), To: string(sc.ToStatus),
			Reason: deref(sc.Reason), Note: sc.Note, Reopened: deref(sc.Reason) == models.ReasonReopened})
	}
	v.Kinds = []string{models.AssignSocialWorker, models.AssignMediator}
	cs, err := st.ConsentsOf(p.ID)
	if err != nil {
		return err
	}
	for _, k := range cs {
		v.Consents = append(v.Consents, consentItem{ID: k.ID, Who: names[k.GuardianID], FormVersion: k.FormVersion,
			FormLanguage: langChoice{Code: k.FormLanguage, Known: knownLanguage(k.FormLanguage)}, Purposes: k.Purposes,
			State: k.State, GivenOn: formatDate(k.GivenOn), ExpiresOn: formatDate(k.ExpiresOn),
			WithdrawnOn: formatDate(k.WithdrawnOn), Withdrawable: k.State == models.ConsentGiven,
			Answerable: k.State == models.ConsentRequested, Version: k.Version})
	}
	// The consent rule on the guardians and consents the page has read.
	links := make([]models.GuardianLink, 0, len(v.Guardians))
	for _, g := range v.Guardians {
		links = append(links, models.GuardianLink{GuardianID: g.ID, HasCustody: g.HasCustody})
	}
	var missing []models.Missing
	if p.DateOfBirth != nil {
		missing = models.ParticipationConsent(*p.DateOfBirth, links, cs, day)
	}
	v.Missing = missingTexts(h.s.localizer(c), missing, names)
	v.MissingBy = missingByParty(h.s.localizer(c), missing, names)
	as, err := st.AssignmentsOf(p.ID)
	if err != nil {
		return err
	}
	v.assigned = as
	for i := range as {
		a := &as[i]
		v.Assignments = append(v.Assignments, assignmentItem{ID: a.ID, UserName: a.UserName, Kind: a.Kind,
			From: formatDate(&a.FromOn), Until: formatDate(a.UntilOn), Current: a.CurrentOn(day)})
	}
	if err := h.loadCaseworkTime(c, v); err != nil {
		return err
	}
	if err := h.loadAssessments(c, v); err != nil {
		return err
	}
	if !v.Coordinator {
		return nil
	}
	if v.Workers, err = st.StaffOfSite(p.SiteID, models.RoleSocialWorker); err != nil {
		return err
	}
	return h.proposeMediators(c, v)
}

// participantStatus moves a case along the status graph (SPEC §3). A
// refused change (missing consent, no reason, stale version) shows the
// page again with the reason.
func (h *handlers) participantStatus(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := store(c).ParticipantByID(id); err != nil {
		return err
	}
	status := c.FormValue("status")
	if models.NeedsConfirmation(models.Status(status)) && c.FormValue("confirmed") != "yes" {
		return c.Redirect("/participants/"+id+"/status/"+status, fiber.StatusSeeOther)
	}
	var err error
	if !models.Status(status).Valid() {
		ve := &models.ValidationError{}
		ve.Add("status", "validation.oneof", nil)
		err = ve
	} else {
		_, err = changeParticipant(c, id, formVersion(c), models.ParticipantInput{}, &status, c.FormValue("end_reason"))
	}
	if err != nil {
		return h.statusFailure(c, id, models.Status(status), err)
	}
	return h.backToCase(c, id, "flash.status_changed")
}
