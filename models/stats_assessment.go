package models

import (
	"cmp"
	"database/sql"
	"math"
	"slices"
)

// Outcome measures of the structured assessments (issue 17, SPEC §6):
// from baseline (intake) to exit (closing), per group of the outcome table
// and per item. The database pairs the scores and aggregates them
// (migrations/00030_assessments.sql: statistics.assessment_outcomes and
// statistics.assessment_items); here the counts get complementary
// suppression like every other count, and a mean is shown only when the
// number of people it is taken over is shown.
//
// Sign: the gain of a pair is positive when the child is better off at
// exit: a risk item (lower is better) gained when its score fell, a
// resource item (higher is better) when its score rose (Gain). A child's
// gain is the mean over their paired items; the child improved when it is
// above zero, is unchanged at zero and got worse below zero.

// AssessmentMeasures are the assessment measures of an outcome row:
// assessed counts the people with a baseline and an exit assessment,
// assessment_change is their mean gain from baseline to exit over all
// items, sign-normalised so that positive is better.
var AssessmentMeasures = []string{"assessed", "assessment_change"}

// addAssessments merges the assessment measures into the groups with the
// same key; a group without any assessed person has assessed = 0.
func (s *Store) addAssessments(groups []*group, q StatsQuery, k int) error {
	byKey := map[string]*group{}
	for _, g := range groups {
		g.counts.set("assessed", 0)
		byKey[keyString(g.key)] = g
	}
	rows, err := s.db.Raw(`SELECT grp, site, year, quarter, age_band, gender, interpreter, reason, assessed, change
		FROM statistics.assessment_outcomes(?::text[], ?::text[], ?::integer[], ?::integer[], ?, ?)`,
		arrayLiteral(q.By), nullableArray(q.Sites), nullableArray(q.Years), nullableArray(q.Quarters), k, q.Relaxed).Rows()
	if err != nil {
		return statsError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			d        dims
			assessed sql.NullInt64
			change   sql.NullFloat64
		)
		if err := rows.Scan(append(d.all(), &assessed, &change)...); err != nil {
			return err
		}
		key := d.key(q.By)
		g := byKey[keyString(key)]
		if g == nil {
			continue // assessed people are participants of a group that exists
		}
		g.counts.set("assessed", countOrHidden(assessed))
		g.change = nil
		if change.Valid {
			g.change = &change.Float64
		}
	}
	return rows.Err()
}

// assessmentChange sets a row's assessment_change: the group's mean gain
// when the number of assessed people is visible (after complementary
// suppression) and the database showed it, not applicable when nobody
// was assessed, suppressed otherwise.
func assessmentChange(g *group, visible func(string) (float64, bool), set func(string, float64, bool), measures map[string]*float64) {
	n, ok := visible("assessed")
	if ok && n == 0 {
		measures["assessment_change"] = nil // nobody to average
	} else if !ok || g.change == nil {
		set("assessment_change", 0, false)
	} else {
		set("assessment_change", round(*g.change, 2), true)
	}
}

// AssessmentItemMeasures are the measures of a row of the per-item table:
// the people with a paired score, the mean baseline and exit scores, the
// mean change (exit − baseline, on the item's scale; for the row of all
// items the means are on a scale where higher is better, so the change is
// the mean gain), and the shares who improved, stayed and got worse.
var AssessmentItemMeasures = []string{"assessed", "baseline_mean", "exit_mean", "mean_change", "improved_share", "unchanged_share", "worse_share"}

// AssessmentItemRow is one row of the per-item table; Item is "" in the
// row of all items.
type AssessmentItemRow struct {
	Item               string
	Version            int
	Kind               string
	ScaleMin, ScaleMax int
	Labels             Labels
	Measures           map[string]*float64 // nil: suppressed or not applicable
	Suppressed         []string
}

// AssessmentItemTable is the evaluator's table of assessment outcomes per
// item, for the filters of a StatsQuery (its dimensions do not apply).
type AssessmentItemTable struct {
	K       int
	Relaxed bool
	Rows    []AssessmentItemRow
}

// itemRowDB is a row as statistics.assessment_items returns it.
type itemRowDB struct {
	Item                        *string
	Version, ScaleMin, ScaleMax *int
	Kind                        *string
	NameDE                      *string `gorm:"column:name_de"`
	NameEN                      *string `gorm:"column:name_en"`
	NameTR                      *string `gorm:"column:name_tr"`
	NameAR                      *string `gorm:"column:name_ar"`
	Assessed                    *int
	Baseline, Exit              *float64
	Improved, Unchanged, Worse  *int
}

// AssessmentItemStats builds the per-item table for q's filters. It must
// run as kurve_statistics, which may call statistics.assessment_items and
// nothing per person.
func (s *Store) AssessmentItemStats(q StatsQuery) (*AssessmentItemTable, error) {
	q.By = nil
	if err := q.Validate(); err != nil {
		return nil, err
	}
	k := max(q.K, MinK)
	var rows []itemRowDB
	err := s.db.Raw(`SELECT item, version, scale_min, scale_max, kind, name_de, name_en, name_tr, name_ar,
			assessed, baseline, exit, improved, unchanged, worse
		FROM statistics.assessment_items(?::text[], ?::integer[], ?::integer[], ?, ?)`,
		nullableArray(q.Sites), nullableArray(q.Years), nullableArray(q.Quarters), k, q.Relaxed).Scan(&rows).Error
	if err != nil {
		return nil, statsError(err)
	}
	t := &AssessmentItemTable{K: k, Relaxed: q.Relaxed}
	for _, r := range rows {
		t.Rows = append(t.Rows, itemStatsRow(r, k))
	}
	slices.SortStableFunc(t.Rows, func(a, b AssessmentItemRow) int {
		return cmp.Or(cmp.Compare(itemRank(a), itemRank(b)), cmp.Compare(a.Item, b.Item), cmp.Compare(a.Version, b.Version))
	})
	return t, nil
}

// itemRank puts the row of all items first, then the risks, then the
// resources.
func itemRank(r AssessmentItemRow) int {
	if r.Item == "" {
		return 0
	}
	if r.Kind == ItemRisk {
		return 1
	}
	return 2
}

// itemStatsRow applies complementary suppression to one row (people
// = improved + unchanged + worse) and derives its measures from what stays
// visible.
func itemStatsRow(r itemRowDB, k int) AssessmentItemRow {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	num := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	row := AssessmentItemRow{Item: str(r.Item), Version: num(r.Version), Kind: str(r.Kind), ScaleMin: num(r.ScaleMin),
		ScaleMax: num(r.ScaleMax), Labels: Labels{str(r.NameDE), str(r.NameEN), str(r.NameTR), str(r.NameAR)},
		Measures: map[string]*float64{}}
	count := func(p *int) int {
		if p == nil {
			return Hidden
		}
		return *p
	}
	values := []int{count(r.Assessed), count(r.Improved), count(r.Unchanged), count(r.Worse)}
	hidden := SuppressLinked(values, []Relation{{Total: 0, Parts: []int{1, 2, 3}}}, k)
	set := func(name string, v float64, ok bool) {
		if !ok {
			row.Measures[name] = nil
			row.Suppressed = append(row.Suppressed, name)
			return
		}
		row.Measures[name] = &v
	}
	n, nOK := float64(values[0]), !hidden[0]
	empty := nOK && n == 0
	set("assessed", n, nOK)
	mean := func(name string, p *float64) {
		if empty {
			row.Measures[name] = nil
		} else {
			set(name, round(deref64(p), 2), nOK && p != nil)
		}
	}
	mean("baseline_mean", r.Baseline)
	mean("exit_mean", r.Exit)
	if empty {
		row.Measures["mean_change"] = nil
	} else {
		set("mean_change", round(deref64(r.Exit)-deref64(r.Baseline), 2), nOK && r.Baseline != nil && r.Exit != nil)
	}
	for i, name := range []string{"improved_share", "unchanged_share", "worse_share"} {
		if empty {
			row.Measures[name] = nil
			continue
		}
		set(name, round(float64(values[i+1])/math.Max(n, 1), 3), nOK && !hidden[i+1])
	}
	return row
}

func deref64(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
