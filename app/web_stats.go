package app

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The evaluator's dashboard (SPEC §6): a form for dimensions and filters,
// headline figures, two bar charts drawn as SVG on the server (each with a
// text alternative; the tables below hold every value), the outcome table
// and the distributions of status, attendance and early-end reasons.

// dashboardBy is the dashboard's grouping when none is chosen.
var dashboardBy = []string{"site", "year"}

// mainMeasures are the columns of the dashboard's outcome table.
var mainMeasures = []string{"participants", "referrals", "consent_rate", "completion_rate", "months_in_program_median",
	"sessions_per_participant", "attendance_rate", "goals_achieved_rate", "reviews_on_time_rate", "visits_held",
	"assessed", "assessment_change"}

type statsView struct {
	Slots      []statsSlot
	Years      []statsOption
	Quarters   []statsOption
	Sites      []statsOption
	Dimensions []string // localised dimension names, the table's leading columns
	Headline   []statsCell
	Charts     []statsChart
	Police     *statsPolice // crossing 3 (web_stats_police.go)
	Sections   []statsSection
	// Assessment is the per-item table of the assessments (issue 17).
	Assessment *statsAssessmentView
	// CSVExcelURL and CSVRFCURL download the table as CSV for German
	// spreadsheets and as plain RFC 4180.
	CSVExcelURL string
	CSVRFCURL   string
	JSONURL     string
	K           int
	Relaxed     bool
	Refreshed   string
	Empty       bool
	Errors      map[string]string
}

// statsSlot is one "group by" select of the form.
type statsSlot struct {
	Name, Label string
	Options     []statsOption
}

type statsOption struct {
	Value, Label string
	Selected     bool
}

// statsSection is one table: rows of dimension labels and cells.
type statsSection struct {
	ID, Title string
	Columns   []string
	Rows      []statsRow
}

type statsRow struct {
	Labels []string
	Total  bool
	Cells  []statsCell
}

// statsCell is a shown value, a suppressed one or one that does not apply.
type statsCell struct {
	Label      string
	Text       string
	Suppressed bool
	NA         bool
}

// statsDashboard is GET /stats.
func (h *handlers) statsDashboard(c *fiber.Ctx) error {
	l := h.s.localizer(c)
	v := &statsView{K: max(h.s.cfg.StatsK, models.MinK), Relaxed: h.s.cfg.StatsRelaxed}
	q, err := h.s.statsQuery(c, dashboardBy)
	if ve, ok := asValidation(err); ok {
		v.Errors = formErrors(l, ve)
		q = models.StatsQuery{By: dashboardBy, K: h.s.cfg.StatsK, Relaxed: h.s.cfg.StatsRelaxed}
	} else if err != nil {
		return err
	}
	sites, err := store(c).Sites()
	if err != nil {
		return err
	}
	h.statsForm(l, v, q, sites)
	t, err := h.s.outcomes(c, q, models.AuditStatsQuery, "html")
	if err != nil {
		return err
	}
	v.K = t.K
	v.Refreshed = l.DateTime(t.RefreshedAt)
	params := statsParams(q)
	v.CSVExcelURL = "/stats/outcomes.csv?" + params + "&dialect=" + dialectExcelDE.Name
	v.CSVRFCURL = "/stats/outcomes.csv?" + params + "&dialect=" + dialectRFC4180.Name
	v.JSONURL = "/stats/outcomes.json?" + params
	v.Empty = len(t.Rows) == 0 || grandParticipants(t) == 0
	for _, d := range t.Dimensions {
		v.Dimensions = append(v.Dimensions, l.T("stats.dimension."+d))
	}
	if grand := grandRow(t); grand != nil {
		for _, m := range mainMeasures {
			v.Headline = append(v.Headline, cellFor(l, *grand, m))
		}
	}
	v.Charts = statsCharts(l, t)
	v.Sections = []statsSection{
		statsTable(l, t, "stats-outcomes", l.T("stats.section.outcomes"), mainMeasures),
		statsTable(l, t, "stats-status", l.T("stats.section.status"), models.StatusMeasures),
		statsTable(l, t, "stats-attendance", l.T("stats.section.attendance"), models.AttendanceMeasures),
		statsTable(l, t, "stats-end-reasons", l.T("stats.section.end_reasons"), models.EndReasonMeasures),
	}
	if err := h.statsAssessments(c, l, v, q); err != nil {
		return err
	}
	v.Police = statsPoliceSection(l, t)
	p := h.s.newPage(c, "stats.title", v)
	p.Errors = v.Errors
	return h.s.renderPage(c, "stats.html", p)
}

func asValidation(err error) (*models.ValidationError, bool) {
	ve, ok := err.(*models.ValidationError)
	return ve, ok
}

func (h *handlers) statsForm(l *Localizer, v *statsView, q models.StatsQuery, sites []models.Site) {
	for i, name := range []string{"by1", "by2", "by3"} {
		slot := statsSlot{Name: name, Label: l.T("stats.form." + name)}
		chosen := ""
		if i < len(q.By) {
			chosen = q.By[i]
		}
		slot.Options = append(slot.Options, statsOption{Value: "", Label: l.T("stats.form.none"), Selected: chosen == ""})
		for _, d := range models.StatsDimensions {
			slot.Options = append(slot.Options, statsOption{Value: d, Label: l.T("stats.dimension." + d), Selected: d == chosen})
		}
		v.Slots = append(v.Slots, slot)
	}
	v.Years = []statsOption{{Value: "", Label: l.T("stats.form.all"), Selected: len(q.Years) == 0}}
	for y := h.s.today().Year(); y >= 2020; y-- {
		v.Years = append(v.Years, statsOption{Value: strconv.Itoa(y), Label: strconv.Itoa(y), Selected: slices.Contains(q.Years, y)})
	}
	v.Quarters = []statsOption{{Value: "", Label: l.T("stats.form.all"), Selected: len(q.Quarters) == 0}}
	for n := 1; n <= 4; n++ {
		v.Quarters = append(v.Quarters, statsOption{Value: strconv.Itoa(n), Label: l.T("stats.form.quarter", "Quarter", n),
			Selected: slices.Contains(q.Quarters, n)})
	}
	v.Sites = []statsOption{{Value: "", Label: l.T("stats.form.all"), Selected: len(q.Sites) == 0}}
	for _, s := range sites {
		v.Sites = append(v.Sites, statsOption{Value: s.Code, Label: isolate(s.Name), Selected: slices.Contains(q.Sites, s.Code)})
	}
}

// statsParams is the query string of the downloads: the same table.
func statsParams(q models.StatsQuery) string {
	p := url.Values{}
	p.Set("by", strings.Join(q.By, ","))
	join := func(xs []int) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ",")
	}
	if len(q.Years) > 0 {
		p.Set("year", join(q.Years))
	}
	if len(q.Quarters) > 0 {
		p.Set("quarter", join(q.Quarters))
	}
	if len(q.Sites) > 0 {
		p.Set("site", strings.Join(q.Sites, ","))
	}
	return p.Encode()
}

func grandRow(t *models.OutcomeTable) *models.OutcomeRow {
	for i := range t.Rows {
		if !slices.ContainsFunc(t.Rows[i].Key, func(v any) bool { return v != nil }) {
			return &t.Rows[i]
		}
	}
	return nil
}

func grandParticipants(t *models.OutcomeTable) float64 {
	if g := grandRow(t); g != nil && g.Measures["participants"] != nil {
		return *g.Measures["participants"]
	}
	return 0
}

func cellFor(l *Localizer, r models.OutcomeRow, m string) statsCell {
	cell := statsCell{Label: l.T("stats.measure." + m)}
	switch p := r.Measures[m]; {
	case p != nil:
		rate, digits := statsMeasureFormat(m)
		cell.Text = formatStat(l.Lang, *p, rate, digits)
	case slices.Contains(r.Suppressed, m):
		cell.Suppressed = true
	default:
		cell.NA = true
	}
	return cell
}

func rowLabels(l *Localizer, t *models.OutcomeTable, r models.OutcomeRow) []string {
	labels := make([]string, len(t.Dimensions))
	for i, d := range t.Dimensions {
		labels[i] = dimensionLabel(l, d, r.Key[i])
	}
	return labels
}

func statsTable(l *Localizer, t *models.OutcomeTable, id, title string, measures []string) statsSection {
	s := statsSection{ID: id, Title: title}
	for _, m := range measures {
		s.Columns = append(s.Columns, l.T("stats.measure."+m))
	}
	for _, r := range t.Rows {
		row := statsRow{Labels: rowLabels(l, t, r), Total: r.Total()}
		for _, m := range measures {
			row.Cells = append(row.Cells, cellFor(l, r, m))
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// statsChart is a horizontal bar chart laid out here, so the template
// only places rectangles and text. Bars grow from the inline start: from
// the right in Arabic.
type statsChart struct {
	ID, Title, Desc string
	Width, Height   int
	Bars            []statsBar
}

// place lays out a bar of width w with its label and value, mirrored in
// right-to-left languages (the label on the right, the bar growing left).
func (b *statsBar) place(w int, rtl bool) {
	b.BarW = w
	if rtl {
		b.LabelX, b.LabelAnchor = chartWidth-4, "start"
		b.BarX = chartWidth - chartLabelW - w
		b.ValueX, b.ValueAnchor = b.BarX-6, "start"
	} else {
		b.LabelX, b.LabelAnchor = 4, "start"
		b.BarX = chartLabelW
		b.ValueX, b.ValueAnchor = chartLabelW+w+6, "start"
	}
}

type statsBar struct {
	// Class tells the bars of one chart apart (the before/after chart's
	// "before" and "after").
	Class             string
	Label, Value      string
	Suppressed        bool
	LabelX, ValueX, Y int
	BarX, BarW, BarY  int
	LabelAnchor       string
	ValueAnchor       string
}

const (
	chartWidth  = 640
	chartLabelW = 190
	chartBarMax = 340
	chartRowH   = 28
	chartMaxBar = 40
)

// statsCharts draws participants and completion rate for the rows that
// total over the last dimension (the cells for one dimension).
func statsCharts(l *Localizer, t *models.OutcomeTable) []statsChart {
	var rows []models.OutcomeRow
	n := len(t.Dimensions)
	for _, r := range t.Rows {
		switch {
		case n == 0:
			rows = append(rows, r)
		case n == 1 && r.Key[0] != nil:
			rows = append(rows, r)
		case n > 1 && r.Key[n-1] == nil && r.Key[0] != nil:
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if len(rows) > chartMaxBar {
		rows = rows[:chartMaxBar]
	}
	group := l.T("stats.chart.all")
	if n > 0 {
		var dims []string
		for _, d := range t.Dimensions[:max(n-1, 1)] {
			dims = append(dims, l.T("stats.dimension."+d))
		}
		group = strings.Join(dims, " · ")
	}
	rtl := l.Dir() == "rtl"
	chart := func(id, measure string) statsChart {
		c := statsChart{ID: id, Width: chartWidth, Height: len(rows)*chartRowH + 8,
			Title: l.T("stats.chart.title", "Measure", l.T("stats.measure."+measure), "Group", group),
			Desc:  l.T("stats.chart.desc")}
		rate, digits := statsMeasureFormat(measure)
		top := 0.0
		for _, r := range rows {
			if p := r.Measures[measure]; p != nil && *p > top {
				top = *p
			}
		}
		if rate {
			top = 1
		}
		for i, r := range rows {
			labels := rowLabels(l, t, r)
			if n > 1 {
				labels = labels[:n-1]
			}
			b := statsBar{Label: strings.Join(labels, " · "), Y: i*chartRowH + 18, BarY: i*chartRowH + 6}
			if n == 0 {
				b.Label = l.T("stats.total")
			}
			w := 0
			switch p := r.Measures[measure]; {
			case p != nil:
				b.Value = formatStat(l.Lang, *p, rate, digits)
				if top > 0 {
					w = int(*p / top * chartBarMax)
				}
			case slices.Contains(r.Suppressed, measure):
				b.Suppressed = true
				b.Value = l.T("stats.suppressed")
			default:
				b.Value = l.T("stats.not_applicable")
			}
			b.place(w, rtl)
			c.Bars = append(c.Bars, b)
		}
		return c
	}
	return []statsChart{chart("chart-participants", "participants"), chart("chart-completion", "completion_rate")}
}
