package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	gojson "github.com/goccy/go-json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Outcome statistics for evaluators (SPEC §6). The database aggregates and
// removes every count below k (migrations/00008_statistics.sql); this file
// adds complementary suppression across rows, columns, totals and the
// partitions of a group (statuses, attendance bands, early-end reasons),
// and derives the rates from counts that are still visible.

// StatsDimensions are the dimensions an outcome table may be grouped by,
// in their canonical order.
var StatsDimensions = []string{"site", "year", "quarter", "age_band", "gender", "interpreter", "reason"}

// referralDimensions are those referrals can be grouped by: referrals
// carry no person data beyond site, date and reason category.
var referralDimensions = []string{"site", "year", "quarter", "reason"}

// Fixed value orders of the categorical dimensions, for sorting and for
// the interface's labels.
var (
	AgeBands = []string{"under_8", "8-9", "10-11", "12-13", "14-15", "16+"}
	// reasonsWithNone adds cases opened without a police referral.
	reasonsWithNone = append(slices.Clone(ReasonCategories), "none")
)

// Person counts that partition a group (with participants, or with those
// who ended early): the measures of the dashboard's distribution tables.
var (
	StatusMeasures     = prefixed("status_", statusStrings())
	AttendanceMeasures = prefixed("attendance_", []string{"80_plus", "50_79", "below_50", "none"})
	EndReasonMeasures  = prefixed("ended_early_", EndReasons)
)

// OutcomeMeasures are the measures of an outcome row, in display order.
// AssessmentMeasures are the outcome measures of the structured
// assessments (issue 17, stats_assessment.go).
var OutcomeMeasures = slices.Concat(
	[]string{"participants", "referrals", "consent_rate", "completion_rate", "months_in_program_median",
		"sessions_per_participant", "attendance_rate", "goals_achieved_rate", "reviews_on_time_rate", "visits_held"},
	AssessmentMeasures, StatusMeasures, AttendanceMeasures, EndReasonMeasures,
	PoliceContactMeasures)

// StatsQuery asks for one outcome table.
type StatsQuery struct {
	By       []string // dimensions, in order; the last one is the table's columns
	Sites    []string // site codes; empty: all
	Years    []int
	Quarters []int // 1..4
	K        int   // below MinK counts as MinK
	// Relaxed counts participants without evaluation consent too, where
	// the law allows (setting KURVE_STATS_EVALUATION_CONSENT=relaxed).
	Relaxed bool
}

// Validate checks the query's dimensions and filters.
func (q StatsQuery) Validate() error {
	var v ValidationError
	seen := map[string]bool{}
	for _, d := range q.By {
		if !slices.Contains(StatsDimensions, d) || seen[d] {
			v.Add("by", "stats.error.by", map[string]any{"Dimension": d})
			break
		}
		seen[d] = true
	}
	for _, y := range q.Years {
		if y < 2000 || y > 2999 {
			v.Add("year", "stats.error.year", nil)
			break
		}
	}
	for _, n := range q.Quarters {
		if n < 1 || n > 4 {
			v.Add("quarter", "stats.error.quarter", nil)
			break
		}
	}
	return v.OrNil()
}

// OutcomeTable is an anonymised outcome table.
type OutcomeTable struct {
	K           int
	Dimensions  []string
	Relaxed     bool
	RefreshedAt time.Time
	Rows        []OutcomeRow
}

// OutcomeRow is one group of the table. Key holds one value per dimension
// (string, int or bool); nil where the row is a total over that dimension.
type OutcomeRow struct {
	Key      []any
	Measures map[string]*float64 // nil: suppressed or not applicable
	// Suppressed names the measures hidden to protect people.
	Suppressed []string
}

// Total reports whether the row is a total over at least one dimension.
func (r OutcomeRow) Total() bool { return slices.Contains(r.Key, nil) }

// group is a row as it comes from the database: its counts by slot
// (countSlot), with Hidden for a count the database removed.
type group struct {
	key    []any
	counts counts
	median *float64
	// change is the mean gain of the assessed (nil: fewer than k, or none).
	change *float64
}

// countNames are the counts a group can hold: what the outcome function
// returns, the referrals, the assessed and crossing 3's counts. A group
// keeps them in one slice by slot, not in a map by name: a table by three
// dimensions has a thousand groups of a hundred counts each, and the maps
// cost more than the suppression itself.
var countNames = slices.Concat(
	[]string{"participants", "programs_ended", "sessions", "attended", "goals_final", "goals_achieved",
		"reviews_due", "reviews_on_time", "visits_held", "assessed",
		"referrals", "referrals_consented", "referrals_not_consented"},
	StatusMeasures, AttendanceMeasures, EndReasonMeasures, policeCounted)

// countSlot is each count's index in a group's counts.
var countSlot = func() map[string]int {
	out := make(map[string]int, len(countNames))
	for i, name := range countNames {
		if _, dup := out[name]; dup {
			panic("models: count " + name + " twice")
		}
		out[name] = i
	}
	return out
}()

// notCounted marks a count a group does not have, unlike Hidden, a count
// that exists but was removed.
const notCounted = math.MinInt

// counts are a group's counts by slot.
type counts []int

func newCounts() counts {
	c := make(counts, len(countNames))
	for i := range c {
		c[i] = notCounted
	}
	return c
}

// get returns a count; ok is false when the group does not have it.
func (c counts) get(name string) (n int, ok bool) {
	i, known := countSlot[name]
	if !known || c[i] == notCounted {
		return 0, false
	}
	return c[i], true
}

// set stores a count. Every name is one of countNames: another is a bug.
func (c counts) set(name string, n int) {
	i, known := countSlot[name]
	if !known {
		panic("models: no count " + name)
	}
	c[i] = n
}

// value is the count in slot i, zero when the group does not have it.
func (c counts) value(i int) int {
	if c[i] == notCounted {
		return 0
	}
	return c[i]
}

// Outcomes builds the outcome table for q. It must run as kurve_statistics:
// it reads nothing but the aggregate functions of schema statistics.
func (s *Store) Outcomes(q StatsQuery) (*OutcomeTable, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	k := max(q.K, MinK)
	t := &OutcomeTable{K: k, Dimensions: slices.Clone(q.By), Relaxed: q.Relaxed}
	if err := s.db.Raw("SELECT refreshed_at FROM statistics.freshness").Scan(&t.RefreshedAt).Error; err != nil {
		return nil, fmt.Errorf("models: statistics freshness: %w", err)
	}
	groups, err := s.outcomeGroups(q, k)
	if err != nil {
		return nil, err
	}
	// Crossing 3: police contacts after program start by outcome.
	if groups, err = s.addPoliceContacts(groups, q, k); err != nil {
		return nil, err
	}
	withReferrals := true
	for _, d := range q.By {
		withReferrals = withReferrals && slices.Contains(referralDimensions, d)
	}
	if withReferrals {
		if groups, err = s.addReferrals(groups, q, k); err != nil {
			return nil, err
		}
	}
	if err := s.addAssessments(groups, q, k); err != nil {
		return nil, err
	}
	t.Rows = suppressGroups(groups, len(q.By), k, withReferrals)
	slices.SortFunc(t.Rows, func(a, b OutcomeRow) int { return compareKeys(q.By, a.Key, b.Key) })
	return t, nil
}

func (s *Store) outcomeGroups(q StatsQuery, k int) ([]*group, error) {
	rows, err := s.db.Raw(`SELECT grp, site, year, quarter, age_band, gender, interpreter, reason, measures
		FROM statistics.outcomes(?::text[], ?::text[], ?::integer[], ?::integer[], ?, ?)`,
		arrayLiteral(q.By), nullableArray(q.Sites), nullableArray(q.Years), nullableArray(q.Quarters), k, q.Relaxed).Rows()
	if err != nil {
		return nil, statsError(err)
	}
	defer rows.Close()
	var out []*group
	for rows.Next() {
		var (
			d   dims
			raw []byte
		)
		if err := rows.Scan(append(d.all(), &raw)...); err != nil {
			return nil, err
		}
		g := &group{key: d.key(q.By), counts: newCounts()}
		err := eachMeasure(raw, func(name []byte, v float64, null bool) {
			if string(name) == "months_in_program_median" {
				g.median = nil
				if !null {
					g.median = &v
				}
			} else if i, ok := countSlot[string(name)]; ok {
				g.counts[i] = Hidden
				if !null {
					g.counts[i] = int(v)
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("models: outcome measures: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// eachMeasure calls fn with each member of a row's measures, a flat JSON
// object of numbers and nulls (null: removed below k). PostgreSQL prints
// a jsonb object as {"a": 1, "b": null}, which is read here as it comes;
// anything else goes through the JSON decoder, and fn may then see a
// member twice. (Decoding the rows into maps was a tenth of the outcome
// table's time.)
func eachMeasure(raw []byte, fn func(name []byte, v float64, null bool)) error {
	if plainMeasures(raw, fn) {
		return nil
	}
	var m map[string]*float64
	if err := gojson.Unmarshal(raw, &m); err != nil {
		return err
	}
	for name, v := range m {
		if v == nil {
			fn([]byte(name), 0, true)
		} else {
			fn([]byte(name), *v, false)
		}
	}
	return nil
}

// plainMeasures reads raw when it is a jsonb object as PostgreSQL prints
// it, with names without escapes; false when it is not.
func plainMeasures(raw []byte, fn func(name []byte, v float64, null bool)) bool {
	i := 0
	next := func(c byte) bool {
		if i < len(raw) && raw[i] == c {
			i++
			return true
		}
		return false
	}
	if !next('{') {
		return false
	}
	if next('}') {
		return i == len(raw)
	}
	for {
		if !next('"') {
			return false
		}
		start := i
		for i < len(raw) && raw[i] != '"' && raw[i] != '\\' {
			i++
		}
		name := raw[start:i]
		if !next('"') || !next(':') || !next(' ') {
			return false // an escape, the end, or another layout
		}
		start = i
		for i < len(raw) && raw[i] != ',' && raw[i] != '}' {
			i++
		}
		if v := raw[start:i]; string(v) == "null" {
			fn(name, 0, true)
		} else if n, ok := plainNumber(v); ok {
			fn(name, n, false)
		} else {
			return false
		}
		if next('}') {
			return i == len(raw)
		}
		if !next(',') || !next(' ') {
			return false
		}
	}
}

// plainNumber parses a JSON number (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?);
// whole numbers without allocating.
func plainNumber(b []byte) (float64, bool) {
	i, whole, n := 0, true, int64(0)
	digits := func() int {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if whole && i-start < 15 {
				n = 10*n + int64(b[i]-'0')
			} else {
				whole = false
			}
			i++
		}
		return i - start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if d := digits(); d == 0 || d > 1 && b[i-d] == '0' {
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i, whole = i+1, false
		if digits() == 0 {
			return 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i, whole = i+1, false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}
	if whole {
		if b[0] == '-' {
			n = -n
		}
		return float64(n), true
	}
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil
}

// addReferrals merges the referral counts into the groups with the same
// key; a key with referrals but no counted participant gets a group of its
// own with zero participants.
func (s *Store) addReferrals(groups []*group, q StatsQuery, k int) ([]*group, error) {
	rows, err := s.db.Raw(`SELECT grp, site, year, quarter, reason, referrals, consented FROM statistics.referrals(?::text[], ?::text[], ?::integer[], ?::integer[], ?)`,
		arrayLiteral(q.By), nullableArray(q.Sites), nullableArray(q.Years), nullableArray(q.Quarters), k).Rows()
	if err != nil {
		return nil, statsError(err)
	}
	defer rows.Close()
	byKey := map[string]*group{}
	for _, g := range groups {
		byKey[keyString(g.key)] = g
	}
	for rows.Next() {
		var (
			d                    dims
			referrals, consented sql.NullInt64
		)
		if err := rows.Scan(&d.grp, &d.site, &d.year, &d.quarter, &d.reason, &referrals, &consented); err != nil {
			return nil, err
		}
		key := d.key(q.By)
		g := byKey[keyString(key)]
		if g == nil {
			g = &group{key: key, counts: newCounts()}
			g.counts.set("participants", 0)
			byKey[keyString(key)] = g
			groups = append(groups, g)
		}
		g.setReferrals(countOrHidden(referrals), countOrHidden(consented))
	}
	return groups, rows.Err()
}

// setReferrals stores a group's referral counts as the database returned
// them (Hidden: removed below k) and those not consented, which are people
// too: the partition referrals = consented + not consented must not reveal
// a small one.
func (g *group) setReferrals(referrals, consented int) {
	g.counts.set("referrals", referrals)
	g.counts.set("referrals_consented", consented)
	g.counts.set("referrals_not_consented", Hidden)
	if referrals != Hidden && consented != Hidden {
		g.counts.set("referrals_not_consented", referrals-consented)
	}
}

// dims are a row's grouping and dimension values as an aggregate returns
// them (NULL: none, or a total over that dimension). Null types, not
// pointers: database/sql fills a pointer by reflection, which for the
// thousand rows of crossing 3 was a fifth of the table's time.
type dims struct {
	grp                                    int64 // bit i set: a total over by[len(by)-1-i]
	site, quarter, ageBand, gender, reason sql.NullString
	year                                   sql.NullInt64
	interpreter                            sql.NullBool
}

// all are the destinations of the columns grp, site, year, quarter,
// age_band, gender, interpreter and reason, in this order.
func (d *dims) all() []any {
	return []any{&d.grp, &d.site, &d.year, &d.quarter, &d.ageBand, &d.gender, &d.interpreter, &d.reason}
}

// key is the row's group key for the dimensions by: its value for each,
// nil where grp marks a total over it or the row has none. (Without a map
// per row: the aggregates return thousands of rows.)
func (d *dims) key(by []string) []any {
	key := make([]any, len(by))
	for i, name := range by {
		if d.grp&(1<<(len(by)-1-i)) != 0 {
			continue
		}
		key[i] = d.value(name)
	}
	return key
}

func (d *dims) value(name string) any {
	var text sql.NullString
	switch name {
	case "site":
		text = d.site
	case "quarter":
		text = d.quarter
	case "age_band":
		text = d.ageBand
	case "gender":
		text = d.gender
	case "reason":
		text = d.reason
	case "year":
		if d.year.Valid {
			return int(d.year.Int64)
		}
		return nil
	case "interpreter":
		if d.interpreter.Valid {
			return d.interpreter.Bool
		}
		return nil
	}
	if text.Valid {
		return text.String
	}
	return nil
}

// keyString is a group key as a map key: one tagged field per dimension
// (n: total, s: text with its length, i: number, b: yes or no), so that no
// two keys share a string. (It runs for every row of every aggregate.)
func keyString(key []any) string {
	b := make([]byte, 0, 32)
	for _, v := range key {
		switch x := v.(type) {
		case nil:
			b = append(b, 'n')
		case string:
			b = append(b, 's')
			b = strconv.AppendInt(b, int64(len(x)), 10)
			b = append(b, ':')
			b = append(b, x...)
		case int:
			b = append(b, 'i')
			b = strconv.AppendInt(b, int64(x), 10)
			b = append(b, ';')
		case bool:
			b = append(b, 'b')
			b = strconv.AppendBool(b, x)
		default:
			// Not a value groupKey makes; kept apart all the same.
			b = fmt.Appendf(b, "?%T:%v;", x, x)
		}
	}
	return string(b)
}

// suppressGroups applies complementary suppression across all groups and
// derives the rows' measures from what stays visible.
func suppressGroups(groups []*group, dims, k int, withReferrals bool) []OutcomeRow {
	counted := slices.Concat([]string{"participants", "programs_ended", "assessed"}, StatusMeasures, AttendanceMeasures, EndReasonMeasures)
	if withReferrals {
		counted = append(counted, "referrals", "referrals_consented", "referrals_not_consented")
	}
	counted = append(counted, policeCounted...)
	// One value per (group, counted measure).
	// (A flat slice, group by group: the tables reach tens of thousands
	// of values since crossing 3's counts came, and a map per value cost
	// more than the suppression itself.)
	values := make([]int, len(groups)*len(counted))
	at := func(g int, m int) int { return g*len(counted) + m }
	slots := make([]int, len(counted))
	for m, name := range counted {
		slots[m] = countSlot[name]
	}
	for g := range groups {
		for m, slot := range slots {
			values[at(g, m)] = groups[g].counts.value(slot) // one the group lacks is none
		}
	}
	measureAt := make(map[string]int, len(counted))
	for m, name := range counted {
		measureAt[name] = m
	}
	// Within a group: participants = Σ statuses = Σ attendance bands;
	// ended early = Σ reasons.
	partitions := []struct {
		total string
		parts []string
	}{{"participants", StatusMeasures}, {"participants", AttendanceMeasures}, {"status_ended_early", EndReasonMeasures}}
	if withReferrals {
		partitions = append(partitions, struct {
			total string
			parts []string
		}{"referrals", []string{"referrals_consented", "referrals_not_consented"}})
	}
	for _, p := range policePartitions {
		partitions = append(partitions, p)
	}
	// Across groups: each total is the sum of the groups it covers; the
	// same for every measure.
	across := crossRelations(groups, dims)
	// The relations' parts share one backing array, sized up front: a
	// table by three dimensions has about 100,000 relations.
	type partition struct {
		total int
		parts []int
	}
	byMeasure := make([]partition, len(partitions))
	size := 0
	for i, p := range partitions {
		byMeasure[i].total = measureAt[p.total]
		for _, part := range p.parts {
			byMeasure[i].parts = append(byMeasure[i].parts, measureAt[part])
		}
		size += len(groups) * len(p.parts)
	}
	for _, rel := range across {
		size += len(counted) * len(rel.Parts)
	}
	backing := make([]int, 0, size)
	rels := make([]Relation, 0, len(groups)*len(partitions)+len(counted)*len(across))
	relation := func(total int, parts []int, at func(int) int) {
		start := len(backing)
		for _, p := range parts {
			backing = append(backing, at(p))
		}
		rels = append(rels, Relation{Total: total, Parts: backing[start:len(backing):len(backing)]})
	}
	for g := range groups {
		for _, p := range byMeasure {
			relation(at(g, p.total), p.parts, func(m int) int { return at(g, m) })
		}
	}
	for m := range counted {
		for _, rel := range across {
			relation(at(rel.Total, m), rel.Parts, func(g int) int { return at(g, m) })
		}
	}
	hidden := SuppressLinked(values, rels, k)

	rows := make([]OutcomeRow, len(groups))
	for g, gr := range groups {
		visible := func(name string) (float64, bool) {
			m, ok := measureAt[name]
			if !ok {
				return 0, false
			}
			i := at(g, m)
			return float64(values[i]), !hidden[i]
		}
		rows[g] = outcomeRow(gr, visible, withReferrals)
	}
	return rows
}

// crossRelations ties the totals of an n-dimensional table, flattened to
// rows (all but the last dimension) and columns (the last dimension), to
// the groups they add up; values are indices into groups.
func crossRelations(groups []*group, dims int) []Relation {
	if dims == 0 {
		return nil
	}
	byKey := map[string]int{}
	for g, gr := range groups {
		byKey[keyString(gr.key)] = g
	}
	grand, ok := byKey[keyString(make([]any, dims))]
	if !ok {
		return nil
	}
	rowRels, colRels := map[string]*Relation{}, map[string]*Relation{}
	grandRows, grandCols := Relation{Total: grand}, Relation{Total: grand}
	add := func(rels map[string]*Relation, totalKey []any, part int) {
		ks := keyString(totalKey)
		rel := rels[ks]
		if rel == nil {
			t, ok := byKey[ks]
			if !ok {
				return
			}
			rel = &Relation{Total: t}
			rels[ks] = rel
		}
		rel.Parts = append(rel.Parts, part)
	}
	for g, gr := range groups {
		// ifs, not a switch: see outcomeRow.
		if kind := totalKind(gr.key); kind == cellRow && dims == 1 {
			grandRows.Parts = append(grandRows.Parts, g)
		} else if kind == cellRow {
			rowKey := slices.Clone(gr.key)
			rowKey[dims-1] = nil
			add(rowRels, rowKey, g)
			colKey := make([]any, dims)
			colKey[dims-1] = gr.key[dims-1]
			add(colRels, colKey, g)
		} else if kind == rowTotal {
			grandRows.Parts = append(grandRows.Parts, g)
		} else if kind == colTotal {
			grandCols.Parts = append(grandCols.Parts, g)
		}
	}
	rels := []Relation{grandRows}
	if dims > 1 {
		rels = append(rels, grandCols)
	}
	for _, r := range rowRels {
		rels = append(rels, *r)
	}
	for _, r := range colRels {
		rels = append(rels, *r)
	}
	// Map iteration order must not change the outcome.
	slices.SortFunc(rels, func(a, b Relation) int { return a.Total - b.Total })
	return rels
}

type rowKind int

const (
	cellRow rowKind = iota
	rowTotal
	colTotal
	grandTotal
)

func totalKind(key []any) rowKind {
	n := len(key)
	// ifs, not a switch: see outcomeRow.
	if n == 0 || key[0] == nil && key[n-1] == nil {
		return grandTotal
	}
	if key[n-1] == nil {
		return rowTotal
	}
	if key[0] == nil {
		return colTotal
	}
	return cellRow
}

// outcomeRow derives the measures of one group from its visible counts. A
// rate is shown only when every count it is computed from is visible.
func outcomeRow(g *group, visible func(string) (float64, bool), withReferrals bool) OutcomeRow {
	row := OutcomeRow{Key: g.key, Measures: make(map[string]*float64, len(OutcomeMeasures))}
	// The values live in one array per row (a pointer into it for each);
	// an append beyond its capacity leaves earlier pointers on the old
	// array, which keeps their values.
	values := make([]float64, 0, len(OutcomeMeasures))
	set := func(name string, v float64, ok bool) {
		if !ok {
			row.Measures[name] = nil
			row.Suppressed = append(row.Suppressed, name)
			return
		}
		values = append(values, v)
		row.Measures[name] = &values[len(values)-1]
	}
	participants, pOK := visible("participants")
	sum := func(name string) (float64, bool) {
		n, ok := g.counts.get(name)
		return float64(n), ok && n >= 0 && pOK
	}
	ratio := func(name string, digits int, num, den []string, count func(string) (float64, bool)) {
		var a, b float64
		ok := true
		for _, n := range num {
			v, vis := count(n)
			a, ok = a+v, ok && vis
		}
		for _, n := range den {
			v, vis := count(n)
			b, ok = b+v, ok && vis
		}
		// ifs, not a switch, here and below: gremlins (make mutate) counts
		// a switch's case conditions as uncovered and never mutates them.
		if !ok {
			set(name, 0, false)
		} else if b == 0 {
			row.Measures[name] = nil // nothing to divide: not applicable
		} else {
			set(name, round(a/b, digits), true)
		}
	}
	for _, name := range OutcomeMeasures {
		// The rates of crossing 3 (stats_police.go).
		if num, den, ok := policeRateParts(name); ok {
			ratio(name, 3, []string{num}, []string{den}, visible)
			continue
		}
		switch name {
		case "participants":
			set(name, participants, pOK)
		case "referrals":
			if !withReferrals {
				row.Measures[name] = nil
				continue
			}
			v, ok := visible(name)
			set(name, v, ok)
		case "consent_rate":
			// A referral-level measure: referrals that led to program
			// consent, of all referrals.
			if !withReferrals {
				row.Measures[name] = nil
				continue
			}
			ratio(name, 3, []string{"referrals_consented"}, []string{"referrals"}, visible)
		case "completion_rate":
			ratio(name, 3, []string{"status_completed"},
				[]string{"status_completed", "status_ended_early", "status_withdrawn"}, visible)
		case "months_in_program_median":
			ended, ok := visible("programs_ended")
			if !ok || g.median == nil && ended > 0 {
				set(name, 0, false)
			} else if g.median == nil {
				row.Measures[name] = nil
			} else {
				set(name, *g.median, true)
			}
		case "sessions_per_participant":
			sessions, ok := sum("sessions")
			if !ok {
				set(name, 0, false)
			} else if participants == 0 {
				row.Measures[name] = nil
			} else {
				set(name, round(sessions/participants, 1), true)
			}
		case "attendance_rate":
			ratio(name, 3, []string{"attended"}, []string{"sessions"}, sum)
		case "goals_achieved_rate":
			ratio(name, 3, []string{"goals_achieved"}, []string{"goals_final"}, sum)
		case "reviews_on_time_rate":
			ratio(name, 3, []string{"reviews_on_time"}, []string{"reviews_due"}, sum)
		case "visits_held":
			v, ok := sum(name)
			set(name, v, ok)
		case "assessment_change":
			assessmentChange(g, visible, set, row.Measures)
		default:
			v, ok := visible(name)
			set(name, v, ok)
		}
	}
	return row
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}

// compareKeys orders rows by their dimension values in the dimensions'
// natural order, totals after the values they total.
func compareKeys(by []string, a, b []any) int {
	for i, d := range by {
		if c := compareValue(d, a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareValue(dim string, a, b any) int {
	// ifs, not switches: see outcomeRow.
	if a == nil && b == nil {
		return 0
	}
	if a == nil {
		return 1
	}
	if b == nil {
		return -1
	}
	order := map[string][]string{"age_band": AgeBands, "gender": Genders, "reason": reasonsWithNone}[dim]
	switch x := a.(type) {
	case int:
		return x - b.(int)
	case bool:
		y := b.(bool)
		if x == y {
			return 0
		}
		if !x {
			return -1
		}
		return 1
	case string:
		y := b.(string)
		if order != nil {
			if c := slices.Index(order, x) - slices.Index(order, y); c != 0 {
				return c
			}
		}
		if x < y {
			return -1
		}
		if x > y {
			return 1
		}
	}
	return 0
}

// FormatKeyValue renders a dimension value for CSV and URLs.
func FormatKeyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	default:
		return fmt.Sprint(x)
	}
}

func statsError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "22023" {
		var v ValidationError
		v.Add("by", "stats.error.by", nil)
		return &v
	}
	return fmt.Errorf("models: outcome statistics: %w", err)
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// arrayLiteral writes a PostgreSQL array literal, each element quoted.
// (GORM would expand a Go slice into a list of parameters.)
func arrayLiteral[T any](v []T) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(fmt.Sprint(x)))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// nullableArray is NULL for an empty filter (no restriction).
func nullableArray[T any](v []T) any {
	if len(v) == 0 {
		return nil
	}
	return arrayLiteral(v)
}

func statusStrings() []string {
	out := make([]string, len(Statuses))
	for i, s := range Statuses {
		out[i] = string(s)
	}
	return out
}

// statsRefreshLock is the advisory lock that makes one instance refresh
// the statistics while the others skip.
const statsRefreshLock = 715202608

// RefreshStatistics recomputes the statistics views. Readers keep reading
// the old contents meanwhile (CONCURRENTLY). When another instance is
// refreshing already, it returns false at once. It runs as kurve_jobs
// (migration 00021).
func RefreshStatistics(ctx context.Context, db *gorm.DB) (bool, error) {
	return RefreshStatisticsOlderThan(ctx, db, 0)
}

// statsRefreshTimeout bounds one refresh of the statistics views.
const statsRefreshTimeout = "10min"

// RefreshStatisticsOlderThan refreshes like RefreshStatistics unless some
// instance did within age: the periodic job of every `kurve serve` runs
// once per interval across instances.
func RefreshStatisticsOlderThan(ctx context.Context, db *gorm.DB, age time.Duration) (bool, error) {
	refreshed := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var got bool
		if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?)", statsRefreshLock).Scan(&got).Error; err != nil {
			return err
		}
		if !got {
			return nil
		}
		// Only the views' owner may refresh them: a definer function does,
		// for kurve_jobs (the login role owns nothing, migration 00021).
		if err := (&Store{db: tx}).SwitchRole(DBJobs, Actor{}); err != nil {
			return err
		}
		// A request's 15 s bound is too short for a refresh at 100,000
		// participants on a busy 2-core machine; the job has its own.
		if err := tx.Exec("SELECT set_config('statement_timeout', ?, true)", statsRefreshTimeout).Error; err != nil {
			return err
		}
		if err := tx.Raw("SELECT statistics.refresh_views(make_interval(secs => ?))", age.Seconds()).Scan(&refreshed).Error; err != nil {
			return fmt.Errorf("models: refresh statistics: %w", err)
		}
		// The counts of crossing 3 build on the participants' facts just
		// refreshed (migration 00031).
		if refreshed {
			if err := tx.Exec("SELECT statistics.refresh_police_outcomes()").Error; err != nil {
				return fmt.Errorf("models: refresh police outcome counts: %w", err)
			}
		}
		return nil
	})
	return refreshed, err
}
