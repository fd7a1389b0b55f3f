package app

import (
	"html/template"
	"testing"
	"time"

	"kurve/locales"
	"kurve/models"
)

// TestDatesPerLocale: each interface language writes days, months and
// times its own way; machine-readable values stay ISO.
func TestDatesPerLocale(t *testing.T) {
	tr, err := NewI18n(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	early := time.Date(2026, 6, 5, 0, 0, 0, 0, time.UTC)
	// 13:30 UTC is 14:30 in Berlin (winter time).
	at := time.Date(2026, 11, 29, 13, 30, 7, 0, time.UTC)
	cases := []struct {
		lang, date, early, month, dateTime, seconds string
	}{
		{"de", "29.11.2026", "05.06.2026", "11/2026", "29.11.2026, 14:30", "29.11.2026, 14:30:07"},
		{"en", "29 Nov 2026", "5 Jun 2026", "Nov 2026", "29 Nov 2026, 14:30", "29 Nov 2026, 14:30:07"},
		{"tr", "29.11.2026", "05.06.2026", "11/2026", "29.11.2026 14:30", "29.11.2026 14:30:07"},
		{"ar", "29\u200f/11\u200f/2026", "5\u200f/6\u200f/2026", "11\u200f/2026", "29\u200f/11\u200f/2026\u060c 14:30",
			"29\u200f/11\u200f/2026\u060c 14:30:07"},
	}
	if len(cases) != len(models.Languages) {
		t.Fatalf("%d languages tested, %d interface languages", len(cases), len(models.Languages))
	}
	for _, tc := range cases {
		l := tr.Localizer(tc.lang)
		if l.Lang != tc.lang {
			t.Fatalf("no localizer for %s", tc.lang)
		}
		for _, got := range []struct{ what, got, want string }{
			{"Date", l.Date(day), tc.date},
			{"Date (one-digit day and month)", l.Date(early), tc.early},
			{"Month", l.Month(day), tc.month},
			{"DateTime", l.DateTime(at), tc.dateTime},
			{"DateTimeSeconds", l.DateTimeSeconds(at), tc.seconds},
			{"Clock", l.Clock(at), "14:30"},
			{"dateText of an ISO string", dateText(l, "2026-11-29"), tc.date},
			{"dateText of a *time.Time", dateText(l, &day), tc.date},
			{"dayAt", dayAt(l, "2026-11-29", "14:30"), tc.dateTime},
			{"date tag", string(dateTag(l, "2026-11-29")), `<time datetime="2026-11-29">` + tc.date + `</time>`},
			{"dateTime tag", string(dateTimeTag(l, at)), `<time datetime="2026-11-29T13:30:07Z">` + tc.dateTime + `</time>`},
			{"month tag", string(monthTag(l, day)), `<time datetime="2026-11">` + tc.month + `</time>`},
		} {
			if got.got != got.want {
				t.Errorf("%s %s: %q, want %q", tc.lang, got.what, got.got, got.want)
			}
		}
	}
}

// TestDatesOfNothing: an empty date shows nothing, a value that is no ISO
// date is shown as it is (escaped), never as a zero date.
func TestDatesOfNothing(t *testing.T) {
	tr, err := NewI18n(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	l := tr.Localizer("de")
	var none *time.Time
	for _, tc := range []struct {
		in   any
		want template.HTML
	}{
		{"", ""},
		{none, ""},
		{time.Time{}, ""},
		{nil, ""},
		{"<b>soon</b>", "&lt;b&gt;soon&lt;/b&gt;"},
	} {
		if got := dateTag(l, tc.in); got != tc.want {
			t.Errorf("date %#v: %q, want %q", tc.in, got, tc.want)
		}
	}
}
