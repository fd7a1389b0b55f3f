package app

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"kurve/models"
)

// outcomeDocument is the outcome document as plain Go values, rows as
// maps: what outcomeJSON must encode.
func outcomeDocument(t *models.OutcomeTable) OutcomeDocument {
	doc := outcomeHead(t)
	doc.Rows = make([]map[string]any, 0, len(t.Rows))
	for _, r := range t.Rows {
		row := map[string]any{"measures": r.Measures, "suppressed": r.Suppressed}
		if r.Suppressed == nil {
			row["suppressed"] = []string{}
		}
		for i, d := range t.Dimensions {
			row[d] = r.Key[i]
		}
		doc.Rows = append(doc.Rows, row)
	}
	return doc
}

// The outcome document written row by row says what the JSON encoder
// says of outcomeDocument: the same members and values.
func TestOutcomeJSON(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	measures := func(vals ...*float64) map[string]*float64 {
		m := map[string]*float64{}
		for i, name := range models.OutcomeMeasures {
			m[name] = vals[i%len(vals)]
		}
		return m
	}
	for _, tab := range []*models.OutcomeTable{
		{K: 5, RefreshedAt: time.Date(2026, 11, 30, 4, 5, 0, 0, time.UTC)},
		{K: 3, Relaxed: true, Dimensions: []string{"site", "year", "interpreter"}, RefreshedAt: time.Now(), Rows: []models.OutcomeRow{
			{Key: []any{"DU", 2025, true}, Measures: measures(v(12), nil, v(0.125), v(-3.5), v(1e-9), v(2e22), v(0)),
				Suppressed: []string{"referrals", "status_active"}},
			{Key: []any{nil, 2026, false}, Measures: measures(nil)},
			{Key: []any{"\"Ü<&>\u2028", nil, nil}, Measures: map[string]*float64{"participants": v(7)}},
		}},
	} {
		got, err := outcomeJSON(tab)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(outcomeDocument(tab))
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, got)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("written:\n%s\nencoder:\n%s", got, want)
		}
	}
	nan := 0.0
	nan /= nan
	if _, err := outcomeJSON(&models.OutcomeTable{Rows: []models.OutcomeRow{{Key: []any{}, Measures: map[string]*float64{"participants": &nan}}}}); err == nil {
		t.Error("NaN written")
	}
	if _, err := outcomeJSON(&models.OutcomeTable{Rows: []models.OutcomeRow{{Key: []any{}, Measures: map[string]*float64{"not_a_measure": v(1)}}}}); err == nil {
		t.Error("a measure outside OutcomeMeasures written")
	}
}
