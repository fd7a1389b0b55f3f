package models

// Pure unit tests of the statistics measures computed in Go (SPEC §6, and
// the measures' definitions in the README's "Statistics for evaluators"),
// without a database: they run in make mutate too.

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// cellCounts is one group's true counts before suppression.
type cellCounts map[string]int

// slots are the counts as a group holds them.
func (c cellCounts) slots() counts {
	out := newCounts()
	for name, n := range c {
		out.set(name, n)
	}
	return out
}

// of is a count of the group, zero when it has none.
func (c counts) of(name string) int {
	n, _ := c.get(name)
	return n
}

// consistentGroup is a group of 20 participants whose partitions add up:
// 8 active, 6 completed, 6 ended early (moved); attendance bands 10/5/5;
// 12 programs ended; 50 sessions with 40 attended; 6 of 8 final goals
// achieved; 9 of 12 reviews on time; no visit held.
func consistentGroup() cellCounts {
	c := cellCounts{"participants": 20, "programs_ended": 12,
		"sessions": 50, "attended": 40, "goals_achieved": 6, "goals_final": 8, "reviews_on_time": 9, "reviews_due": 12, "visits_held": 0}
	for _, m := range slices.Concat(StatusMeasures, AttendanceMeasures, EndReasonMeasures) {
		c[m] = 0
	}
	c["status_active"], c["status_completed"], c["status_ended_early"] = 8, 6, 6
	c["attendance_80_plus"], c["attendance_50_79"], c["attendance_below_50"] = 10, 5, 5
	c["ended_early_moved"] = 6
	return c
}

func median(v float64) *float64 { return &v }

// oneRow runs suppressGroups over a single group (a table without
// dimensions) and returns its row.
func oneRow(t *testing.T, c cellCounts, med *float64, withReferrals bool) OutcomeRow {
	t.Helper()
	rows := suppressGroups([]*group{{key: []any{}, counts: c.slots(), median: med}}, 0, DefaultK, withReferrals)
	if len(rows) != 1 {
		t.Fatalf("%d rows for one group", len(rows))
	}
	return rows[0]
}

// wantValue checks that measure is shown and within tol of want.
func wantValue(t *testing.T, row OutcomeRow, measure string, want, tol float64) {
	t.Helper()
	v := row.Measures[measure]
	switch {
	case v == nil:
		t.Errorf("%s not shown, want %g (suppressed: %v)", measure, want, row.Suppressed)
	case math.IsNaN(*v) || math.Abs(*v-want) > tol:
		t.Errorf("%s = %g, want %g", measure, *v, want)
	case slices.Contains(row.Suppressed, measure):
		t.Errorf("%s shown and named as suppressed", measure)
	}
}

// wantSuppressed checks that measure is hidden and named as suppressed.
func wantSuppressed(t *testing.T, row OutcomeRow, measure string) {
	t.Helper()
	if v := row.Measures[measure]; v != nil {
		t.Errorf("%s = %g shown, want suppressed", measure, *v)
	}
	if !slices.Contains(row.Suppressed, measure) {
		t.Errorf("%s not named as suppressed: %v", measure, row.Suppressed)
	}
}

// wantNotApplicable checks that measure is null without being suppressed
// (nothing to divide, or not a measure of this table).
func wantNotApplicable(t *testing.T, row OutcomeRow, measure string) {
	t.Helper()
	if v, ok := row.Measures[measure]; !ok || v != nil {
		t.Errorf("%s = %v (present %v), want null", measure, v, ok)
	}
	if slices.Contains(row.Suppressed, measure) {
		t.Errorf("%s named as suppressed, but nothing is hidden", measure)
	}
}

// Rates are fractions of 0..1 (the API contract); shown to a tenth of a
// percent at least.
const rateTol = 0.0005

// Sessions per participant are shown to a tenth.
const perTol = 0.05 + 1e-9

func TestOutcomeRowMeasures(t *testing.T) {
	row := oneRow(t, consistentGroup(), median(7.5), false)
	wantValue(t, row, "participants", 20, 0)
	// completed ÷ (completed + ended early + withdrawn)
	wantValue(t, row, "completion_rate", 6.0/12, rateTol)
	wantValue(t, row, "months_in_program_median", 7.5, 0)
	wantValue(t, row, "sessions_per_participant", 50.0/20, perTol)
	wantValue(t, row, "attendance_rate", 40.0/50, rateTol)
	wantValue(t, row, "goals_achieved_rate", 6.0/8, rateTol)
	wantValue(t, row, "reviews_on_time_rate", 9.0/12, rateTol)
	wantValue(t, row, "visits_held", 0, 0) // a zero is a count like any other
	wantValue(t, row, "status_active", 8, 0)
	wantValue(t, row, "status_withdrawn", 0, 0)
	wantValue(t, row, "attendance_50_79", 5, 0)
	wantValue(t, row, "ended_early_moved", 6, 0)
	// Grouped without referrals (or by a person's attribute): referral
	// measures are not applicable, not suppressed.
	wantNotApplicable(t, row, "referrals")
	wantNotApplicable(t, row, "consent_rate")
	if len(row.Suppressed) != 0 {
		t.Errorf("suppressed without need: %v", row.Suppressed)
	}
	if len(row.Measures) != len(OutcomeMeasures) {
		t.Errorf("%d measures, want all %d", len(row.Measures), len(OutcomeMeasures))
	}

	// Completion counts every programme end: withdrawals too.
	c := consistentGroup()
	c["status_active"], c["status_withdrawn"] = 0, 8
	wantValue(t, oneRow(t, c, median(7.5), false), "completion_rate", 6.0/20, rateTol)

	// Rates that are no round numbers are the fraction, rounded.
	c = consistentGroup()
	c["attended"], c["sessions"] = 2, 3
	c["goals_achieved"], c["goals_final"] = 1, 3
	row = oneRow(t, c, median(7.5), false)
	wantValue(t, row, "attendance_rate", 2.0/3, rateTol)
	wantValue(t, row, "goals_achieved_rate", 1.0/3, rateTol)
	wantValue(t, row, "sessions_per_participant", 3.0/20, perTol)
}

func TestOutcomeRowReferrals(t *testing.T) {
	c := consistentGroup()
	g := &group{key: []any{}, counts: c.slots(), median: median(7.5)}
	g.setReferrals(30, 20)
	if r, rc, rn := g.counts.of("referrals"), g.counts.of("referrals_consented"), g.counts.of("referrals_not_consented"); r != 30 || rc != 20 || rn != 10 {
		t.Fatalf("referral counts %d/%d/%d, want 30/20/10", r, rc, rn)
	}
	row := suppressGroups([]*group{g}, 0, DefaultK, true)[0]
	wantValue(t, row, "referrals", 30, 0)
	// Referrals that led to program consent, of all referrals.
	wantValue(t, row, "consent_rate", 20.0/30, rateTol)

	// A count the database removed stays unknown, and so does the
	// difference that would reveal it.
	for _, tc := range []struct {
		referrals, consented *int
	}{{nil, ptr(20)}, {ptr(30), nil}, {nil, nil}} {
		g := &group{counts: newCounts()}
		g.setReferrals(orHidden(tc.referrals), orHidden(tc.consented))
		if g.counts.of("referrals_not_consented") != Hidden {
			t.Errorf("not consented = %d from %v/%v, want hidden", g.counts.of("referrals_not_consented"), tc.referrals, tc.consented)
		}
		for name, v := range map[string]*int{"referrals": tc.referrals, "referrals_consented": tc.consented} {
			want := Hidden
			if v != nil {
				want = *v
			}
			if g.counts.of(name) != want {
				t.Errorf("%s = %d, want %d", name, g.counts.of(name), want)
			}
		}
	}

	// Four not consented are fewer than k: hidden, and so one more of
	// the partition (consented), and the rate built from it.
	c = consistentGroup()
	g = &group{key: []any{}, counts: c.slots(), median: median(7.5)}
	g.setReferrals(30, 26)
	row = suppressGroups([]*group{g}, 0, DefaultK, true)[0]
	wantSuppressed(t, row, "consent_rate")
	wantValue(t, row, "referrals", 30, 0)

	// No referrals: nothing to divide.
	c = consistentGroup()
	g = &group{key: []any{}, counts: c.slots(), median: median(7.5)}
	g.setReferrals(0, 0)
	row = suppressGroups([]*group{g}, 0, DefaultK, true)[0]
	wantValue(t, row, "referrals", 0, 0)
	wantNotApplicable(t, row, "consent_rate")
}

func ptr(n int) *int { return &n }

// orHidden is a count the database returned (nil: removed).
func orHidden(n *int) int {
	if n == nil {
		return Hidden
	}
	return *n
}

func TestOutcomeRowSuppression(t *testing.T) {
	// Two withdrawn (fewer than k): hidden, a complement among the
	// statuses, and the completion rate, which would reveal it.
	c := consistentGroup()
	c["status_active"], c["status_withdrawn"] = 6, 2
	row := oneRow(t, c, median(7.5), false)
	wantSuppressed(t, row, "status_withdrawn")
	wantSuppressed(t, row, "completion_rate")
	wantValue(t, row, "participants", 20, 0)
	hiddenStatuses := 0
	for _, m := range StatusMeasures {
		if row.Measures[m] == nil {
			hiddenStatuses++
		}
	}
	if hiddenStatuses < 2 {
		t.Errorf("%d hidden statuses: the withdrawn count is participants minus the others", hiddenStatuses)
	}

	// The database removed the participants (fewer than k): every measure
	// built on them is hidden.
	c = consistentGroup()
	c["participants"] = Hidden
	row = oneRow(t, c, median(7.5), false)
	for _, m := range []string{"participants", "sessions_per_participant", "attendance_rate", "goals_achieved_rate",
		"reviews_on_time_rate", "visits_held"} {
		wantSuppressed(t, row, m)
	}

	// The database removed a count: what is built on it is hidden.
	c = consistentGroup()
	c["sessions"] = Hidden
	c["visits_held"] = Hidden
	row = oneRow(t, c, median(7.5), false)
	wantSuppressed(t, row, "sessions_per_participant")
	wantSuppressed(t, row, "attendance_rate")
	wantSuppressed(t, row, "visits_held")
	wantValue(t, row, "goals_achieved_rate", 6.0/8, rateTol)

	// A denominator the database removed hides the rate as well.
	c = consistentGroup()
	c["reviews_due"] = Hidden
	wantSuppressed(t, oneRow(t, c, median(7.5), false), "reviews_on_time_rate")
	c = consistentGroup()
	c["goals_achieved"] = Hidden
	wantSuppressed(t, oneRow(t, c, median(7.5), false), "goals_achieved_rate")

	// Nothing to divide: not applicable rather than suppressed.
	c = consistentGroup()
	c["goals_achieved"], c["goals_final"] = 0, 0
	c["sessions"], c["attended"] = 0, 0
	row = oneRow(t, c, median(7.5), false)
	wantNotApplicable(t, row, "goals_achieved_rate")
	wantNotApplicable(t, row, "attendance_rate")
	wantValue(t, row, "sessions_per_participant", 0, 0)

	// A group without participants (referrals only): no sessions per
	// participant to show.
	zero := cellCounts{"participants": 0, "programs_ended": 0, "sessions": 0}
	row = oneRow(t, zero, nil, false)
	wantNotApplicable(t, row, "sessions_per_participant")
	wantNotApplicable(t, row, "months_in_program_median")
	wantNotApplicable(t, row, "completion_rate")
}

func TestOutcomeRowMedian(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ended  int
		median *float64
		want   string // "value", "suppressed", "n/a"
	}{
		{"programs ended, median known", 12, median(7.5), "value"},
		{"no program ended", 0, nil, "n/a"},
		{"programs ended, median removed by the database", 6, nil, "suppressed"},
		{"ended count removed by the database", Hidden, median(7.5), "suppressed"},
		{"ended count below k", 3, median(7.5), "suppressed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := consistentGroup()
			c["programs_ended"] = tc.ended
			row := oneRow(t, c, tc.median, false)
			switch tc.want {
			case "value":
				wantValue(t, row, "months_in_program_median", *tc.median, 0)
			case "suppressed":
				wantSuppressed(t, row, "months_in_program_median")
			default:
				wantNotApplicable(t, row, "months_in_program_median")
			}
		})
	}
}

// table builds the groups of a table by dims dimensions the way the
// database returns them: every cell, the totals over the last dimension
// (rows), over all others (columns) and the grand total, each with its
// true counts (the database's own removal of counts below k is left to
// SuppressLinked, which hides them alike).
func table(cells map[[2]string]cellCounts, dims int) ([]*group, map[string]cellCounts) {
	truth := map[string]cellCounts{}
	keyOf := map[string][]any{}
	add := func(key []any, c cellCounts) {
		ks := keyString(key)
		keyOf[ks] = key
		if truth[ks] == nil {
			truth[ks] = cellCounts{}
		}
		for m, n := range c {
			truth[ks][m] += n
		}
	}
	for k, c := range cells {
		if dims == 1 {
			add([]any{k[0]}, c)
			add([]any{nil}, c)
			continue
		}
		add([]any{k[0], k[1]}, c)
		add([]any{k[0], nil}, c)
		add([]any{nil, k[1]}, c)
		add([]any{nil, nil}, c)
	}
	var keys []string
	for ks := range truth {
		keys = append(keys, ks)
	}
	slices.Sort(keys)
	var groups []*group
	for _, ks := range keys {
		key := keyOf[ks]
		counts := cellCounts{}
		for m, n := range truth[ks] {
			counts[m] = n
		}
		groups = append(groups, &group{key: key, counts: counts.slots()})
	}
	return groups, truth
}

// checkTable asserts SPEC §6 on the rows of a table: every count below k
// is hidden, every shown count is true, and no hidden count of a cell can
// be recovered from its row or column total, nor a hidden total from the
// grand total.
func checkTable(t *testing.T, groups []*group, rows []OutcomeRow, truth map[string]cellCounts, dims, k int) {
	t.Helper()
	shown := map[string]map[string]bool{}
	for i, r := range rows {
		ks := keyString(groups[i].key)
		shown[ks] = map[string]bool{}
		for _, m := range slices.Concat([]string{"participants"}, StatusMeasures) {
			v := r.Measures[m]
			n := truth[ks][m]
			if v == nil {
				continue
			}
			shown[ks][m] = true
			if n > 0 && n < k {
				t.Errorf("%s %s = %d below k shown", ks, m, n)
			}
			if *v != float64(n) {
				t.Errorf("%s %s shown as %g, truly %d", ks, m, *v, n)
			}
		}
	}
	// One sum: total = Σ parts; exactly one hidden member (unless the
	// total is a shown zero) can be worked out.
	check := func(m string, total []any, parts [][]any) {
		tk := keyString(total)
		hidden := 0
		if !shown[tk][m] {
			hidden++
		} else if truth[tk][m] == 0 {
			return
		}
		for _, p := range parts {
			if !shown[keyString(p)][m] {
				hidden++
			}
		}
		if hidden == 1 {
			t.Errorf("%s: the one hidden member of %s = Σ %v can be worked out", m, tk, parts)
		}
	}
	firsts, lasts := map[string]bool{}, map[string]bool{}
	for _, g := range groups {
		if kind := totalKind(g.key); kind == cellRow || (dims == 1 && kind != grandTotal) {
			firsts[fmt.Sprint(g.key[0])] = true
			lasts[fmt.Sprint(g.key[dims-1])] = true
		}
	}
	for _, m := range slices.Concat([]string{"participants"}, StatusMeasures) {
		if dims == 1 {
			var parts [][]any
			for a := range firsts {
				parts = append(parts, []any{a})
			}
			check(m, []any{nil}, parts)
			continue
		}
		var rowTotals, colTotals [][]any
		for a := range firsts {
			var parts [][]any
			for b := range lasts {
				if truth[keyString([]any{a, b})] != nil {
					parts = append(parts, []any{a, b})
				}
			}
			check(m, []any{a, nil}, parts)
			rowTotals = append(rowTotals, []any{a, nil})
		}
		for b := range lasts {
			var parts [][]any
			for a := range firsts {
				if truth[keyString([]any{a, b})] != nil {
					parts = append(parts, []any{a, b})
				}
			}
			check(m, []any{nil, b}, parts)
			colTotals = append(colTotals, []any{nil, b})
		}
		check(m, []any{nil, nil}, rowTotals)
		check(m, []any{nil, nil}, colTotals)
	}
}

// statusCell is a cell of participants by status: active, completed,
// ended early.
func statusCell(active, completed, endedEarly int) cellCounts {
	c := cellCounts{"participants": active + completed + endedEarly}
	for _, m := range StatusMeasures {
		c[m] = 0
	}
	c["status_active"], c["status_completed"], c["status_ended_early"] = active, completed, endedEarly
	return c
}

func TestSuppressGroupsAcrossTable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dims  int
		cells map[[2]string]cellCounts
	}{
		{"one dimension, one small site", 1, map[[2]string]cellCounts{
			{"DO"}: statusCell(3, 0, 0), {"DU"}: statusCell(9, 6, 5), {"ES"}: statusCell(12, 7, 6)}},
		{"one dimension, nothing small", 1, map[[2]string]cellCounts{
			{"DU"}: statusCell(9, 6, 5), {"ES"}: statusCell(12, 7, 6)}},
		{"two dimensions, one small cell", 2, map[[2]string]cellCounts{
			{"DU", "female"}: statusCell(9, 6, 5), {"DU", "male"}: statusCell(2, 0, 0),
			{"ES", "female"}: statusCell(12, 7, 6), {"ES", "male"}: statusCell(8, 5, 5),
			{"DO", "female"}: statusCell(10, 5, 6), {"DO", "male"}: statusCell(11, 9, 7)}},
		{"two dimensions, small cells and statuses", 2, map[[2]string]cellCounts{
			{"DU", "female"}: statusCell(9, 2, 5), {"DU", "male"}: statusCell(6, 1, 0), {"DU", "diverse"}: statusCell(1, 0, 0),
			{"ES", "female"}: statusCell(12, 7, 3), {"ES", "male"}: statusCell(8, 5, 5), {"ES", "diverse"}: statusCell(0, 0, 2),
			{"DO", "female"}: statusCell(4, 5, 6), {"DO", "male"}: statusCell(11, 9, 7), {"DO", "diverse"}: statusCell(5, 0, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, truth := table(tc.cells, tc.dims)
			rows := suppressGroups(groups, tc.dims, DefaultK, false)
			checkTable(t, groups, rows, truth, tc.dims, DefaultK)
			if tc.name == "one dimension, nothing small" {
				for _, r := range rows {
					for _, m := range slices.Concat([]string{"participants"}, StatusMeasures) {
						if r.Measures[m] == nil {
							t.Errorf("%v: %s suppressed without need", r.Key, m)
						}
					}
				}
			}
			// The same query twice shows the same cells: two downloads
			// that hid different cells would together reveal them.
			for range 10 {
				groups2, _ := table(tc.cells, tc.dims)
				again := suppressGroups(groups2, tc.dims, DefaultK, false)
				for i := range rows {
					if !slices.Equal(rows[i].Suppressed, again[i].Suppressed) {
						t.Fatalf("%v: suppressed %v, then %v", rows[i].Key, rows[i].Suppressed, again[i].Suppressed)
					}
				}
			}
		})
	}
}

func TestCrossRelations(t *testing.T) {
	if rels := crossRelations(nil, 0); rels != nil {
		t.Errorf("no dimensions: %v", rels)
	}
	// Without the grand total there is no sum to tie the groups to.
	noGrand := []*group{{key: []any{"ES"}}, {key: []any{"DU"}}}
	if rels := crossRelations(noGrand, 1); rels != nil {
		t.Errorf("without a grand total: %v", rels)
	}
	groups, _ := table(map[[2]string]cellCounts{
		{"DU", "female"}: {}, {"DU", "male"}: {}, {"ES", "female"}: {}, {"ES", "male"}: {}, {"ES", "diverse"}: {}}, 2)
	at := map[string]int{}
	for i, g := range groups {
		at[keyString(g.key)] = i
	}
	idx := func(a, b any) int { return at[keyString([]any{a, b})] }
	want := map[int][]int{} // total → its parts, sorted
	want[idx("DU", nil)] = []int{idx("DU", "female"), idx("DU", "male")}
	want[idx("ES", nil)] = []int{idx("ES", "female"), idx("ES", "male"), idx("ES", "diverse")}
	want[idx(nil, "female")] = []int{idx("DU", "female"), idx("ES", "female")}
	want[idx(nil, "male")] = []int{idx("DU", "male"), idx("ES", "male")}
	want[idx(nil, "diverse")] = []int{idx("ES", "diverse")}
	grandRows := []int{idx("DU", nil), idx("ES", nil)}
	grandCols := []int{idx(nil, "female"), idx(nil, "male"), idx(nil, "diverse")}
	rels := crossRelations(groups, 2)
	if len(rels) != len(want)+2 {
		t.Fatalf("%d relations, want %d: %v", len(rels), len(want)+2, rels)
	}
	var grands [][]int
	for i, r := range rels {
		if i > 0 && rels[i-1].Total > r.Total {
			t.Errorf("relations not in the order of their totals: %v", rels)
		}
		parts := slices.Sorted(slices.Values(r.Parts))
		if r.Total == idx(nil, nil) {
			grands = append(grands, parts)
			continue
		}
		if w := slices.Sorted(slices.Values(want[r.Total])); !slices.Equal(parts, w) {
			t.Errorf("total %v: parts %v, want %v", groups[r.Total].key, parts, w)
		}
	}
	slices.Sort(grandRows)
	slices.Sort(grandCols)
	if len(grands) != 2 || !(slices.Equal(grands[0], grandRows) && slices.Equal(grands[1], grandCols) ||
		slices.Equal(grands[1], grandRows) && slices.Equal(grands[0], grandCols)) {
		t.Errorf("grand total relations %v, want %v and %v", grands, grandRows, grandCols)
	}

	// One dimension: the grand total is the sum of the cells.
	groups, _ = table(map[[2]string]cellCounts{{"DU"}: {}, {"ES"}: {}, {"DO"}: {}}, 1)
	rels = crossRelations(groups, 1)
	if len(rels) != 1 || len(rels[0].Parts) != 3 || groups[rels[0].Total].key[0] != nil {
		t.Errorf("one dimension: %v", rels)
	}
}

func TestTotalKind(t *testing.T) {
	for _, tc := range []struct {
		key  []any
		want rowKind
	}{
		{[]any{}, grandTotal},
		{[]any{nil}, grandTotal},
		{[]any{"ES"}, cellRow},
		{[]any{nil, nil}, grandTotal},
		{[]any{"ES", nil}, rowTotal},
		{[]any{nil, "male"}, colTotal},
		{[]any{"ES", "male"}, cellRow},
		{[]any{"ES", 2026, nil}, rowTotal},
		{[]any{nil, nil, "male"}, colTotal},
	} {
		if got := totalKind(tc.key); got != tc.want {
			t.Errorf("totalKind(%v) = %d, want %d", tc.key, got, tc.want)
		}
	}
}

func TestGroupKey(t *testing.T) {
	site, gender := "ES", "female"
	year := 2026
	interp := false
	values := map[string]any{"site": &site, "year": &year, "gender": &gender, "interpreter": &interp, "quarter": (*string)(nil)}
	by := []string{"site", "year", "gender", "interpreter"}
	for _, tc := range []struct {
		grp  int // bit set: a total over that dimension, the first most significant
		want []any
	}{
		{0b0000, []any{"ES", 2026, "female", false}},
		{0b1000, []any{nil, 2026, "female", false}},
		{0b0100, []any{"ES", nil, "female", false}},
		{0b0010, []any{"ES", 2026, nil, false}},
		{0b0001, []any{"ES", 2026, "female", nil}},
		{0b1111, []any{nil, nil, nil, nil}},
	} {
		if got := groupKey(by, tc.grp, values); !slices.Equal(got, tc.want) {
			t.Errorf("groupKey(%04b) = %v, want %v", tc.grp, got, tc.want)
		}
	}
	// A NULL from the database is no value.
	if got := groupKey([]string{"quarter", "site"}, 0, values); got[0] != nil || got[1] != "ES" {
		t.Errorf("NULL quarter: %v", got)
	}
	var noInt *int
	var noBool *bool
	var noString *string
	if got := groupKey([]string{"year", "interpreter", "site"}, 0, map[string]any{"year": noInt, "interpreter": noBool, "site": noString}); !slices.Equal(got, []any{nil, nil, nil}) {
		t.Errorf("NULLs: %v", got)
	}
}

func TestCompareKeys(t *testing.T) {
	// Age bands in the order of SPEC §6, genders in their listed order,
	// years and sites ascending, "no interpreter" before "interpreter",
	// totals after the values they total.
	sorted := [][]any{
		{"under_8", 2025}, {"under_8", 2026}, {"under_8", nil},
		{"8-9", 2025}, {"10-11", 2025}, {"12-13", 2025}, {"14-15", 2025}, {"16+", 2025},
		{nil, 2025}, {nil, 2026}, {nil, nil},
	}
	by := []string{"age_band", "year"}
	for i := range sorted {
		for j := range sorted {
			got := compareKeys(by, sorted[i], sorted[j])
			if i < j && got >= 0 || i > j && got <= 0 || i == j && got != 0 {
				t.Errorf("compareKeys(%v, %v) = %d", sorted[i], sorted[j], got)
			}
		}
	}
	for _, tc := range []struct {
		dim  string
		a, b any
	}{
		{"gender", "female", "male"}, {"gender", "male", "diverse"}, {"gender", "diverse", "unspecified"},
		{"interpreter", false, true}, {"site", "DO", "DU"}, {"site", "DU", "ES"}, {"year", 2025, 2026},
		{"quarter", "2025-Q4", "2026-Q1"}, {"reason", "violence", "none"},
	} {
		if c := compareValue(tc.dim, tc.a, tc.b); c >= 0 {
			t.Errorf("%s: %v not before %v (%d)", tc.dim, tc.a, tc.b, c)
		}
		if c := compareValue(tc.dim, tc.b, tc.a); c <= 0 {
			t.Errorf("%s: %v not after %v (%d)", tc.dim, tc.b, tc.a, c)
		}
		if c := compareValue(tc.dim, tc.a, tc.a); c != 0 {
			t.Errorf("%s: %v differs from itself (%d)", tc.dim, tc.a, c)
		}
	}
}

func TestStatsQueryValidate(t *testing.T) {
	for _, tc := range []struct {
		q     StatsQuery
		field string // "": valid
	}{
		{StatsQuery{}, ""},
		{StatsQuery{By: []string{"site", "year", "quarter", "age_band", "gender", "interpreter", "reason"}}, ""},
		{StatsQuery{By: []string{"site", "site"}}, "by"},
		{StatsQuery{By: []string{"ethnicity"}}, "by"}, // SPEC §5: no such field
		{StatsQuery{By: []string{"name"}}, "by"},
		{StatsQuery{Quarters: []int{1, 2, 3, 4}}, ""},
		{StatsQuery{Quarters: []int{0}}, "quarter"},
		{StatsQuery{Quarters: []int{1, 5}}, "quarter"},
	} {
		err := tc.q.Validate()
		var v *ValidationError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v refused: %v", tc.q, err)
		case tc.field != "" && (!errors.As(err, &v) || v.Fields[0].Field != tc.field):
			t.Errorf("%+v: %v, want a refusal of %s", tc.q, err, tc.field)
		}
	}
}

func TestStatsArrays(t *testing.T) {
	if got := arrayLiteral([]string{"site", "year"}); got != `{"site","year"}` {
		t.Errorf("arrayLiteral = %s", got)
	}
	if got := arrayLiteral([]string{`a"b\c`}); got != `{"a\"b\\c"}` {
		t.Errorf("arrayLiteral escapes as %s", got)
	}
	if got := arrayLiteral([]int{2025, 2026}); got != `{"2025","2026"}` {
		t.Errorf("arrayLiteral = %s", got)
	}
	if got := arrayLiteral([]int{}); got != `{}` {
		t.Errorf("arrayLiteral = %s", got)
	}
	if got := nullableArray([]int{}); got != nil {
		t.Errorf("empty filter: %v, want NULL", got)
	}
	if got := nullableArray([]int{1}); got != `{"1"}` {
		t.Errorf("filter: %v", got)
	}
}

func TestStatsError(t *testing.T) {
	var v *ValidationError
	if err := statsError(&pgconn.PgError{Code: "22023"}); !errors.As(err, &v) || v.Fields[0].Field != "by" {
		t.Errorf("invalid parameter: %v, want a refusal of by", err)
	}
	for _, err := range []error{&pgconn.PgError{Code: "42501"}, errors.New("connection reset")} {
		if got := statsError(err); errors.As(got, &v) || !errors.Is(got, err) {
			t.Errorf("%v became %v", err, got)
		}
	}
}

// groupKey turns the database's dimension columns into a key in the order
// of by, with nil for dimensions the row totals over (bit set in grp; the
// first dimension is the most significant bit).
func groupKey(by []string, grp int, values map[string]any) []any {
	d := dims{grp: int64(grp)}
	text := func(name string) sql.NullString {
		v, ok := values[name].(*string)
		if !ok || v == nil {
			return sql.NullString{}
		}
		return sql.NullString{String: *v, Valid: true}
	}
	d.site, d.quarter, d.ageBand, d.gender, d.reason = text("site"), text("quarter"), text("age_band"), text("gender"), text("reason")
	if v, ok := values["year"].(*int); ok && v != nil {
		d.year = sql.NullInt64{Int64: int64(*v), Valid: true}
	}
	if v, ok := values["interpreter"].(*bool); ok && v != nil {
		d.interpreter = sql.NullBool{Bool: *v, Valid: true}
	}
	return d.key(by)
}
