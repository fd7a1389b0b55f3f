package app_test

import (
	"context"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/models"
	"kurve/models/dbtest"
)

// caseloadWalk follows the caseload's next links from path and returns
// every case number shown, page by page, and the largest page in bytes.
func caseloadWalk(t *testing.T, s *scaleSite, ws *webSession, path string) (pages [][]string, ids []string, largest int) {
	t.Helper()
	for path != "" && len(pages) < 100 {
		body := readAll(t, s.web("GET", path, ws, nil))
		largest = max(largest, len(body))
		d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var page []string
		d.Find("#caseload tbody tr").Each(func(_ int, r *goquery.Selection) {
			page = append(page, strings.TrimSpace(r.Find(".case-link").Text()))
			id, _ := r.Attr("data-id")
			ids = append(ids, id)
		})
		pages = append(pages, page)
		path, _ = d.Find("#caseload-next").Attr("href")
	}
	return pages, ids, largest
}

// TestCaseloadPagesAtScale walks the coordinator's caseload at a site of
// about 1,000 participants: pages of 50 in case-number order, each case
// once, each page small; the attention filter lists exactly the cases the
// consent rule flags (checked case by case the slow way); the social-worker
// filter exactly that worker's current cases; and the start page's lists
// stay short, with a link to the filtered caseload.
func TestCaseloadPagesAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a synthetic data set")
	}
	s := newScaleSite(t, 5000)
	coord := s.signIn(models.RoleCoordinator)

	pages, _, largest := caseloadWalk(t, s, &coord, "/participants")
	var all []string
	for i, p := range pages {
		if len(p) != 50 && i != len(pages)-1 || len(p) == 0 {
			t.Fatalf("page %d has %d cases", i+1, len(p))
		}
		all = append(all, p...)
	}
	if !sort.StringsAreSorted(all) {
		t.Error("the caseload is not in case-number order")
	}
	var siteCases int
	s.db.Gorm.Raw(`SELECT count(*) FROM prevention.participants p JOIN org.sites s ON s.id = p.site_id
		WHERE s.code = 'GE' AND p.erased_at IS NULL`).Scan(&siteCases)
	if len(all) != siteCases || len(pages) < 10 {
		t.Errorf("the pages show %d cases, the site has %d", len(all), siteCases)
	}
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Errorf("case %s shown twice", all[i])
		}
	}
	if largest > 100_000 {
		t.Errorf("a caseload page is %d bytes, more than 100 KB", largest)
	}

	// The consent filter, against the consent rule applied case by case.
	_, flagged, _ := caseloadWalk(t, s, &coord, "/participants?attention=consent_missing")
	want := s.missingConsentOneByOne(t)
	sort.Strings(flagged)
	if strings.Join(flagged, ",") != strings.Join(want, ",") || len(want) == 0 {
		t.Errorf("consent filter: %d cases, the rule flags %d", len(flagged), len(want))
	}
	home := readAll(t, s.web("GET", "/", &coord, nil))
	d, err := goquery.NewDocumentFromReader(strings.NewReader(home))
	if err != nil {
		t.Fatal(err)
	}
	// The start page stays small: at most 10 lines per list, visits too
	// (the site has dozens a day).
	t.Logf("start page: %d bytes, %d visits today, %d later this week", len(home),
		d.Find("#dash-visits-today li").Length(), d.Find("#dash-visits-week li").Length())
	if len(home) > 100_000 {
		t.Errorf("the coordinator's start page is %d bytes", len(home))
	}
	for _, list := range []string{"#dash-visits-today", "#dash-visits-week", "#dash-reviews-list", "#dash-consent-expiring", "#dash-ending-list", "#dash-needs-worker-list"} {
		if n := d.Find(list + " li").Length(); n > 10 {
			t.Errorf("%s lists %d lines", list, n)
		}
	}
	if d.Find("#dash-visits-week li").Length() == 10 && d.Find("#dash-visits-week-more").Length() != 1 {
		t.Error("a cut list of visits says nothing of the rest")
	}
	if n := d.Find("#dash-consent-missing li").Length(); n != min(10, len(want)) {
		t.Errorf("start page lists %d cases missing consent, want %d", n, min(10, len(want)))
	}
	if len(want) > 10 {
		more, _ := d.Find("#dash-consent-missing-more").Attr("href")
		if more != "/participants?attention=consent_missing" || !strings.Contains(d.Find("#dash-consent-missing-more").Text(), "+") {
			t.Errorf("start page: link to the rest %q", more)
		}
	}

	// The social-worker filter, against the assignments.
	var worker string
	s.db.Gorm.Raw(`SELECT id FROM org.users WHERE email = ?`, s.logins[models.RoleSocialWorker]).Scan(&worker)
	_, theirs, _ := caseloadWalk(t, s, &coord, "/participants?"+url.Values{"worker": {worker}}.Encode())
	var assigned []string
	s.db.Gorm.Raw(`SELECT participant_id FROM prevention.assignments WHERE user_id = ? AND kind = 'social_worker'
		AND from_on <= current_date AND (until_on IS NULL OR until_on >= current_date) ORDER BY 1`, worker).Scan(&assigned)
	sort.Strings(theirs)
	if strings.Join(theirs, ",") != strings.Join(assigned, ",") || len(assigned) == 0 {
		t.Errorf("worker filter: %d cases, %d assigned", len(theirs), len(assigned))
	}
	// The social worker's own caseload is theirs only, also when they ask
	// for another worker's.
	sw := s.signIn(models.RoleSocialWorker)
	_, own, _ := caseloadWalk(t, s, &sw, "/participants?worker=00000000-0000-0000-0000-000000000000")
	sort.Strings(own)
	var ownOpenOrNot []string
	s.db.Gorm.Raw(`SELECT participant_id FROM prevention.assignments WHERE user_id = ? AND kind = 'social_worker'
		AND from_on <= current_date AND (until_on IS NULL OR until_on >= current_date) ORDER BY 1`, worker).Scan(&ownOpenOrNot)
	if strings.Join(own, ",") != strings.Join(ownOpenOrNot, ",") {
		t.Errorf("social worker's caseload: %d cases, %d assigned", len(own), len(ownOpenOrNot))
	}
}

// missingConsentOneByOne applies the consent rule to each consent-pending
// and active case of the coordinator's site the way the case page does,
// one case at a time, and returns the ids it flags, sorted.
func (s *scaleSite) missingConsentOneByOne(t *testing.T) []string {
	t.Helper()
	var actor models.Actor
	s.db.Gorm.Raw(`SELECT id AS user_id, site_id, role FROM org.users WHERE email = ?`, s.logins[models.RoleCoordinator]).Scan(&actor)
	actor.Today = models.ProgramDay(s.now())
	key, _ := models.ParseDataKey(dbtest.SyntheticDataKey())
	cipher, _ := models.NewCipher(key)
	var out []string
	err := models.InTx(context.Background(), s.db.Gorm, models.DBPrevention, actor, func(st *models.Store) error {
		st.UseCipher(cipher)
		ps, err := st.Participants(models.ParticipantFilter{})
		if err != nil {
			return err
		}
		for i := range ps {
			if ps[i].Status != models.StatusActive && ps[i].Status != models.StatusConsentPending {
				continue
			}
			m, err := st.MissingConsent(&ps[i], actor.Today)
			if err != nil {
				return err
			}
			if len(m) > 0 {
				out = append(out, ps[i].ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}
