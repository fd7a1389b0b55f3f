package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The assessment instrument of a site (issue 17): its items, each a risk
// or a resource with a scale and an anchor text per point in the four
// interface languages, kept by the site's coordinators. An item nobody has
// scored yet is corrected in place; a scored one keeps its meaning and a
// revision becomes its next version (models.ReviseAssessmentItem). Items
// are retired, never deleted.

// itemForm is an item form as typed; anchors are one line per point.
type itemForm struct {
	Code, Kind, ScaleMin, ScaleMax string
	DE, EN, TR, AR                 string
	AnchorsDE, AnchorsEN           string
	AnchorsTR, AnchorsAR           string
}

// itemEntry is one current item with its edit form.
type itemEntry struct {
	It       models.AssessmentItem
	Name     string
	Points   []itemPoint
	Form     itemForm
	Errs     map[string]string
	Open     bool
	KindText string
	// Next is the version a revision of a scored item would get.
	Next int
}

// itemPoint is one scale point with its anchors in each language.
type itemPoint struct {
	Score          int
	DE, EN, TR, AR string
}

type itemListData struct {
	Items   []itemEntry
	Retired []itemEntry
	New     itemForm
	NewErrs map[string]string
	Kinds   []string
}

func readItemForm(c *fiber.Ctx) itemForm {
	t := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	return itemForm{Code: t("code"), Kind: t("kind"), ScaleMin: t("scale_min"), ScaleMax: t("scale_max"),
		DE: t("name_de"), EN: t("name_en"), TR: t("name_tr"), AR: t("name_ar"),
		AnchorsDE: c.FormValue("anchors_de"), AnchorsEN: c.FormValue("anchors_en"), AnchorsTR: c.FormValue("anchors_tr"), AnchorsAR: c.FormValue("anchors_ar")}
}

func itemFormOf(it *models.AssessmentItem) itemForm {
	j := func(xs []string) string { return strings.Join(xs, "\n") }
	return itemForm{Code: it.Code, Kind: it.Kind, ScaleMin: strconv.Itoa(it.ScaleMin), ScaleMax: strconv.Itoa(it.ScaleMax),
		DE: it.Labels.DE, EN: it.Labels.EN, TR: it.Labels.TR, AR: it.Labels.AR,
		AnchorsDE: j(it.Anchors.DE), AnchorsEN: j(it.Anchors.EN), AnchorsTR: j(it.Anchors.TR), AnchorsAR: j(it.Anchors.AR)}
}

// input converts the form; a scale that is no number gives -1, which the
// item's validation refuses.
func (f itemForm) input() models.AssessmentItemInput {
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return n
	}
	lines := func(s string) []string {
		var out []string
		for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	return models.AssessmentItemInput{Code: f.Code, Kind: f.Kind, ScaleMin: num(f.ScaleMin), ScaleMax: num(f.ScaleMax),
		Labels:  models.Labels{DE: f.DE, EN: f.EN, TR: f.TR, AR: f.AR},
		Anchors: models.Anchors{DE: lines(f.AnchorsDE), EN: lines(f.AnchorsEN), TR: lines(f.AnchorsTR), AR: lines(f.AnchorsAR)}}
}

// assessmentItemList shows the instrument, retired versions too.
func (h *handlers) assessmentItemList(c *fiber.Ctx) error {
	return h.renderItems(c, "", itemForm{}, nil)
}

// assessmentItemCreate adds an item at the end of the instrument.
func (h *handlers) assessmentItemCreate(c *fiber.Ctx) error {
	f := readItemForm(c)
	it, err := store(c).CreateAssessmentItem(f.input())
	if err == nil {
		err = auditItem(c, it, "create")
	}
	return h.itemDone(c, "", f, err, "flash.assessment_item_saved")
}

// assessmentItemRevise corrects an unscored item, or makes a scored one's
// next version.
func (h *handlers) assessmentItemRevise(c *fiber.Ctx) error {
	code := c.Params("code")
	if _, err := store(c).AssessmentItemByCode(code); err != nil {
		return err
	}
	f := readItemForm(c)
	f.Code = code
	it, newVersion, err := store(c).ReviseAssessmentItem(code, f.input())
	flash := "flash.assessment_item_saved"
	if err == nil {
		change := "correct"
		if newVersion {
			change, flash = "new_version", "flash.assessment_item_versioned"
		}
		err = auditItem(c, it, change)
	}
	return h.itemDone(c, "item:"+code, f, err, flash)
}

// assessmentItemRetire takes an item out of the form.
func (h *handlers) assessmentItemRetire(c *fiber.Ctx) error {
	it, err := store(c).RetireAssessmentItem(c.Params("code"))
	if err != nil {
		return err
	}
	if err := auditItem(c, it, "retire"); err != nil {
		return err
	}
	if err := setFlash(c, "flash.assessment_item_retired"); err != nil {
		return err
	}
	return c.Redirect("/assessment-items", fiber.StatusSeeOther)
}

// auditItem records a change of the instrument: code, version, what.
func auditItem(c *fiber.Ctx, it *models.AssessmentItem, change string) error {
	return audit(c, currentUser(c), models.AuditAssessmentItemSave, "assessment_item", it.ID,
		map[string]any{"code": it.Code, "version": it.Version, "change": change})
}

// itemDone answers an instrument form: back to the list, or the list again
// with the refused form open (422).
func (h *handlers) itemDone(c *fiber.Ctx, target string, f itemForm, err error, flash string) error {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderItems(c.Status(fiber.StatusUnprocessableEntity), target, f, formErrors(h.s.localizer(c), ve))
	}
	if err != nil {
		return err
	}
	if err := setFlash(c, flash); err != nil {
		return err
	}
	return c.Redirect("/assessment-items", fiber.StatusSeeOther)
}

// renderItems shows the instrument; target names the refused form
// ("item:<code>", or "" for a new item).
func (h *handlers) renderItems(c *fiber.Ctx, target string, f itemForm, errs map[string]string) error {
	items, err := store(c).AssessmentItems(true)
	if err != nil {
		return err
	}
	l := h.s.localizer(c)
	d := itemListData{New: itemForm{Kind: models.ItemRisk, ScaleMin: "1", ScaleMax: "5"}, Kinds: models.ItemKinds}
	if target == "" && errs != nil {
		d.New, d.NewErrs = f, errs
	}
	for i := range items {
		it := items[i]
		e := itemEntry{It: it, Name: it.Labels.Name(l.Lang), Form: itemFormOf(&it), KindText: l.T("assessment.kind." + it.Kind), Next: it.Version + 1}
		for _, p := range it.Points() {
			e.Points = append(e.Points, itemPoint{Score: p, DE: it.Anchor(p, "de"), EN: it.Anchor(p, "en"), TR: it.Anchor(p, "tr"), AR: it.Anchor(p, "ar")})
		}
		if !it.Current() {
			d.Retired = append(d.Retired, e)
			continue
		}
		if target == "item:"+it.Code {
			e.Form, e.Errs, e.Open = f, errs, true
		}
		d.Items = append(d.Items, e)
	}
	page := h.s.newPage(c, "assessment.items_title", d)
	page.Errors = errs
	return h.s.renderPage(c, "assessment_items.html", page)
}
