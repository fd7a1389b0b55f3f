package app_test

import (
	"fmt"
	"os"
	"time"

	"kurve/models"
)

// berlin is the program's zone, as the tests count days in it.
var berlin = models.ProgramZone

// clockStart and clockOffset pin the tests' clock: KURVE_TEST_CLOCK=23:30
// runs the whole package as if it had started at 23:30 UTC today (Berlin
// is then on the next day), and the clock ticks on from there. Unset, the
// tests use the real time.
var clockOffset = clockOffsetFromEnv(os.Getenv("KURVE_TEST_CLOCK"))

func clockOffsetFromEnv(v string) time.Duration {
	if v == "" {
		return 0
	}
	hm, err := time.Parse("15:04", v)
	if err != nil {
		panic(fmt.Sprintf("KURVE_TEST_CLOCK=%q: want HH:MM (UTC)", v))
	}
	return time.Until(pinnedAt(hm.Hour(), hm.Minute()))
}

// pinnedAt is today (UTC) at hh:mm UTC.
func pinnedAt(hh, mm int) time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
}

// testNow is the tests' clock; every server the tests build runs on it.
func testNow() time.Time { return time.Now().Add(clockOffset) }

// pinnedClock is a clock that starts at 'at' and ticks with the real time.
func pinnedClock(at time.Time) func() time.Time {
	offset := time.Until(at)
	return func() time.Time { return time.Now().Add(offset) }
}

// testToday is the program's day by the tests' clock (midnight UTC).
func testToday() time.Time { return models.ProgramDay(testNow()) }

// testDate is testToday shifted by days, as YYYY-MM-DD.
func testDate(days int) string { return testToday().AddDate(0, 0, days).Format(time.DateOnly) }

// deDate is an ISO day (YYYY-MM-DD) as German pages show it.
func deDate(iso string) string {
	d, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		panic(err)
	}
	return d.Format("02.01.2006")
}
