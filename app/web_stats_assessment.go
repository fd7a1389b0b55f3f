package app

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The assessment outcomes on the evaluator's dashboard (issue 17): a table
// per item (baseline and exit means, mean change, shares improved,
// unchanged and worse) with a row of all items, and a before/after bar
// chart of the items' means drawn as SVG on the server; the table is the
// chart's text alternative. The dashboard's filters (year, quarter, site)
// apply; its dimensions do not.

// statsAssessmentView is the per-item section of the dashboard.
type statsAssessmentView struct {
	Columns []string
	Rows    []statsAssessmentRow
	Chart   *statsChart
	Empty   bool
}

type statsAssessmentRow struct {
	Label, Kind string
	Total       bool
	Cells       []statsCell
}

// statsAssessments fills v.Assessment for q's filters.
func (h *handlers) statsAssessments(c *fiber.Ctx, l *Localizer, v *statsView, q models.StatsQuery) error {
	t, err := h.s.readAssessmentItems(c, q)
	if err != nil {
		return err
	}
	a := &statsAssessmentView{Empty: true}
	for _, m := range models.AssessmentItemMeasures {
		a.Columns = append(a.Columns, l.T("stats.assessment."+m))
	}
	for _, r := range t.Rows {
		row := statsAssessmentRow{Label: r.Labels.Name(l.Lang), Total: r.Item == ""}
		if row.Total {
			row.Label, row.Kind = l.T("stats.assessment.all_items"), l.T("stats.assessment.all_items_hint")
			if n := r.Measures["assessed"]; n != nil && *n > 0 {
				a.Empty = false
			}
		} else {
			row.Kind = l.T("assessment.kind." + r.Kind)
			if r.Version > 1 {
				row.Label = l.T("assessment.name_version", "Name", row.Label, "Version", r.Version)
			}
		}
		for _, m := range models.AssessmentItemMeasures {
			row.Cells = append(row.Cells, itemCell(l, r, m))
		}
		a.Rows = append(a.Rows, row)
	}
	a.Chart = beforeAfterChart(l, t)
	v.Assessment = a
	return nil
}

// readAssessmentItems reads the per-item table like readOutcomes: in the
// request's transaction, or on the replica when there is one.
func (s *Server) readAssessmentItems(c *fiber.Ctx, q models.StatsQuery) (*models.AssessmentItemTable, error) {
	if s.cfg.Replica == nil {
		return store(c).AssessmentItemStats(q)
	}
	u := currentUser(c)
	actor := models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role, Today: today(c)}
	var t *models.AssessmentItemTable
	err := models.InTx(c.UserContext(), s.cfg.Replica, u.Role.DBRole(), actor, func(st *models.Store) (err error) {
		t, err = st.AssessmentItemStats(q)
		return err
	})
	return t, err
}

func itemCell(l *Localizer, r models.AssessmentItemRow, m string) statsCell {
	cell := statsCell{Label: l.T("stats.assessment." + m)}
	switch p := r.Measures[m]; {
	case p != nil:
		rate, digits := statsMeasureFormat(m)
		cell.Text = formatStat(l.Lang, *p, rate, digits)
		if m == "mean_change" && *p > 0 {
			cell.Text = "+" + cell.Text
		}
	case slices.Contains(r.Suppressed, m):
		cell.Suppressed = true
	default:
		cell.NA = true
	}
	return cell
}

// beforeAfterChart draws, per item, the mean at baseline and at exit as
// two bars on the item's scale (bars grow from the inline start, from the
// right in Arabic); nil without items.
func beforeAfterChart(l *Localizer, t *models.AssessmentItemTable) *statsChart {
	var items []models.AssessmentItemRow
	for _, r := range t.Rows {
		if r.Item != "" {
			items = append(items, r)
		}
	}
	if len(items) == 0 {
		return nil
	}
	c := &statsChart{ID: "chart-assessment", Width: chartWidth, Height: len(items)*2*chartRowH + 8,
		Title: l.T("stats.assessment.chart_title"), Desc: l.T("stats.assessment.chart_desc")}
	rtl := l.Dir() == "rtl"
	for i, r := range items {
		for j, m := range []string{"baseline_mean", "exit_mean"} {
			y := (2*i + j) * chartRowH
			b := statsBar{Y: y + 18, BarY: y + 6, Class: []string{"before", "after"}[j]}
			if j == 0 {
				b.Label = r.Labels.Name(l.Lang)
			}
			w := 0
			switch p := r.Measures[m]; {
			case p != nil:
				value := formatStat(l.Lang, *p, false, 2)
				b.Value = l.T("stats.assessment."+[]string{"before_value", "after_value"}[j], "Value", value)
				if r.ScaleMax > 0 {
					w = int(*p / float64(r.ScaleMax) * chartBarMax)
				}
			case slices.Contains(r.Suppressed, m):
				b.Suppressed = true
				b.Value = l.T("stats.suppressed")
			default:
				b.Value = l.T("stats.not_applicable")
			}
			b.place(w, rtl)
			c.Bars = append(c.Bars, b)
		}
	}
	return c
}

// AssessmentItemsDocument is the body of GET /api/v1/stats/assessments:
// the per-item table of the dashboard, for the same filters. The row of
// all items has item null.
type AssessmentItemsDocument struct {
	K                 int              `json:"k"`
	Measures          []string         `json:"measures"`
	EvaluationConsent string           `json:"evaluation_consent"`
	Rows              []map[string]any `json:"rows"`
}

// apiStatsAssessments is GET /api/v1/stats/assessments (audited like the
// outcome table, with its filters).
func (h *handlers) apiStatsAssessments(c *fiber.Ctx) error {
	q, err := h.s.statsQuery(c, nil)
	if err != nil {
		return err
	}
	q.By = nil
	t, err := h.s.readAssessmentItems(c, q)
	if err != nil {
		return err
	}
	details := map[string]any{"sites": q.Sites, "years": q.Years, "quarters": q.Quarters, "k": t.K, "format": "assessments"}
	if err := audit(c, currentUser(c), models.AuditStatsQuery, "", "", details); err != nil {
		return err
	}
	lang := h.s.localizer(c).Lang
	doc := AssessmentItemsDocument{K: t.K, Measures: models.AssessmentItemMeasures, EvaluationConsent: "required",
		Rows: make([]map[string]any, 0, len(t.Rows))}
	if t.Relaxed {
		doc.EvaluationConsent = "relaxed"
	}
	for _, r := range t.Rows {
		row := map[string]any{"item": nil, "version": nil, "kind": nil, "scale_min": nil, "scale_max": nil, "name": nil,
			"measures": r.Measures, "suppressed": r.Suppressed}
		if r.Suppressed == nil {
			row["suppressed"] = []string{}
		}
		if r.Item != "" {
			row["item"], row["version"], row["kind"], row["scale_min"], row["scale_max"], row["name"] =
				r.Item, r.Version, r.Kind, r.ScaleMin, r.ScaleMax, r.Labels.Name(lang)
		}
		doc.Rows = append(doc.Rows, row)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(doc)
}
