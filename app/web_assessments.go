package app

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Assessments on the case page and their form (issue 17): the course of
// every item over time (baseline, reviews, exit) as a small table, and a
// form with a radio button per scale point and "not assessable" for every
// current item, its anchors shown with the points.

// assessmentView is the assessment section of the case page.
type assessmentView struct {
	Columns  []assessmentColumn
	Rows     []assessmentRow
	Comments []assessmentComment
	// CanRecord: the case's status allows an assessment now.
	CanRecord  bool
	NoBaseline bool
}

type assessmentColumn struct {
	Occasion, On string
}

// assessmentRow is one item's course; Trend compares the latest score
// with the baseline: better, same, worse, or "" without both.
type assessmentRow struct {
	Code, Name, Kind string
	Cells            []assessmentCell
	Trend            string
}

// assessmentCell is one score: NA when not assessable, None when the
// assessment did not score the item (it was not yet or no longer part of
// the instrument).
type assessmentCell struct {
	Score    string
	Anchor   string
	NA, None bool
}

type assessmentComment struct {
	Occasion, On, Text string
}

// loadAssessments fills v.Assessment from the case's course (one store
// call, two statements).
func (h *handlers) loadAssessments(c *fiber.Ctx, v *caseView) error {
	course, err := store(c).AssessmentCourse(v.P.ID)
	if err != nil {
		return err
	}
	v.Assessment = assessmentViewOf(h.s.localizer(c), v.P, course)
	return nil
}

func assessmentViewOf(l *Localizer, p *models.Participant, course *models.AssessmentCourse) *assessmentView {
	a := &assessmentView{CanRecord: slices.ContainsFunc(models.Occasions, func(o string) bool { return models.AssessmentAllowed(o, p.Status) }),
		NoBaseline: p.Status == models.StatusActive && !course.HasBaseline()}
	for _, as := range course.Assessments {
		on := formatDate(&as.AssessedOn)
		a.Columns = append(a.Columns, assessmentColumn{Occasion: as.Occasion, On: on})
		if as.Comment != "" {
			a.Comments = append(a.Comments, assessmentComment{Occasion: as.Occasion, On: on, Text: as.Comment})
		}
	}
	for _, it := range course.Items {
		row := assessmentRow{Code: it.Code, Name: it.Labels.Name(l.Lang), Kind: l.T("assessment.kind." + it.Kind)}
		if it.Version > 1 {
			row.Name = l.T("assessment.name_version", "Name", row.Name, "Version", it.Version)
		}
		var baseline, latest *int
		for _, as := range course.Assessments {
			s, ok := as.Scores[it.ID]
			cell := assessmentCell{None: !ok, NA: ok && s == nil}
			if s != nil {
				cell.Score, cell.Anchor = strconv.Itoa(*s), it.Anchor(*s, l.Lang)
				if as.Occasion == models.OccasionIntake {
					baseline, latest = s, nil
				} else if baseline != nil {
					latest = s
				}
			}
			row.Cells = append(row.Cells, cell)
		}
		if baseline != nil && latest != nil {
			switch g := models.Gain(it.Kind, *baseline, *latest); {
			case g > 0:
				row.Trend = "better"
			case g < 0:
				row.Trend = "worse"
			default:
				row.Trend = "same"
			}
		}
		a.Rows = append(a.Rows, row)
	}
	return a
}

// assessmentFormData is the data of assessment_form.html.
type assessmentFormData struct {
	P         *models.Participant
	Items     []assessmentFormItem
	Occasions []string
	Occasion  string
	On        string
	Comment   string
	Problems  []string
}

// assessmentFormItem is one item of the form with its points, the chosen
// value ("" none, "na" not assessable, or a point) and its error.
type assessmentFormItem struct {
	Code, Name, Kind, KindHint string
	Points                     []assessmentFormPoint
	Value                      string
	Error                      string
}

type assessmentFormPoint struct {
	Value, Anchor string
}

// assessmentNew shows the form, with the occasion the case is due for
// (?occasion= chooses another); a case that cannot be assessed now goes
// back to its page.
func (h *handlers) assessmentNew(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	occasions := allowedOccasions(p.Status)
	if len(occasions) == 0 {
		return c.Redirect(caseURL(p.ID, "case-assessment"), fiber.StatusSeeOther)
	}
	course, err := store(c).AssessmentCourse(p.ID)
	if err != nil {
		return err
	}
	occasion := c.Query("occasion")
	if !slices.Contains(occasions, occasion) {
		occasion = defaultOccasion(p.Status, course.HasBaseline())
	}
	day := today(c)
	return h.renderAssessmentForm(c, p, assessmentFormData{Occasion: occasion, On: formatDate(&day)}, nil, nil)
}

// allowedOccasions are the occasions a case in status may be assessed on.
func allowedOccasions(status models.Status) []string {
	var out []string
	for _, o := range models.Occasions {
		if models.AssessmentAllowed(o, status) {
			out = append(out, o)
		}
	}
	return out
}

// defaultOccasion is what a case is due for: the baseline first, the exit
// once it has ended, a review in between.
func defaultOccasion(status models.Status, baseline bool) string {
	switch {
	case status != models.StatusActive:
		return models.OccasionClosing
	case !baseline:
		return models.OccasionIntake
	}
	return models.OccasionReview
}

// assessmentCreate records the assessment. Invalid input shows the form
// again (422) with what was chosen; missing consent the case page.
func (h *handlers) assessmentCreate(c *fiber.Ctx) error {
	id := c.Params("id")
	p, err := store(c).ParticipantByID(id)
	if err != nil {
		return err
	}
	d := assessmentFormData{Occasion: c.FormValue("occasion"), On: strings.TrimSpace(c.FormValue("assessed_on")), Comment: c.FormValue("comment")}
	chosen := map[string]string{}
	scores := map[string]*float64{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		code, ok := strings.CutPrefix(string(k), "score_")
		if !ok {
			return
		}
		val := strings.TrimSpace(string(v))
		chosen[code] = val
		if val == "na" {
			scores[code] = nil
			return
		}
		if n, err := strconv.ParseFloat(val, 64); err == nil {
			scores[code] = &n
		}
		// Anything else is left out: the item counts as not chosen.
	})
	dp := newDateParser()
	on := dp.opt("assessed_on", d.On)
	if d.On == "" {
		dp.v.Add("assessed_on", "validation.required", nil)
	}
	if err = dp.err(); err == nil {
		_, _, err = recordAssessment(c, id, models.AssessmentInput{Occasion: d.Occasion, AssessedOn: *on, Scores: scores, Comment: d.Comment})
	}
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		return h.renderAssessmentForm(c.Status(fiber.StatusUnprocessableEntity), p, d, chosen, ve)
	case err != nil:
		return h.caseFailure(c, id, err)
	}
	return h.backToCase(c, id, "flash.assessment_recorded")
}

func (h *handlers) renderAssessmentForm(c *fiber.Ctx, p *models.Participant, d assessmentFormData, chosen map[string]string,
	ve *models.ValidationError) error {
	items, err := store(c).AssessmentItems(false)
	if err != nil {
		return err
	}
	l := h.s.localizer(c)
	d.P, d.Occasions = p, allowedOccasions(p.Status)
	var errs map[string]string
	if ve != nil {
		errs = formErrors(l, ve)
		for _, fe := range ve.Fields {
			d.Problems = append(d.Problems, l.TData(fe.MessageID, fieldData(l, fe)))
		}
	}
	for _, it := range items {
		fi := assessmentFormItem{Code: it.Code, Name: it.Labels.Name(l.Lang), Kind: l.T("assessment.kind." + it.Kind),
			KindHint: l.T("assessment.kind_hint." + it.Kind), Value: chosen[it.Code], Error: errs["scores."+it.Code]}
		for _, pt := range it.Points() {
			fi.Points = append(fi.Points, assessmentFormPoint{Value: strconv.Itoa(pt), Anchor: it.Anchor(pt, l.Lang)})
		}
		d.Items = append(d.Items, fi)
	}
	page := h.s.newPage(c, "assessment.form_title", d)
	page.Title, page.Errors = l.T("assessment.form_title_case", "CaseNumber", p.CaseNumber), errs
	return h.s.renderPage(c, "assessment_form.html", page)
}
