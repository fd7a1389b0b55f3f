package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The measure catalogue of a site (SPEC §3): session types and their
// modules with names in the four interface languages, kept by the site's
// coordinators. Entries are never deleted, only made inactive, so that
// recorded sessions keep their type.

// measureForm is one catalogue form as typed: a measure (with group format)
// or a module of a measure.
type measureForm struct {
	Code, DE, EN, TR, AR string
	GroupFormat, Active  bool
}

// measureItem is one catalogue entry with its two forms; a form that was
// refused carries the typed values and its errors.
type measureItem struct {
	M                    models.Measure
	Name                 string
	Edit, Module         measureForm
	EditErrs, ModuleErrs map[string]string
	EditOpen, ModuleOpen bool
	// Modules are the edit forms of the measure's modules.
	Modules []moduleItem
}

// moduleItem is the edit form of one module.
type moduleItem struct {
	Code string
	Form measureForm
	Errs map[string]string
	Open bool
}

type measureListData struct {
	Items   []measureItem
	New     measureForm
	NewErrs map[string]string
	Lang    string
}

func readMeasureForm(c *fiber.Ctx) measureForm {
	t := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	return measureForm{Code: t("code"), DE: t("name_de"), EN: t("name_en"), TR: t("name_tr"), AR: t("name_ar"),
		GroupFormat: c.FormValue("group_format") != "", Active: c.FormValue("active") != ""}
}

func (f measureForm) input(sort int) models.MeasureInput {
	return models.MeasureInput{Code: f.Code, Labels: models.Labels{DE: f.DE, EN: f.EN, TR: f.TR, AR: f.AR},
		GroupFormat: f.GroupFormat, Active: f.Active, Sort: sort}
}

// measureList shows the whole catalogue, inactive entries too.
func (h *handlers) measureList(c *fiber.Ctx) error {
	return h.renderMeasures(c, "", measureForm{Active: true}, nil)
}

// measureCreate adds a measure at the end of the catalogue. A code that
// exists is refused on the form, naming the entry: creating never
// overwrites (editing is measureUpdate).
func (h *handlers) measureCreate(c *fiber.Ctx) error {
	f := readMeasureForm(c)
	all, err := store(c).Measures(true)
	if err != nil {
		return err
	}
	m, err := store(c).CreateMeasure(f.input(len(all)))
	if err == nil {
		err = audit(c, currentUser(c), models.AuditMeasureSave, "measure", m.ID, map[string]any{"code": m.Code})
	}
	return h.measureDone(c, "", f, err)
}

// measureUpdate changes a measure's names, format and state, keeping its
// code and its place in the catalogue.
func (h *handlers) measureUpdate(c *fiber.Ctx) error {
	cur, err := store(c).MeasureByCodeAny(c.Params("code"))
	if err != nil {
		return err
	}
	f := readMeasureForm(c)
	f.Code = cur.Code
	m, err := store(c).UpdateMeasure(cur.Code, f.input(cur.Sort))
	if err == nil {
		err = audit(c, currentUser(c), models.AuditMeasureSave, "measure", m.ID, map[string]any{"code": m.Code})
	}
	return h.measureDone(c, "measure:"+cur.Code, f, err)
}

// moduleCreate adds a module at the end of a measure's modules; an
// existing module code is refused on the form.
func (h *handlers) moduleCreate(c *fiber.Ctx) error {
	m, err := store(c).MeasureByCodeAny(c.Params("code"))
	if err != nil {
		return err
	}
	f := readMeasureForm(c)
	err = store(c).CreateModule(m.Code, f.input(len(m.Modules)))
	if err == nil {
		err = audit(c, currentUser(c), models.AuditMeasureSave, "measure", m.ID, map[string]any{"code": m.Code, "module": f.Code})
	}
	return h.measureDone(c, "module:"+m.Code, f, err)
}

// moduleUpdate changes a module's names and state.
func (h *handlers) moduleUpdate(c *fiber.Ctx) error {
	m, err := store(c).MeasureByCodeAny(c.Params("code"))
	if err != nil {
		return err
	}
	var cur *models.MeasureModule
	for i := range m.Modules {
		if m.Modules[i].Code == c.Params("module") {
			cur = &m.Modules[i]
		}
	}
	if cur == nil {
		return models.ErrNotFound
	}
	f := readMeasureForm(c)
	f.Code = cur.Code
	err = store(c).UpdateModule(m.Code, cur.Code, f.input(cur.Sort))
	if err == nil {
		err = audit(c, currentUser(c), models.AuditMeasureSave, "measure", m.ID, map[string]any{"code": m.Code, "module": cur.Code})
	}
	return h.measureDone(c, "module:"+m.Code+"/"+cur.Code, f, err)
}

// measureDone answers a catalogue form: back to the list, or the list
// again with the refused form open (422).
func (h *handlers) measureDone(c *fiber.Ctx, target string, f measureForm, err error) error {
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderMeasures(c.Status(fiber.StatusUnprocessableEntity), target, f, formErrors(h.s.localizer(c), ve))
	}
	if err != nil {
		return err
	}
	if err := setFlash(c, "flash.measure_saved"); err != nil {
		return err
	}
	return c.Redirect("/measures", fiber.StatusSeeOther)
}

// renderMeasures shows the catalogue; target names the refused form
// ("measure:<code>", "module:<code>", or "" for a new measure).
func (h *handlers) renderMeasures(c *fiber.Ctx, target string, f measureForm, errs map[string]string) error {
	ms, err := store(c).Measures(true)
	if err != nil {
		return err
	}
	lang := h.s.localizer(c).Lang
	d := measureListData{New: measureForm{Active: true}, Lang: lang}
	if target == "" && errs != nil {
		d.New, d.NewErrs = f, errs
	}
	for _, m := range ms {
		it := measureItem{M: m, Name: m.Labels().Name(lang), Module: measureForm{Active: true},
			Edit: measureForm{Code: m.Code, DE: m.NameDE, EN: m.NameEN, TR: m.NameTR, AR: m.NameAR, GroupFormat: m.GroupFormat, Active: m.Active}}
		switch target {
		case "measure:" + m.Code:
			it.Edit, it.EditErrs, it.EditOpen = f, errs, true
		case "module:" + m.Code:
			it.Module, it.ModuleErrs, it.ModuleOpen = f, errs, true
		}
		for _, mod := range m.Modules {
			mi := moduleItem{Code: mod.Code, Form: measureForm{Code: mod.Code, DE: mod.NameDE, EN: mod.NameEN, TR: mod.NameTR, AR: mod.NameAR, Active: mod.Active}}
			if target == "module:"+m.Code+"/"+mod.Code {
				mi.Form, mi.Errs, mi.Open = f, errs, true
			}
			it.Modules = append(it.Modules, mi)
		}
		d.Items = append(d.Items, it)
	}
	page := h.s.newPage(c, "measure.title", d)
	page.Errors = errs
	return h.s.renderPage(c, "measure_list.html", page)
}
