package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// TestUserTextIsolatedOnArabicPages: German text typed by staff keeps its
// punctuation on an Arabic page. Wherever a page shows it, it sits in a
// <bdi> or an element with a direction of its own (dir="auto" for notes),
// or, inside an <option> or a translated sentence, between the Unicode
// isolates; and the fields holding it take the direction of what is typed.
func TestUserTextIsolatedOnArabicPages(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord := h.signIn(models.RoleCoordinator)
	expect(t, h.web("POST", "/language", &coord, url.Values{"lang": {"ar"}, "next": {"/"}}), http.StatusSeeOther).Body.Close()

	note, school, address := "Treffen mit der Schule am Montag!", "Gesamtschule Nord.", "Lindenstraße 12."
	child, guardian := "Jana Krüger.", "Sabine Krüger!"
	id := wcCreate(t, h, &coord, wcParticipantForm("Jana", "Krüger.", "notes", note, "school", school, "address", address))
	expect(t, h.web("POST", "/participants/"+id+"/guardians", &coord, url.Values{"first_name": {"Sabine"}, "last_name": {"Krüger!"},
		"relationship": {"mother"}, "has_custody": {"1"}, "languages": {"de"}}), http.StatusSeeOther).Body.Close()

	d := wcPage(t, h, &coord, id, http.StatusOK)
	if dir := d.Find("html").AttrOr("dir", ""); dir != "rtl" {
		t.Fatalf("case page dir=%q, want rtl", dir)
	}
	if got := d.Find(`#case-notes p.notes[dir="auto"]`).Text(); got != note {
		t.Errorf("the note is not a block of its own direction: %q", got)
	}
	if got := d.Find("#case-guardians .guardian-name bdi").Text(); got != guardian {
		t.Errorf("guardian's name not in <bdi>: %q", got)
	}
	wantIsolated(t, "case page", d, map[string]int{note: 1, school: 1, address: 1, child: 1, guardian: 2})
	wantIsolated(t, "caseload", doc(t, h.web("GET", "/participants", &coord, nil)), map[string]int{child: 1})
	wantIsolated(t, "consent form", doc(t, h.web("GET", "/participants/"+id+"/consents/new", &coord, nil)), map[string]int{child: 1, guardian: 1})

	// The edit form types names and notes in their own direction.
	edit := doc(t, h.web("GET", "/participants/"+id+"/edit", &coord, nil))
	for _, sel := range []string{`input[name="first_name"]`, `input[name="last_name"]`, `input[name="school"]`, `textarea[name="notes"]`} {
		if dir := edit.Find(sel).AttrOr("dir", ""); dir != "auto" {
			t.Errorf("edit form: %s has dir=%q, want auto", sel, dir)
		}
	}
	for _, sel := range []string{`input[name="date_of_birth"]`} {
		if _, has := edit.Find(sel).Attr("dir"); has {
			t.Errorf("edit form: %s should keep the page's direction", sel)
		}
	}
}

const (
	fsi = "\u2068"
	pdi = "\u2069"
)

// wantIsolated checks each text of want on the page's main part: it shows
// at least the given number of times, each time isolated.
func wantIsolated(t *testing.T, page string, d *goquery.Document, want map[string]int) {
	t.Helper()
	seen := map[string]int{}
	d.Find("main *").Each(func(_ int, s *goquery.Selection) {
		own := ownText(s)
		for text := range want {
			if !strings.Contains(own, text) {
				continue
			}
			seen[text]++
			isolated := s.Closest("bdi, [dir]:not(html)").Length() > 0 || strings.Contains(own, fsi+text+pdi)
			if !isolated {
				html, _ := goquery.OuterHtml(s)
				t.Errorf("%s: %q not isolated in %s", page, text, html)
			}
		}
	})
	for text, n := range want {
		if seen[text] < n {
			t.Errorf("%s: %q shown %d times, want at least %d", page, text, seen[text], n)
		}
	}
}

// ownText is the text of an element's own text nodes, not its children's.
func ownText(s *goquery.Selection) string {
	var b strings.Builder
	s.Contents().Each(func(_ int, c *goquery.Selection) {
		if goquery.NodeName(c) == "#text" {
			b.WriteString(c.Text())
		}
	})
	return b.String()
}
