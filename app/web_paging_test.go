package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// The web lists that page like the API (issue 15): the week agenda of
// visits and the coordinator's intake queue show 50 rows, a plain "Weiter"
// link carries the cursor and the filters to the rest.

// webPages follows the pages' next links (selector next) from path and
// returns the rows' data-id in order, and the pages' hrefs.
func webPages(t *testing.T, h *harness, ws *webSession, path, rows, next string) ([]string, []string) {
	t.Helper()
	var ids, hrefs []string
	for pages := 0; path != ""; pages++ {
		if pages > 10 {
			t.Fatalf("more than 10 pages from %s", path)
		}
		d := rfGet(t, h, ws, path, http.StatusOK)
		d.Find(rows).Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-id", "")) })
		path = ""
		if a := d.Find(next); a.Length() > 0 {
			path = a.AttrOr("href", "")
			hrefs = append(hrefs, path)
			if a.AttrOr("rel", "") != "next" || strings.TrimSpace(a.Text()) != "Weiter" {
				t.Errorf("next link %q %q", a.AttrOr("rel", ""), a.Text())
			}
		}
	}
	return ids, hrefs
}

func TestAgendaPaged(t *testing.T) {
	h, ids := vsSetup(t)
	med := h.token(models.RoleMediator)
	// The week after next: eight visits a day, 56 in all.
	monday := testToday().AddDate(0, 0, 14)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	for d := range 7 {
		for hour := range 8 {
			at := func(m int) string {
				return time.Date(monday.Year(), monday.Month(), monday.Day()+d, 8+hour, m, 0, 0, berlin).Format(time.RFC3339)
			}
			expect(t, h.api("POST", "/api/v1/visits", med, fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":"follow_up"}`,
				ids[(d+hour)%2], at(0), at(45))), 201).Body.Close()
		}
	}
	var site string
	h.db.Gorm.Raw("SELECT site_id::text FROM org.users WHERE email = ?", h.logins[models.RoleCoordinator]).Scan(&site)
	want := ownerIDs(t, h, `SELECT v.id::text FROM prevention.visits v JOIN prevention.participants p ON p.id = v.participant_id
		WHERE p.site_id = ? AND v.starts_at >= ? AND v.starts_at < ? ORDER BY v.starts_at, v.id`, site, monday, monday.AddDate(0, 0, 7))
	week := monday.Format(time.DateOnly)
	coord := h.signIn(models.RoleCoordinator)

	first := rfGet(t, h, &coord, "/visits?week="+week, http.StatusOK)
	if n := first.Find("li.agenda-visit").Length(); n != 50 {
		t.Errorf("first page shows %d visits, want 50", n)
	}
	if first.Find("#agenda-first").Length() != 0 {
		t.Error("the first page links to the first page")
	}
	got, hrefs := webPages(t, h, &coord, "/visits?week="+week, "li.agenda-visit", "a#agenda-more")
	if !slices.Equal(got, want) || len(hrefs) != 1 {
		t.Errorf("agenda pages %d visits in %d pages, want %d in 2", len(got), len(hrefs)+1, len(want))
	}
	if u, _ := url.Parse(hrefs[0]); u.Path != "/visits" || u.Query().Get("week") != week || u.Query().Get("cursor") == "" {
		t.Errorf("next link %q", hrefs[0])
	}
	second := rfGet(t, h, &coord, hrefs[0], http.StatusOK)
	if second.Find("a#agenda-first").AttrOr("href", "") != "/visits?week="+week {
		t.Errorf("link to the first page %q", second.Find("a#agenda-first").AttrOr("href", ""))
	}

	// The status filter: one cancelled visit; the week links keep it.
	h.db.Gorm.Exec("UPDATE prevention.visits SET status = 'cancelled' WHERE id = ?", want[3])
	d := rfGet(t, h, &coord, "/visits?week="+week+"&status=cancelled", http.StatusOK)
	var shown []string
	d.Find("li.agenda-visit").Each(func(_ int, s *goquery.Selection) { shown = append(shown, s.AttrOr("data-id", "")) })
	if !slices.Equal(shown, []string{want[3]}) || d.Find("a#agenda-more").Length() != 0 {
		t.Errorf("cancelled visits %v", shown)
	}
	if d.Find(`#agenda-status option[value="cancelled"][selected]`).Length() != 1 ||
		!strings.Contains(d.Find("#agenda-next").AttrOr("href", ""), "status=cancelled") {
		t.Errorf("filter not kept: %q", d.Find("#agenda-next").AttrOr("href", ""))
	}
	planned, _ := webPages(t, h, &coord, "/visits?week="+week+"&status=planned", "li.agenda-visit", "a#agenda-more")
	if len(planned) != len(want)-1 || slices.Contains(planned, want[3]) {
		t.Errorf("%d planned visits of %d", len(planned), len(want))
	}

	// A cursor the server did not make: 422 with the reason, no visits.
	bad := rfGet(t, h, &coord, "/visits?week="+week+"&cursor=kaputt", http.StatusUnprocessableEntity)
	if bad.Find("#agenda-alert").Length() != 1 || bad.Find("li.agenda-visit").Length() != 0 {
		t.Error("bad cursor page")
	}
	rfGet(t, h, &coord, "/visits?status=vielleicht", http.StatusUnprocessableEntity)
}

func TestIntakeQueuePaged(t *testing.T) {
	h := newHarness(t, app.Config{})
	police := h.token(models.RolePoliceLiaison)
	for i := range 53 {
		body := referralBody(fmt.Sprintf("Kind%02d", i), fmt.Sprintf("KK-WP-%d", i))
		if i%10 == 0 {
			body = strings.Replace(body, `"violence"`, `"property"`, 1)
		}
		expect(t, h.api("POST", "/api/v1/referrals", police, body), 201).Body.Close()
	}
	var site string
	h.db.Gorm.Raw("SELECT site_id::text FROM org.users WHERE email = ?", h.logins[models.RoleCoordinator]).Scan(&site)
	queue := func(reason string) []string {
		return ownerIDs(t, h, `SELECT r.id::text FROM enforcement.referrals r WHERE r.site_id = ? AND (? = '' OR r.reason_category = ?)
			AND NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id) ORDER BY r.created_at, r.id`, site, reason, reason)
	}
	coord := h.signIn(models.RoleCoordinator)
	first := rfGet(t, h, &coord, "/intake", http.StatusOK)
	if n := first.Find("#intake tr.intake-row").Length(); n != 50 {
		t.Errorf("first page shows %d referrals, want 50", n)
	}
	got, hrefs := webPages(t, h, &coord, "/intake", "#intake tr.intake-row", "a#intake-more")
	if want := queue(""); !slices.Equal(got, want) || len(hrefs) != 1 {
		t.Errorf("queue pages %d referrals in %d pages, want %d in 2", len(got), len(hrefs)+1, len(want))
	}
	if rfGet(t, h, &coord, hrefs[0], http.StatusOK).Find("a#intake-first").AttrOr("href", "") != "/intake" {
		t.Error("no link back to the first page")
	}
	// The reason filter, two a page: the next link keeps it.
	got, hrefs = webPages(t, h, &coord, "/intake?reason=property&limit=2", "#intake tr.intake-row", "a#intake-more")
	if want := queue("property"); !slices.Equal(got, want) || len(want) < 5 {
		t.Errorf("property referrals %v, want %v", got, want)
	}
	for _, href := range hrefs {
		if u, _ := url.Parse(href); u.Query().Get("reason") != "property" || u.Query().Get("limit") != "2" {
			t.Errorf("next link %q drops the filter", href)
		}
	}
	if d := rfGet(t, h, &coord, "/intake?reason=property", http.StatusOK); d.Find(`#intake-reason option[value="property"][selected]`).Length() != 1 {
		t.Error("reason filter not shown as chosen")
	}
	if d := rfGet(t, h, &coord, "/intake?cursor=kaputt", http.StatusUnprocessableEntity); d.Find("#intake-alert").Length() != 1 {
		t.Error("bad cursor without an alert")
	}
}
