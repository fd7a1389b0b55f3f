package models_test

import (
	"slices"
	"testing"

	"kurve/models"
)

// specStatuses are the statuses of SPEC §3, written out by hand in program order.
var specStatuses = []models.Status{
	"referred", "contacted", "consent_pending", "active",
	"completed", "declined", "ended_early", "withdrawn",
}

// statusTransition is one edge of the status graph.
type statusTransition struct{ from, to models.Status }

// allowedTransitions is every edge of the SPEC §3 graph, written out by hand:
// the main line referred → contacted → consent_pending → active → completed,
// and from each open state to declined, ended_early or withdrawn.
var allowedTransitions = []statusTransition{
	// main line
	{"referred", "contacted"},
	{"contacted", "consent_pending"},
	{"consent_pending", "active"},
	{"active", "completed"},

	// early exits from referred
	{"referred", "declined"},
	{"referred", "ended_early"},
	{"referred", "withdrawn"},

	// early exits from contacted
	{"contacted", "declined"},
	{"contacted", "ended_early"},
	{"contacted", "withdrawn"},

	// early exits from consent_pending
	{"consent_pending", "declined"},
	{"consent_pending", "ended_early"},
	{"consent_pending", "withdrawn"},

	// early exits from active
	{"active", "declined"},
	{"active", "ended_early"},
	{"active", "withdrawn"},
}

func transitionAllowed(from, to models.Status) bool {
	return slices.Contains(allowedTransitions, statusTransition{from, to})
}

func TestStatusGraph(t *testing.T) {
	t.Run("statuses are exactly those of SPEC §3 in program order", func(t *testing.T) {
		if !slices.Equal(models.Statuses, specStatuses) {
			t.Fatalf("models.Statuses = %v, want %v", models.Statuses, specStatuses)
		}
	})

	t.Run("hand-written table only uses known statuses", func(t *testing.T) {
		if len(allowedTransitions) != 16 {
			t.Errorf("allowedTransitions has %d edges, want 16", len(allowedTransitions))
		}
		for _, tr := range allowedTransitions {
			if !slices.Contains(specStatuses, tr.from) || !slices.Contains(specStatuses, tr.to) {
				t.Errorf("table edge %s → %s uses an unknown status", tr.from, tr.to)
			}
		}
	})

	t.Run("every pair matches the table", func(t *testing.T) {
		all := append(slices.Clone(models.Statuses), "", "closed", "Active")
		pairs, allowed := 0, 0
		for _, from := range all {
			for _, to := range all {
				pairs++
				want := transitionAllowed(from, to)
				if want {
					allowed++
				}
				if got := models.CanTransition(from, to); got != want {
					t.Errorf("CanTransition(%q, %q) = %v, want %v", from, to, got, want)
				}
			}
		}
		if pairs < 64 {
			t.Errorf("walked only %d pairs, want at least 64", pairs)
		}
		if allowed != len(allowedTransitions) {
			t.Errorf("walk reached %d allowed edges, table has %d", allowed, len(allowedTransitions))
		}
	})

	t.Run("named forbidden transitions", func(t *testing.T) {
		forbidden := []struct {
			name     string
			from, to models.Status
		}{
			{"referred to active skips steps", "referred", "active"},
			{"referred to consent_pending skips contacted", "referred", "consent_pending"},
			{"contacted to active skips consent", "contacted", "active"},
			{"referred to completed skips everything", "referred", "completed"},
			{"consent_pending to completed skips active", "consent_pending", "completed"},
			{"active back to consent_pending", "active", "consent_pending"},
			{"contacted back to referred", "contacted", "referred"},
			{"completed re-opened to active", "completed", "active"},
			{"completed to withdrawn", "completed", "withdrawn"},
			{"withdrawn to active", "withdrawn", "active"},
			{"withdrawn to referred", "withdrawn", "referred"},
			{"declined to referred", "declined", "referred"},
			{"declined to contacted", "declined", "contacted"},
			{"ended_early to completed", "ended_early", "completed"},
			{"ended_early to withdrawn", "ended_early", "withdrawn"},
			{"same state referred", "referred", "referred"},
			{"same state active", "active", "active"},
			{"same state completed", "completed", "completed"},
			{"same state withdrawn", "withdrawn", "withdrawn"},
			{"to empty status", "active", ""},
			{"to unknown status", "active", "closed"},
			{"from empty status", "", "contacted"},
			{"from unknown status", "closed", "withdrawn"},
		}
		for _, tc := range forbidden {
			t.Run(tc.name, func(t *testing.T) {
				if transitionAllowed(tc.from, tc.to) {
					t.Fatalf("test table inconsistent: %s → %s is in allowedTransitions", tc.from, tc.to)
				}
				if models.CanTransition(tc.from, tc.to) {
					t.Errorf("CanTransition(%q, %q) = true, want false", tc.from, tc.to)
				}
			})
		}
	})

	t.Run("Open", func(t *testing.T) {
		cases := []struct {
			status models.Status
			open   bool
		}{
			{"referred", true},
			{"contacted", true},
			{"consent_pending", true},
			{"active", true},
			{"completed", false},
			{"declined", false},
			{"ended_early", false},
			{"withdrawn", false},
			{"", false},
			{"closed", false},
		}
		for _, tc := range cases {
			if got := tc.status.Open(); got != tc.open {
				t.Errorf("Status(%q).Open() = %v, want %v", tc.status, got, tc.open)
			}
		}
	})

	t.Run("Valid", func(t *testing.T) {
		for _, s := range specStatuses {
			if !s.Valid() {
				t.Errorf("Status(%q).Valid() = false, want true", s)
			}
		}
		for _, s := range []models.Status{"", "closed", "Active", " active"} {
			if s.Valid() {
				t.Errorf("Status(%q).Valid() = true, want false", s)
			}
		}
	})

	t.Run("ValidEndReason", func(t *testing.T) {
		cases := []struct {
			reason string
			valid  bool
		}{
			{"moved", true},
			{"no_contact", true},
			{"family_refused", true},
			{"child_refused", true},
			{"needs_other_help", true},
			{"new_offence", true},
			{"other", true},
			{"", false},
			{"Moved", false},
			{" moved", false},
			{"moved ", false},
			{"closed", false},
			{"withdrawn", false},
		}
		for _, tc := range cases {
			if got := models.ValidEndReason(tc.reason); got != tc.valid {
				t.Errorf("ValidEndReason(%q) = %v, want %v", tc.reason, got, tc.valid)
			}
		}
		if len(models.EndReasons) == 0 {
			t.Fatal("EndReasons is empty")
		}
		seen := map[string]bool{}
		for _, r := range models.EndReasons {
			if seen[r] {
				t.Errorf("EndReasons lists %q twice", r)
			}
			seen[r] = true
			if !models.ValidEndReason(r) {
				t.Errorf("ValidEndReason(%q) = false for a listed EndReason", r)
			}
		}
	})
}

func TestNextStatuses(t *testing.T) {
	explicit := map[models.Status][]models.Status{
		"referred":        {"contacted", "declined", "ended_early", "withdrawn"},
		"contacted":       {"consent_pending", "declined", "ended_early", "withdrawn"},
		"consent_pending": {"active", "declined", "ended_early", "withdrawn"},
		"active":          {"completed", "declined", "ended_early", "withdrawn"},
		"completed":       nil,
		"declined":        nil,
		"ended_early":     nil,
		"withdrawn":       nil,
		"":                nil,
		"closed":          nil,
	}
	for from, want := range explicit {
		t.Run(string(from), func(t *testing.T) {
			// The explicit list must agree with the hand-written edge table,
			// in program order.
			var fromTable []models.Status
			for _, to := range specStatuses {
				if transitionAllowed(from, to) {
					fromTable = append(fromTable, to)
				}
			}
			if !slices.Equal(want, fromTable) {
				t.Fatalf("test tables disagree for %q: explicit %v, edge table %v", from, want, fromTable)
			}
			if got := models.NextStatuses(from); !slices.Equal(got, want) {
				t.Errorf("NextStatuses(%q) = %v, want %v", from, got, want)
			}
		})
	}
}
