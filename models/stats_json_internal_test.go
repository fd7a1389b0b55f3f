package models

import (
	"maps"
	"testing"

	gojson "github.com/goccy/go-json"
)

// eachMeasure reads every form of the outcome function's measures as the
// JSON decoder does: PostgreSQL's own layout directly, any other through
// the decoder.
func TestEachMeasure(t *testing.T) {
	for _, raw := range []string{
		`{}`,
		`{"participants": 128, "status_withdrawn": null, "months_in_program_median": 10.5}`,
		`{"a": -3, "b": 0, "c": 1e3, "d": 123456789012345678, "e": -0.25}`,
		`{"participants":128,"status_withdrawn":null}`, // another layout
		`{ "participants": 1 }`,               // spaces
		`{"esc\"aped": 4, "participants": 2}`, // an escape in a name
		`{"participants": 012}`,               // not JSON: refused
		`{"participants": 1,}`,                // not JSON: refused
		`{"participants": 1} `,                // trailing space
		`{"participants": "7"}`,               // a string: refused
		`[1, 2]`,                              // not an object: refused
		`{"participants": +1}`,                // not JSON: refused
		`{"participants": .5}`,                // not JSON: refused
		`{"participants": 1, "participants": 2}`,
		`{"a": 1.5e2, "b": -0, "c": 0.5, "d": 1E+2, "e": 2e-1}`,
		`{"a": 1e}`, `{"a": -}`, `{"a": 1.}`, `{"a": 00}`, `{"a": Infinity}`, `{"a": 0x10}`, // not JSON: refused             // the last one counts
		`{"attendance_80_plus": 79, "ended_early_moved": 6}`, // names with digits
	} {
		var want map[string]*float64
		wantErr := gojson.Unmarshal([]byte(raw), &want)
		got := map[string]*float64{}
		err := eachMeasure([]byte(raw), func(name []byte, v float64, null bool) {
			if null {
				got[string(name)] = nil
			} else {
				got[string(name)] = &v
			}
		})
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, the decoder's %v", raw, err, wantErr)
			continue
		}
		if err == nil && !maps.EqualFunc(got, want, func(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }) {
			t.Errorf("%s: got %v, want %v", raw, measureValues(got), measureValues(want))
		}
	}
}

func measureValues(m map[string]*float64) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = nil
		if v != nil {
			out[k] = *v
		}
	}
	return out
}
