package models

import (
	"maps"
	"testing"
)

// Pure tests of crossing 3's measures in the outcome table (issue 17):
// rates from visible counts only, the partitions that keep a small count
// from being worked out, and which window gives way when two windows'
// children differ by a few.

// policeGroup is a group whose police counts are those given (the rest
// of a consistent group around them); derived counts are added as
// addPoliceContacts adds them.
func policeGroup(k int, counts map[string]int) *group {
	c := consistentGroup()
	maps.Copy(c, counts)
	g := &group{key: []any{}, counts: c.slots(), median: median(7)}
	g.setPoliceDerived(k)
	return g
}

// policeCounts are 40 completed and 20 ended early children, all with
// every window elapsed, 10 and 12 of them with a contact in every window.
func policeCounts() map[string]int {
	c := map[string]int{}
	for _, w := range PoliceWindows {
		c[PoliceWindowCount(w, "")], c[PoliceContactCount(w, "")] = 60, 22
		c[PoliceWindowCount(w, "completed")], c[PoliceContactCount(w, "completed")] = 40, 10
		c[PoliceWindowCount(w, "ended_early")], c[PoliceContactCount(w, "ended_early")] = 20, 12
	}
	return c
}

func TestPoliceMeasures(t *testing.T) {
	row := suppressGroups([]*group{policeGroup(DefaultK, policeCounts())}, 0, DefaultK, false)[0]
	for _, w := range PoliceWindows {
		wantValue(t, row, PoliceRate(w, ""), 22.0/60, rateTol)
		wantValue(t, row, PoliceRate(w, "completed"), 10.0/40, rateTol)
		wantValue(t, row, PoliceRate(w, "ended_early"), 12.0/20, rateTol)
		wantValue(t, row, PoliceWindowCount(w, "ended_early"), 20, 0)
		wantValue(t, row, PoliceContactCount(w, "completed"), 10, 0)
	}
	if len(row.Suppressed) != 0 {
		t.Errorf("suppressed without need: %v", row.Suppressed)
	}
	// The police_contact_12m_rate of SPEC §11.
	if _, ok := policeRates["police_contact_12m_rate"]; !ok || !contains(OutcomeMeasures, "police_contact_12m_rate") {
		t.Error("police_contact_12m_rate is no outcome measure")
	}

	// Nothing to divide: not applicable; no child with an ended program
	// at all (a group the crossing did not return): counts are zero.
	c := policeCounts()
	c[PoliceWindowCount("24m", "")], c[PoliceContactCount("24m", "")] = 40, 10
	c[PoliceWindowCount("24m", "ended_early")], c[PoliceContactCount("24m", "ended_early")] = 0, 0
	row = suppressGroups([]*group{policeGroup(DefaultK, c)}, 0, DefaultK, false)[0]
	wantNotApplicable(t, row, PoliceRate("24m", "ended_early"))
	wantValue(t, row, PoliceRate("24m", ""), 10.0/40, rateTol)
	row = suppressGroups([]*group{policeGroup(DefaultK, nil)}, 0, DefaultK, false)[0]
	wantValue(t, row, PoliceWindowCount("12m", ""), 0, 0)
	wantNotApplicable(t, row, PoliceRate("12m", ""))

	// The database removed a count: the rate built on it is hidden, and
	// so is a partner that would give the count away.
	c = policeCounts()
	c[PoliceContactCount("12m", "ended_early")] = Hidden
	row = suppressGroups([]*group{policeGroup(DefaultK, c)}, 0, DefaultK, false)[0]
	wantSuppressed(t, row, PoliceRate("12m", "ended_early"))
	wantSuppressed(t, row, PoliceContactCount("12m", "ended_early"))
	if row.Measures[PoliceContactCount("12m", "")] != nil && row.Measures[PoliceContactCount("12m", "completed")] != nil {
		t.Error("contacts of early ends = all − completed")
	}

	// Three of twenty without a contact are too few: the contacts go, or
	// the twenty-three would give the three away.
	c = policeCounts()
	c[PoliceContactCount("6m", "ended_early")], c[PoliceContactCount("6m", "")] = 17, 27
	row = suppressGroups([]*group{policeGroup(DefaultK, c)}, 0, DefaultK, false)[0]
	if row.Measures[PoliceContactCount("6m", "ended_early")] != nil && row.Measures[PoliceWindowCount("6m", "ended_early")] != nil {
		t.Error("three without a contact = 20 − 17")
	}
	wantSuppressed(t, row, PoliceRate("6m", "ended_early"))
}

func TestPoliceWindowGivesWay(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		w6, w12, w24         int
		hidden6, hidden24    bool
		keeps12, keepsRate12 bool
	}{
		{"every child through all windows", 40, 40, 40, false, false, true, true},
		{"many between 6 and 12 months", 40, 30, 30, false, false, true, true},
		{"two between 6 and 12 months: 6 gives way", 42, 40, 40, true, false, true, true},
		{"two between 12 and 24 months: 24 gives way", 40, 40, 38, false, true, true, true},
		{"many between 12 and 24 months", 40, 40, 10, false, false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := policeCounts()
			for w, n := range map[string]int{"6m": tc.w6, "12m": tc.w12, "24m": tc.w24} {
				c[PoliceWindowCount(w, "completed")], c[PoliceContactCount(w, "completed")] = n, 10
				c[PoliceWindowCount(w, "")], c[PoliceContactCount(w, "")] = n+20, 22
			}
			row := suppressGroups([]*group{policeGroup(DefaultK, c)}, 0, DefaultK, false)[0]
			if hidden := row.Measures[PoliceWindowCount("6m", "completed")] == nil; hidden != tc.hidden6 {
				t.Errorf("6-month children hidden: %v", hidden)
			}
			if hidden := row.Measures[PoliceWindowCount("24m", "completed")] == nil; hidden != tc.hidden24 {
				t.Errorf("24-month children hidden: %v", hidden)
			}
			if shown := row.Measures[PoliceWindowCount("12m", "completed")] != nil; shown != tc.keeps12 {
				t.Errorf("12-month children shown: %v (%v)", shown, row.Suppressed)
			}
			if shown := row.Measures[PoliceRate("12m", "completed")] != nil; shown != tc.keepsRate12 {
				t.Errorf("12-month rate shown: %v (%v)", shown, row.Suppressed)
			}
		})
	}
}
