package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// consentDoc is the content of doc_consent.html: the printable consent
// form (SPEC §4), filled with the family's data, every text already in
// the document's language.
type consentDoc struct {
	ChildName, DateOfBirth, CaseNumber, Site, Version, Language string
	Guardians                                                   []docGuardian
	// Signers are the guardians with custody: each ticks and signs.
	Signers  []docGuardian
	Purposes []docPurpose
	// Assent is the young person's own line (14 and over).
	Assent bool
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
// ?lang= or the family's language. The read is audited.
func (h *handlers) consentDocument(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
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
	d := &consentDoc{ChildName: p.FirstName + " " + p.LastName, DateOfBirth: shortDate(p.DateOfBirth), CaseNumber: p.CaseNumber,
		Site: site.Name, Version: currentFormVersion, Language: documentLanguageName[l.Lang],
		Assent: p.Age(today(c)) >= models.AssentAge}
	for _, g := range gs {
		name, rel := g.FirstName+" "+g.LastName, relationshipText(l, g.Relationship)
		dg := docGuardian{Name: name, Relationship: rel, Custody: g.HasCustody,
			Signature: l.T("consent_form.signature_of", "Name", isolate(name), "Relationship", rel)}
		d.Guardians = append(d.Guardians, dg)
		if g.HasCustody {
			d.Signers = append(d.Signers, dg)
		}
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
