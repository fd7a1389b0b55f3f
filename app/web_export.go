package app

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The dpo's export on the web (GDPR Art. 15, issue 12): a form by case
// number, and the export's content as a printable page, the same content
// as GET /api/v1/participants/{id}/export (exportParticipant, audited).
// The case number is resolved through audit.case_numbers(); the content
// comes from prevention.export_participant() only.

// exportFormView is the form.
type exportFormView struct {
	CaseNumber string
	// Problem is the localised answer for a case with no export (erased).
	Problem string
}

// exportView is the printable page: the export's sections, each a list of
// records of labelled fields.
type exportView struct {
	CaseNumber string
	Generated  time.Time
	Sections   []exportSection
	Withheld   []models.ExportWithheld
}

type exportSection struct {
	Key     string // the section's id, e.g. "guardians"
	Heading string
	Records [][]exportField
}

type exportField struct {
	Label string
	Value string
	// LTR marks values that are codes, ids, dates and numbers: shown
	// left to right in Arabic as well.
	LTR bool
}

// exportValueIDs are the fields, by section, whose code values have a
// message of their own, with its prefix.
var exportValueIDs = map[string]map[string]string{
	"participant":    {"status": "status.", "gender": "gender.", "end_reason": "end_reason."},
	"status_changes": {"to_status": "status.", "from_status": "status."},
	"guardians":      {"relationship": "relationship."},
	"consents":       {"state": "consent_state.", "purposes": "purpose."},
	"assignments":    {"kind": "assignment_kind."},
	"sessions":       {"status": "session_status.", "attendance": "attendance."},
	"goals":          {"progress": "progress.", "outcome": "outcome."},
	"closings":       {"handover": "handover."},
	"assessments":    {"occasion": "assessment.occasion."},
	"visits":         {"purpose": "visit_purpose.", "status": "visit_status."},
	"referral":       {"gender": "gender.", "reason_category": "reason."},
}

// exportForm is GET /export.
func (h *handlers) exportForm(c *fiber.Ctx) error {
	return h.renderExportForm(c, &exportFormView{}, nil)
}

// exportShow is POST /export: it resolves the case number and renders the
// export as a printable page. An unknown case number is an error at its
// field; an erased case has no export (404 on the form).
func (h *handlers) exportShow(c *fiber.Ctx) error {
	l := h.s.localizer(c)
	v := &exportFormView{CaseNumber: models.NormalizeCaseNumber(c.FormValue("case_number"))}
	id, err := store(c).CaseTarget(v.CaseNumber)
	if ve, ok := asValidation(err); ok {
		return h.renderExportForm(c.Status(fiber.StatusUnprocessableEntity), v, formErrors(l, ve))
	} else if err != nil {
		return err
	}
	e, err := exportParticipant(c, id)
	if errors.Is(err, models.ErrNotFound) {
		v.Problem = l.T("export.not_found")
		return h.renderExportForm(c.Status(fiber.StatusNotFound), v, nil)
	} else if err != nil {
		return err
	}
	return h.s.render(c, "export_show.html", "export.doc_title", buildExportView(l, e, now(c)))
}

func (h *handlers) renderExportForm(c *fiber.Ctx, v *exportFormView, errs map[string]string) error {
	p := h.s.newPage(c, "export.title", v)
	p.Errors = errs
	return h.s.renderPage(c, "export_form.html", p)
}

// buildExportView lays the export out as labelled fields, in the order of
// models.Export.
func buildExportView(l *Localizer, e *models.Export, at time.Time) *exportView {
	v := &exportView{CaseNumber: e.Participant.CaseNumber, Generated: at, Withheld: e.Withheld}
	rv := reflect.ValueOf(*e)
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		key := jsonName(rt.Field(i))
		if key == "withheld" {
			continue
		}
		sec := exportSection{Key: key, Heading: l.T("export.section." + key)}
		f := rv.Field(i)
		switch f.Kind() {
		case reflect.Slice:
			for j := 0; j < f.Len(); j++ {
				sec.Records = append(sec.Records, exportFields(l, key, f.Index(j)))
			}
		case reflect.Pointer:
			if !f.IsNil() {
				sec.Records = append(sec.Records, exportFields(l, key, f.Elem()))
			}
		default:
			sec.Records = append(sec.Records, exportFields(l, key, f))
		}
		v.Sections = append(v.Sections, sec)
	}
	return v
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// exportFields labels the fields of one record.
func exportFields(l *Localizer, section string, rec reflect.Value) []exportField {
	var out []exportField
	rt := rec.Type()
	for i := 0; i < rt.NumField(); i++ {
		name := jsonName(rt.Field(i))
		value, ltr := exportValue(l, section+"."+name, rec.Field(i).Interface())
		out = append(out, exportField{Label: l.T("export.field." + name), Value: value, LTR: ltr})
	}
	return out
}

// exportValue shows one value: dates and times as the page's language
// writes them (instants in the program's zone), codes with their message
// where they have one, "–" for nothing. ltr marks codes and numbers.
func exportValue(l *Localizer, name string, v any) (string, bool) {
	section, field, _ := strings.Cut(name, ".")
	prefix, coded := exportValueIDs[section][field]
	code := func(s string) string {
		if coded && s != "" {
			return l.T(prefix + s)
		}
		return s
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return "–", false
		}
		if strings.HasSuffix(field, "_on") || field == "date_of_birth" {
			return dateText(l, x), false
		}
		return code(x), !coded && (strings.HasSuffix(field, "id") || field == "case_number")
	case *string:
		if x == nil {
			return "–", false
		}
		return exportValue(l, name, *x)
	case []string:
		var parts []string
		for _, s := range x {
			parts = append(parts, code(s))
		}
		if len(parts) == 0 {
			return "–", false
		}
		return strings.Join(parts, ", "), false
	case bool:
		if x {
			return l.T("export.yes"), false
		}
		return l.T("export.no"), false
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case *int:
		if x == nil {
			return "–", false
		}
		return strconv.Itoa(*x), true
	case time.Time:
		return l.DateTime(x), false
	case *time.Time:
		if x == nil {
			return "–", false
		}
		return exportValue(l, name, *x)
	case json.RawMessage:
		return string(x), true
	case []models.FamilyLanguage:
		var parts []string
		for _, fl := range x {
			parts = append(parts, fl.Language+" ("+fl.Mode+")")
		}
		if len(parts) == 0 {
			return "–", false
		}
		return strings.Join(parts, ", "), true
	case []models.ExportAssessmentScore:
		var parts []string
		for _, sc := range x {
			score := l.T("assessment.not_assessable")
			if sc.Score != nil {
				score = strconv.Itoa(*sc.Score)
			}
			parts = append(parts, l.T("export.assessment_score", "Item", sc.Item, "Version", sc.Version, "Score", score))
		}
		if len(parts) == 0 {
			return "–", false
		}
		return strings.Join(parts, "; "), false
	case []models.ExportConsentEvent:
		var parts []string
		for _, ev := range x {
			parts = append(parts, dateText(l, ev.EffectiveOn)+": "+l.T("consent_state."+ev.State))
		}
		if len(parts) == 0 {
			return "–", false
		}
		return strings.Join(parts, "; "), false
	}
	return "–", false
}
