package models

import (
	"time"
	_ "time/tzdata" // the program's dates are German calendar days on any host
)

// ProgramZone is where the program's calendar days are counted: every
// "today" of the application and of the database is a day in Berlin, so a
// request at 23:30 UTC (00:30 in Berlin) already works on the next day.
var ProgramZone = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ProgramDay is the calendar day of the instant t in the program's zone, as
// midnight UTC (the form models use for dates).
func ProgramDay(t time.Time) time.Time {
	y, m, d := t.In(ProgramZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
