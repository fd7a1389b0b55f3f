package app

import (
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The languages a mediator offers are kept in org.mediator_languages,
// which the account role (kurve_auth, which /profile runs as) cannot
// touch: this page is a side route of the mediator, run as
// kurve_mediation, which may write the mediator's own rows only.

type mediatorLanguagesView struct {
	Choices []langChoice
}

// mediatorLanguages shows the mediator's languages as checkboxes.
func (h *handlers) mediatorLanguages(c *fiber.Ctx) error {
	langs, err := store(c).MediatorLanguages(currentUser(c).ID)
	if err != nil {
		return err
	}
	return h.s.render(c, "mediator_languages.html", "mediator.languages_title", mediatorLanguagesView{Choices: languageChoices(langs)})
}

// mediatorLanguagesSave replaces the mediator's languages.
func (h *handlers) mediatorLanguagesSave(c *fiber.Ctx) error {
	u := currentUser(c)
	langs := formValues(c, "languages")
	before, err := store(c).MediatorLanguages(u.ID)
	if err != nil {
		return err
	}
	err = store(c).SetMediatorLanguages(u.ID, langs)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		page := h.s.newPage(c.Status(fiber.StatusUnprocessableEntity), "mediator.languages_title", mediatorLanguagesView{Choices: languageChoices(langs)})
		page.Errors = formErrors(h.s.localizer(c), ve)
		return h.s.renderPage(c, "mediator_languages.html", page)
	}
	if err != nil {
		return err
	}
	after, err := store(c).MediatorLanguages(u.ID)
	if err != nil {
		return err
	}
	if !slices.Equal(before, after) {
		details := map[string]any{"from": append([]string{}, before...), "to": append([]string{}, after...)}
		if err := audit(c, u, models.AuditMediatorLanguages, "user", u.ID, details); err != nil {
			return err
		}
	}
	if err := setFlash(c, "flash.mediator_languages_saved"); err != nil {
		return err
	}
	return c.Redirect("/profile/languages", fiber.StatusSeeOther)
}

// mediatorProposal is the mediator part of the coordinator's assignment
// form: the site's mediators, best match for the family's interpreter
// languages first, and whether any covers them all.
type mediatorProposal struct {
	// Needed names the languages the family needs an interpreter for.
	Needed  string
	Full    bool
	Options []mediatorOption
}

// mediatorOption is one mediator with the needed languages they cover
// (or, when the family needs none, the languages they offer).
type mediatorOption struct {
	ID, Label, Covers string
	Full              bool
}

// proposeMediators fills the assignment form's mediators for the family.
func (h *handlers) proposeMediators(c *fiber.Ctx, v *caseView) error {
	l := h.s.localizer(c)
	needed := v.Family.InterpreterLanguages()
	matches, full, err := store(c).MatchMediators(v.P.SiteID, needed)
	if err != nil {
		return err
	}
	pr := &mediatorProposal{Needed: languageNames(l, needed), Full: full}
	for _, m := range matches {
		o := mediatorOption{ID: m.ID, Covers: strings.Join(m.Covers, " "), Full: len(needed) > 0 && len(m.Covers) == len(needed)}
		switch {
		case len(m.Covers) > 0:
			o.Label = l.T("mediator.option_covers", "Name", isolate(m.Name), "Languages", languageNames(l, m.Covers))
		case len(needed) > 0:
			o.Label = l.T("mediator.option_no_match", "Name", isolate(m.Name))
		case len(m.Languages) > 0:
			o.Label = l.T("mediator.option_offers", "Name", isolate(m.Name), "Languages", languageNames(l, m.Languages))
		default:
			o.Label = isolate(m.Name)
		}
		pr.Options = append(pr.Options, o)
	}
	v.Proposal = pr
	return nil
}

// languageNames lists language codes by their localised names.
func languageNames(l *Localizer, codes []string) string {
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		if knownLanguage(code) {
			out = append(out, l.T("language."+code))
		} else {
			out = append(out, code)
		}
	}
	return strings.Join(out, ", ")
}
