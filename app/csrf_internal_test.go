package app

import "testing"

// TestCSRFMask: a masked token is another string on every call and is
// accepted for its session's token only; the token itself stays accepted
// (scripts send it as X-CSRF-Token); anything else is refused.
func TestCSRFMask(t *testing.T) {
	token, other := "nZNUJ7fpZq1KqjkgrsmbKgNgZ-0FeU1A1hiWpIazDLQ", "aZNUJ7fpZq1KqjkgrsmbKgNgZ-0FeU1A1hiWpIazDLQ"
	a, b := maskCSRF(token), maskCSRF(token)
	if a == b || a == token {
		t.Fatalf("masks repeat or show the token: %q %q", a, b)
	}
	for _, tc := range []struct {
		got, token string
		want       bool
	}{
		{a, token, true}, {b, token, true}, {token, token, true},
		{a, other, false}, {other, token, false}, {"", token, false}, {a, "", false},
		{a[:len(a)-2], token, false}, {a + "AA", token, false}, {"!!not base64!!", token, false},
	} {
		if got := csrfMatches(tc.got, tc.token); got != tc.want {
			t.Errorf("csrfMatches(%q, %q) = %v, want %v", tc.got, tc.token, got, tc.want)
		}
	}
}
