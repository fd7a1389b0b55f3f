package models_test

import (
	"strings"
	"testing"
	"time"

	"kurve/models"
)

// Pure unit tests of rules that the database tests reach only through a
// store (they also run in make mutate, where database tests skip).

// TestSessionExpiredAt: SPEC §9's idle timeout is 30 minutes — a session
// may lie idle for 30 minutes and ends once it has been idle for longer —
// and a session lives 12 hours at most (README, "Accounts and
// protection"), however busy.
func TestSessionExpiredAt(t *testing.T) {
	now := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		age, idle   time.Duration
		wantExpired bool
	}{
		{"just used", time.Hour, 0, false},
		{"idle 29 minutes", time.Hour, 29 * time.Minute, false},
		{"idle exactly 30 minutes", time.Hour, 30 * time.Minute, false},
		{"idle 30 minutes and a second", time.Hour, 30*time.Minute + time.Second, true},
		{"idle 31 minutes", time.Hour, 31 * time.Minute, true},
		{"busy, 11 hours old", 11 * time.Hour, time.Minute, false},
		{"busy, exactly 12 hours old", 12 * time.Hour, time.Minute, false},
		{"busy, 12 hours and a second old", 12*time.Hour + time.Second, time.Minute, true},
		{"busy, 13 hours old", 13 * time.Hour, 0, true},
	} {
		s := models.Session{CreatedAt: now.Add(-tc.age), LastSeenAt: now.Add(-tc.idle)}
		if got := s.ExpiredAt(now); got != tc.wantExpired {
			t.Errorf("%s: expired %v, want %v", tc.name, got, tc.wantExpired)
		}
	}
}

// TestPasswordLongEnough: SPEC §9 asks for at least 12 characters,
// counted as characters, not bytes.
func TestPasswordLongEnough(t *testing.T) {
	for _, tc := range []struct {
		password string
		ok       bool
	}{
		{"", false},
		{"elf-zeichen", false},              // 11
		{"zwölf-zeichn", true},              // 12, 13 bytes
		{"dreizehn-zch", true},              // 12
		{"dreizehn-zchn", true},             // 13
		{strings.Repeat("ä", 11), false},    // 11 characters, 22 bytes
		{strings.Repeat("ä", 12), true},     // 12 characters
		{strings.Repeat("مرحبا", 2), false}, // 10 characters, 20 bytes
	} {
		if got := models.PasswordLongEnough(tc.password); got != tc.ok {
			t.Errorf("%d characters (%d bytes): %v, want %v", len([]rune(tc.password)), len(tc.password), got, tc.ok)
		}
	}
}

// TestNeedsConfirmation: the ends of a case its staff cannot undo —
// declined, ended early, withdrawn (SPEC §3) — are set only after a
// confirmation; the steps of the main line are not.
func TestNeedsConfirmation(t *testing.T) {
	want := map[models.Status]bool{
		"referred": false, "contacted": false, "consent_pending": false, "active": false, "completed": false,
		"declined": true, "ended_early": true, "withdrawn": true, "": false, "closed": false,
	}
	for st, w := range want {
		if got := models.NeedsConfirmation(st); got != w {
			t.Errorf("NeedsConfirmation(%q) = %v, want %v", st, got, w)
		}
	}
}

// TestSuppressLinkedComplement: the complement SuppressLinked hides is the
// smallest shown non-zero part (the least information lost), a shown zero
// only when no non-zero part is left, the total last; and a shown zero
// total needs no complement (every part is zero).
func TestSuppressLinkedComplement(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []int // parts, then their total last
		k      int
		want   []bool
	}{
		{"smallest part, first in order", []int{6, 9, 2, 17}, 5, []bool{true, false, true, false}},
		{"smallest part, last in order", []int{9, 2, 6, 17}, 5, []bool{false, true, true, false}},
		{"smallest part in the middle", []int{2, 9, 6, 8, 25}, 5, []bool{true, false, true, false, false}},
		{"a non-zero part before a zero", []int{2, 0, 7, 9}, 5, []bool{true, false, true, false}},
		{"a zero before a non-zero part", []int{0, 2, 7, 9}, 5, []bool{false, true, true, false}},
		{"a zero after a non-zero part", []int{2, 7, 0, 9}, 5, []bool{true, true, false, false}},
		{"only a zero left: the zero", []int{0, models.Hidden, 7}, 5, []bool{true, true, false}},
		{"no part left: the total", []int{models.Hidden, 7}, 5, []bool{true, true}},
		{"k exactly: shown", []int{5, 9, 14}, 5, []bool{false, false, false}},
		{"k-1: hidden, with a complement", []int{4, 9, 13}, 5, []bool{true, true, false}},
		{"k below the minimum counts as 3: 2 hidden", []int{2, 9, 11}, 1, []bool{true, true, false}},
		{"k below the minimum counts as 3: 3 shown", []int{3, 9, 12}, 2, []bool{false, false, false}},
		{"k above the minimum is used: 3 hidden at k=4", []int{3, 9, 12}, 4, []bool{true, true, false}},
		{"already hidden: with a complement", []int{models.Hidden, 9, 7, 20}, 5, []bool{true, false, true, false}},
	} {
		rel := models.Relation{Total: len(tc.values) - 1}
		for i := 0; i < len(tc.values)-1; i++ {
			rel.Parts = append(rel.Parts, i)
		}
		got := models.SuppressLinked(tc.values, []models.Relation{rel}, tc.k)
		if !equalBools(got, tc.want) {
			t.Errorf("%s: %v hides %v, want %v", tc.name, tc.values, got, tc.want)
		}
	}
	// A shown zero total: its parts are zero, nothing to protect.
	if got := models.SuppressLinked([]int{0, 0, 0}, []models.Relation{{Total: 2, Parts: []int{0, 1}}}, 5); !equalBools(got, []bool{false, false, false}) {
		t.Errorf("zero table hides %v", got)
	}
	// A hidden total with every part shown would be their sum: a part is
	// hidden too.
	if got := models.SuppressLinked([]int{6, 9, models.Hidden}, []models.Relation{{Total: 2, Parts: []int{0, 1}}}, 5); !equalBools(got, []bool{true, false, true}) {
		t.Errorf("hidden total: %v", got)
	}
	// Two relations sharing a part: hiding a complement in one relation
	// can leave the other with a single hidden member, which then needs
	// its own complement (the loop runs until nothing changes).
	// values: a, b, a+b, c, d, b+c+d
	values := []int{2, 6, 8, 9, 10, 25}
	rels := []models.Relation{{Total: 2, Parts: []int{0, 1}}, {Total: 5, Parts: []int{1, 3, 4}}}
	if got := models.SuppressLinked(values, rels, 5); !equalBools(got, []bool{true, true, false, true, false, false}) {
		t.Errorf("chained complements: %v", got)
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
