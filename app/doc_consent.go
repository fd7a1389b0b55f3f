package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// consentDoc is the content of doc_consent.html: the printable consent
// form (SPEC §4), filled with the family's data, every text already in
// the document's language.
//
// A language mediator's copy (Limited) is filled only with what their
// role reads (SPEC §2: names, languages, contact): date of birth and
// custody are left blank to be filled in by hand at the consent talk,
// every guardian gets a blank signature line, and the young person's
// assent is printed with the condition of age instead of a decision the
// mediator's data cannot make.
type consentDoc struct {
	ChildName, DateOfBirth, CaseNumber, Site, Version, Language string
	Limited                                                     bool
	Guardians                                                   []docGuardian
	// Signers are the columns to tick and the lines to sign: the
	// guardians with custody, or blank ones (Name empty) when none is
	// recorded or the reader cannot know who has custody.
	Signers  []docGuardian
	Purposes []docPurpose
	// Assent is the young person's own line (14 and over); AssentIfAged
	// prints it with the condition of age (Limited).
	Assent, AssentIfAged bool
	// Sentences with values in them, isolated for the other direction.
	Withdrawal, AssentSignature, Footer string
	// Privacy is the information of GDPR Art. 13 (issue 18).
	Privacy docPrivacy
}

// docPrivacy is the form's data-protection section: who is responsible,
// how to reach their data-protection contact, and the retention period,
// from the site and the configuration; the rest is the document
// language's text.
type docPrivacy struct {
	ControllerName, ControllerAddress, Contact, Retention string
}

// docGuardian is a guardian as the form shows them; Signature is the
// caption of their signature line.
type docGuardian struct {
	Name, Relationship, Signature string
	Custody                       bool
}

// docPurpose is one consent purpose with its explanation.
type docPurpose struct {
	Code, Title, Text string
}

// consentDocument shows the consent form of a participant, printable, in
// ?lang= or the family's language, to case staff and to the language
// mediators of the family (who see no other family: ParticipantByID finds
// none). The read is audited.
func (h *handlers) consentDocument(c *fiber.Ctx) error {
	p, err := store(c).ParticipantByID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditParticipantRead, "participant", p.ID,
		map[string]any{"document": "consent_form"}); err != nil {
		return err
	}
	gs, err := store(c).GuardiansOf(p.ID)
	if err != nil {
		return err
	}
	_, site, v, err := h.familyDocument(c, p.FamilyID, p.SiteID)
	if err != nil {
		return err
	}
	// A consent form that does not say who is responsible for the data is
	// not valid (GDPR Art. 13): the admin records it on the site's page.
	if !site.PrivacyDetailsComplete() {
		return models.ErrPrivacyDetailsMissing
	}
	l := v.Doc
	d := &consentDoc{ChildName: p.FirstName + " " + p.LastName, CaseNumber: p.CaseNumber, Limited: p.Limited,
		Site: site.Name, Version: currentFormVersion, Language: documentLanguageName[l.Lang]}
	if p.Limited {
		d.AssentIfAged = true
		v.Note = v.UI.T("doc.toolbar.blank_fields")
	} else {
		d.DateOfBirth, d.Assent = shortDate(p.DateOfBirth), p.Age(today(c)) >= models.AssentAge
	}
	for _, g := range gs {
		name, rel := g.FirstName+" "+g.LastName, relationshipText(l, g.Relationship)
		dg := docGuardian{Name: name, Relationship: rel, Custody: g.HasCustody,
			Signature: l.T("consent_form.signature_of", "Name", isolate(name), "Relationship", rel)}
		d.Guardians = append(d.Guardians, dg)
		if g.HasCustody && !p.Limited {
			d.Signers = append(d.Signers, dg)
		}
	}
	if len(d.Signers) == 0 {
		// One blank line each for the guardians whose custody the reader
		// cannot see, at least one.
		blanks := 1
		if p.Limited && len(gs) > 1 {
			blanks = len(gs)
		}
		d.Signers = make([]docGuardian, blanks)
	}
	for _, pu := range models.Purposes {
		id := "consent_form.purpose." + string(pu)
		d.Purposes = append(d.Purposes, docPurpose{Code: string(pu), Title: l.T(id + ".title"), Text: l.T(id + ".text")})
	}
	d.Withdrawal = l.T("consent_form.withdrawal_how", "Site", isolate(site.Name), "CaseNumber", isolateLTR(p.CaseNumber))
	d.AssentSignature = l.T("consent_form.assent_signature", "Name", isolate(d.ChildName))
	d.Footer = l.T("consent_form.footer", "Version", isolateLTR(d.Version), "Language", isolate(d.Language))
	d.Privacy = docPrivacy{ControllerName: site.ControllerName, ControllerAddress: site.ControllerAddress, Contact: site.PrivacyContact,
		Retention: l.T("consent_form.privacy.retention_text", "Months", h.s.cfg.RetentionMonths)}
	v.Back, v.Content = caseURL(p.ID, "case-documents"), d
	return h.renderDocument(c, "doc_consent.html", l.T("consent_form.title")+" – "+p.CaseNumber, v)
}

// familyDocument loads what every family document needs: the family, the
// site, and the document view in ?lang= or the family's language.
func (h *handlers) familyDocument(c *fiber.Ctx, familyID, siteID string) (*models.Family, *models.Site, *docView, error) {
	st := store(c)
	fam, err := st.FamilyByID(familyID)
	if err != nil {
		return nil, nil, nil, err
	}
	site, err := st.SiteByID(siteID)
	if err != nil {
		return nil, nil, nil, err
	}
	v, err := h.newDocView(c, documentLanguage(c, fam))
	if err != nil {
		return nil, nil, nil, err
	}
	return fam, site, v, nil
}
