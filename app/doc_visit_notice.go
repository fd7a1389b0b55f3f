package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// visitNoticeDoc is the content of doc_visit_notice.html: the note a
// family gets about a planned visit, every text in the document language.
type visitNoticeDoc struct {
	Greeting, Date, Time, Address, Purpose, Contact string
	// Privacy says where the full data-protection information is (the
	// consent form) and whom to ask (issue 18).
	Privacy  string
	Visitors []docVisitor
}

// docVisitor is one person who comes, with what they do there.
type docVisitor struct {
	Name, Role string
}

// visitNotice shows the printable notice of a visit in ?lang= or the
// family's language. Mediators reach the visits of their own families
// only: VisitByID sees no other. The participant read is audited.
func (h *handlers) visitNotice(c *fiber.Ctx) error {
	st := store(c)
	vis, err := st.VisitByID(c.Params("id"))
	if err != nil {
		return err
	}
	p, err := st.ParticipantByID(vis.ParticipantID)
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditParticipantRead, "participant", p.ID,
		map[string]any{"document": "visit_notice", "visit_id": vis.ID}); err != nil {
		return err
	}
	fam, site, v, err := h.familyDocument(c, p.FamilyID, vis.SiteID)
	if err != nil {
		return err
	}
	l := v.Doc
	start, end := vis.StartsAt.In(programZone), vis.EndsAt.In(programZone)
	d := &visitNoticeDoc{Greeting: l.T("visit_notice.greeting", "Name", isolate(p.LastName)), Date: longDate(l, start),
		Time:    l.T("visit_notice.time", "Start", isolateLTR(start.Format("15:04")), "End", isolateLTR(end.Format("15:04"))),
		Address: fam.Address, Purpose: l.T("visit_notice.aim." + vis.Purpose)}
	// The contact is the social worker when one comes, else the mediator.
	contact := ""
	for _, who := range []struct{ id, roleID string }{{vis.MediatorID, "visit_notice.role_mediator"}, {vis.SocialWorkerID, "visit_notice.role_social_worker"}} {
		if who.id == "" {
			continue
		}
		s, err := st.StaffByID(who.id)
		if errors.Is(err, models.ErrNotFound) {
			continue // no longer active: the notice names whoever is left
		} else if err != nil {
			return err
		}
		d.Visitors = append(d.Visitors, docVisitor{Name: s.Name, Role: l.T(who.roleID)})
		contact = s.Name
	}
	if contact != "" {
		d.Contact = l.T("visit_notice.contact", "Name", isolate(contact), "Site", isolate(site.Name), "CaseNumber", isolateLTR(p.CaseNumber))
	} else {
		d.Contact = l.T("visit_notice.contact_team", "Site", isolate(site.Name), "CaseNumber", isolateLTR(p.CaseNumber))
	}
	if site.PrivacyContact != "" {
		d.Privacy = l.T("visit_notice.privacy", "Site", isolate(site.Name), "Contact", isolate(site.PrivacyContact))
	} else {
		d.Privacy = l.T("visit_notice.privacy_team", "Site", isolate(site.Name))
	}
	if vis.Status != models.VisitPlanned {
		v.Warning = v.UI.T("doc.toolbar.not_planned")
	}
	v.Back, v.Content = caseURL(p.ID, "visit-"+vis.ID), d
	return h.renderDocument(c, "doc_visit_notice.html", l.T("visit_notice.title")+" – "+p.CaseNumber, v)
}
