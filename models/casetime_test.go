package models_test

import (
	"testing"
	"time"

	"kurve/models"
)

func d(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestReviewDue(t *testing.T) {
	cases := []struct {
		name       string
		status     models.Status
		activated  *time.Time
		lastReview *time.Time
		want       *time.Time
	}{
		{"active, no review yet: 8 weeks after activation", models.StatusActive, d("2026-03-02"), nil, d("2026-04-27")},
		{"after a review: 8 weeks after it", models.StatusActive, d("2026-03-02"), d("2026-04-20"), d("2026-06-15")},
		{"review before activation does not count", models.StatusActive, d("2026-03-02"), d("2026-02-20"), d("2026-04-27")},
		{"review on the activation day", models.StatusActive, d("2026-03-02"), d("2026-03-02"), d("2026-04-27")},
		{"across the year end", models.StatusActive, d("2026-11-20"), nil, d("2027-01-15")},
		{"leap year February", models.StatusActive, d("2028-01-10"), nil, d("2028-03-06")},
		{"not active: no review due", models.StatusConsentPending, d("2026-03-02"), nil, nil},
		{"completed: no review due", models.StatusCompleted, d("2026-03-02"), d("2026-04-01"), nil},
		{"active without activation date", models.StatusActive, nil, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := models.ReviewDue(tc.status, tc.activated, tc.lastReview)
			if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
				t.Fatalf("due %v, want %v", got, tc.want)
			}
		})
	}
	due := d("2026-04-27")
	for day, want := range map[string]bool{"2026-04-26": false, "2026-04-27": false, "2026-04-28": true} {
		if got := models.ReviewOverdue(due, *d(day)); got != want {
			t.Errorf("overdue on %s: %v, want %v", day, got, want)
		}
	}
	if models.ReviewOverdue(nil, *d("2030-01-01")) {
		t.Error("no due date cannot be overdue")
	}
}

func TestProgramEnd(t *testing.T) {
	cases := []struct {
		activated  *time.Time
		extensions int
		want       *time.Time
	}{
		{d("2026-03-02"), 0, d("2027-03-01")},
		{d("2026-03-02"), 1, d("2027-09-01")},
		{d("2026-03-02"), 2, d("2028-03-01")},
		{d("2026-01-01"), 0, d("2026-12-31")},
		{nil, 3, nil},
	}
	for _, tc := range cases {
		got := models.ProgramEnd(tc.activated, tc.extensions)
		if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
			t.Errorf("ProgramEnd(%v, %d) = %v, want %v", tc.activated, tc.extensions, got, tc.want)
		}
	}
	end := d("2027-03-01")
	for day, want := range map[string]bool{"2027-01-29": false, "2027-01-30": true, "2027-03-01": true, "2027-04-01": true} {
		if got := models.ProgramEndingSoon(models.StatusActive, end, *d(day)); got != want {
			t.Errorf("ending soon on %s: %v, want %v", day, got, want)
		}
	}
	if models.ProgramEndingSoon(models.StatusCompleted, end, *d("2027-03-01")) {
		t.Error("completed participant flagged")
	}
}
