package models

import "time"

// Status is a participant's place in the program (SPEC §3).
type Status string

// The participant statuses of SPEC §3.
const (
	StatusReferred       Status = "referred"
	StatusContacted      Status = "contacted"
	StatusConsentPending Status = "consent_pending"
	StatusActive         Status = "active"
	StatusCompleted      Status = "completed"
	StatusDeclined       Status = "declined"
	StatusEndedEarly     Status = "ended_early"
	StatusWithdrawn      Status = "withdrawn"
)

// Statuses lists every status in program order.
var Statuses = []Status{StatusReferred, StatusContacted, StatusConsentPending, StatusActive,
	StatusCompleted, StatusDeclined, StatusEndedEarly, StatusWithdrawn}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// OpenStatuses are the statuses of a running case (Open).
var OpenStatuses = []Status{StatusReferred, StatusContacted, StatusConsentPending, StatusActive}

// Open reports whether the case is still running (not in a final state).
func (s Status) Open() bool {
	switch s {
	case StatusReferred, StatusContacted, StatusConsentPending, StatusActive:
		return true
	}
	return false
}

// next is the main line of the graph: referred → contacted →
// consent_pending → active → completed.
var next = map[Status]Status{
	StatusReferred:       StatusContacted,
	StatusContacted:      StatusConsentPending,
	StatusConsentPending: StatusActive,
	StatusActive:         StatusCompleted,
}

// CanTransition reports whether the graph of SPEC §3 allows from → to: the
// next step of the main line, or from any open state to declined,
// ended_early or withdrawn. Everything else is rejected.
func CanTransition(from, to Status) bool {
	if !from.Open() || !to.Valid() {
		return false
	}
	if next[from] == to {
		return true
	}
	switch to {
	case StatusDeclined, StatusEndedEarly, StatusWithdrawn:
		return true
	}
	return false
}

// NextStatuses lists the statuses from may move to, in program order.
func NextStatuses(from Status) []Status {
	var out []Status
	for _, to := range Statuses {
		if CanTransition(from, to) {
			out = append(out, to)
		}
	}
	return out
}

// ReopenDays is how long after a case was closed a coordinator may reopen
// it (a case closed in error).
const ReopenDays = 30

// CanReopen reports whether a case in status st, closed on closedOn, may
// be reopened on day: only closed cases, only within ReopenDays.
func CanReopen(st Status, closedOn, day time.Time) bool {
	return !st.Open() && st.Valid() && !dateOf(day).After(dateOf(closedOn).AddDate(0, 0, ReopenDays))
}

// Confirmed lists the statuses a user sets only after confirming on a
// page of its own: the ends of a case that cannot be undone by its staff.
var Confirmed = []Status{StatusDeclined, StatusEndedEarly, StatusWithdrawn}

// NeedsConfirmation reports whether to is set only after a confirmation.
func NeedsConfirmation(to Status) bool {
	for _, s := range Confirmed {
		if s == to {
			return true
		}
	}
	return false
}

// EndReasons are the reasons an early end (or a decline) may give.
var EndReasons = []string{"moved", "no_contact", "family_refused", "child_refused", "needs_other_help", "new_offence", "other"}

// ValidEndReason reports whether r is one of EndReasons.
func ValidEndReason(r string) bool {
	for _, x := range EndReasons {
		if x == r {
			return true
		}
	}
	return false
}
