package app

import (
	"slices"
	"strings"

	"kurve/models"
)

// The dashboard's police contacts after program start by program outcome
// (issue 17, item 5; crossing 3): a bar chart of the grand total's rates,
// completed against ended early per window, whose text alternative names
// every value, and a table of every row of the outcome table with rate
// and number of children counted per window and outcome. Suppressed and
// not applicable values show as in the other tables.

// policeOutcomeColumns are the table's outcomes per window: completed,
// ended early, both ("").
var policeOutcomeColumns = []string{"completed", "ended_early", ""}

// statsPolice is the dashboard's police section.
type statsPolice struct {
	Chart *statsChart
	// Windows and Outcomes are the column headings: each window spans
	// one column per outcome.
	Windows  []string
	Outcomes []string
	Rows     []statsPoliceRow
}

type statsPoliceRow struct {
	Labels []string
	Total  bool
	Cells  []statsPoliceCell
}

// statsPoliceCell is a rate with the number of children it counts.
type statsPoliceCell struct {
	Rate, N statsCell
}

// policeOutcomeLabel is the localised name of an outcome ("" both).
func policeOutcomeLabel(l *Localizer, outcome string) string {
	if outcome == "" {
		return l.T("stats.police.outcome.all")
	}
	return l.T("stats.police.outcome." + outcome)
}

// statsPoliceSection builds the section from the outcome table.
func statsPoliceSection(l *Localizer, t *models.OutcomeTable) *statsPolice {
	s := &statsPolice{}
	for _, w := range models.PoliceWindows {
		s.Windows = append(s.Windows, l.T("stats.police.window."+w))
	}
	for _, o := range policeOutcomeColumns {
		s.Outcomes = append(s.Outcomes, policeOutcomeLabel(l, o))
	}
	for _, r := range t.Rows {
		row := statsPoliceRow{Labels: rowLabels(l, t, r), Total: r.Total()}
		for _, w := range models.PoliceWindows {
			for _, o := range policeOutcomeColumns {
				row.Cells = append(row.Cells, statsPoliceCell{Rate: cellFor(l, r, models.PoliceRate(w, o)),
					N: cellFor(l, r, models.PoliceWindowCount(w, o))})
			}
		}
		s.Rows = append(s.Rows, row)
	}
	if grand := grandRow(t); grand != nil {
		s.Chart = policeChart(l, *grand)
	}
	return s
}

// policeChart draws the grand total's rates: per window one bar for
// completed programs and one for programs ended early. Its description
// says every value in words, so the chart is fully readable without
// seeing it.
func policeChart(l *Localizer, grand models.OutcomeRow) *statsChart {
	c := &statsChart{ID: "chart-police", Width: chartWidth, Title: l.T("stats.police.chart_title")}
	rtl := l.Dir() == "rtl"
	value := func(m string) (string, float64, bool) {
		switch p := grand.Measures[m]; {
		case p != nil:
			return formatStat(l.Lang, *p, true, 0), *p, false
		case slices.Contains(grand.Suppressed, m):
			return l.T("stats.suppressed"), 0, true
		}
		return l.T("stats.not_applicable"), 0, false
	}
	var desc []string
	i := 0
	for _, w := range models.PoliceWindows {
		// The window's name on a line of its own, its two bars below.
		head := statsBar{Label: l.T("stats.police.window." + w), Y: i*chartRowH + 18, LabelX: 4, LabelAnchor: "start"}
		if rtl {
			head.LabelX = chartWidth - 4
		}
		c.Bars = append(c.Bars, head)
		i++
		texts := map[string]string{}
		for _, o := range models.PoliceOutcomes {
			text, v, suppressed := value(models.PoliceRate(w, o))
			texts[o] = text
			b := statsBar{Label: policeOutcomeLabel(l, o), Value: text,
				Suppressed: suppressed, Y: i*chartRowH + 18, BarY: i*chartRowH + 6}
			b.place(int(v*chartBarMax), rtl)
			c.Bars = append(c.Bars, b)
			i++
		}
		desc = append(desc, l.T("stats.police.chart_value", "Window", l.T("stats.police.window."+w),
			"Completed", texts["completed"], "EndedEarly", texts["ended_early"]))
	}
	c.Height = i*chartRowH + 8
	c.Desc = l.T("stats.police.chart_desc", "Values", strings.Join(desc, " "))
	return c
}
