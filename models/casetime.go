package models

import "time"

// Program timing (SPEC §3): reviews at least every 8 weeks while active,
// a program period of 12 months from becoming active, extendable in
// 6-month steps.
const (
	ReviewInterval   = 8 * 7 // days
	ProgramMonths    = 12
	ExtensionMonths  = 6
	ProgramEndNotice = 30 // days before the end that dashboards warn
)

// ReviewDue is the date by which the next case review is due: 8 weeks after
// the last review, or after activation when there was none. It is nil for a
// participant who is not active.
func ReviewDue(status Status, activatedOn, lastReview *time.Time) *time.Time {
	if status != StatusActive || activatedOn == nil {
		return nil
	}
	from := dateOf(*activatedOn)
	if lastReview != nil && dateOf(*lastReview).After(from) {
		from = dateOf(*lastReview)
	}
	due := from.AddDate(0, 0, ReviewInterval)
	return &due
}

// ReviewOverdue reports whether the review due date has passed on day.
func ReviewOverdue(due *time.Time, day time.Time) bool {
	return due != nil && dateOf(day).After(*due)
}

// ProgramEnd is the last day of the program period: 12 months after
// activation plus 6 months per extension. Nil before activation.
func ProgramEnd(activatedOn *time.Time, extensions int) *time.Time {
	if activatedOn == nil {
		return nil
	}
	end := dateOf(*activatedOn).AddDate(0, ProgramMonths+ExtensionMonths*extensions, -1)
	return &end
}

// ProgramEndingSoon reports whether an active participant's period ends
// within ProgramEndNotice days of day (or has ended).
func ProgramEndingSoon(status Status, end *time.Time, day time.Time) bool {
	return status == StatusActive && end != nil && !end.After(dateOf(day).AddDate(0, 0, ProgramEndNotice))
}
