package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// referral submits a referral as the police liaison and returns its id.
func (h *harness) referral(first, last, dob, guardian, phone string) string {
	h.t.Helper()
	body := fmt.Sprintf(`{"first_name":%q,"last_name":%q,"date_of_birth":%q,"gender":"male","site":"ES","reason_category":"property",
		"police_reference":%q,"guardian_name":%q,"guardian_phone":%q}`, first, last, dob, "PP-"+first+last, guardian, phone)
	return decode[map[string]any](h.t, expect(h.t, h.api("POST", "/api/v1/referrals", h.token(models.RolePoliceLiaison), body), 201))["id"].(string)
}

// TestIntakeMatchesAndSearch: a child is referred, taken in and assigned;
// the coordinator finds it by name, spelled otherwise, through the API
// and the caseload's search box; a second referral of the child is
// offered its case and attached there through the intake page; a
// sibling's referral goes into the family through the API. A social
// worker without the case finds nothing; a search too long is a
// localised 422.
func TestIntakeMatchesAndSearch(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord, sw := h.token(models.RoleCoordinator), h.token(models.RoleSocialWorker)
	first := h.referral("Mohammed", "Öztürk", "2014-05-06", "Ayşe Öztürk", "0201 7778889")
	child := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals/"+first+"/accept", coord, ""), 201))
	cid, fid := child["id"].(string), child["family_id"].(string)

	// Search, in the API: name words in any order and spelling.
	for q, want := range map[string]int{"Muhammad Ozturk": 1, "öztürk": 1, "Mehmet": 1, "Ozturk 06.05.2014": 1, "Ozturk 2014-05-07": 0,
		child["case_number"].(string): 1, "Meier": 0} {
		got := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/participants?q="+url.QueryEscape(q), coord, ""), 200))
		if len(got) != want || want == 1 && got[0]["id"] != cid {
			t.Errorf("search %q: %v", q, got)
		}
	}
	if got := decode[[]map[string]any](t, h.api("GET", "/api/v1/participants?q=Ozturk", sw, "")); len(got) != 0 {
		t.Errorf("a social worker without the case finds it: %v", got)
	}
	p := problem(t, expect(t, h.api("GET", "/api/v1/participants?q="+strings.Repeat("x", 101), coord, "", "Accept-Language", "en"), 422))
	if len(p.Errors) != 1 || p.Errors[0].Field != "q" {
		t.Errorf("long search: %+v", p)
	}
	// The search is audited as a list, without the term.
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = 'participant.list' AND details ? 'search'
		AND details::text NOT ILIKE '%ozturk%'`); n < 5 {
		t.Errorf("%d searches audited", n)
	}
	// The caseload's search box.
	cs := h.signIn(models.RoleCoordinator)
	d := doc(t, h.web("GET", "/participants?q="+url.QueryEscape("Mohamad  OZTÜRK"), &cs, nil))
	if rows := d.Find("#caseload tbody tr"); rows.Length() != 1 || rows.AttrOr("data-id", "") != cid {
		t.Errorf("caseload search: %d rows", rows.Length())
	}
	if v := d.Find("#caseload-q").AttrOr("value", ""); v != "Mohamad  OZTÜRK" {
		t.Errorf("search box keeps %q", v)
	}
	resp := h.web("GET", "/participants?q="+url.QueryEscape("1.1.2014 2.2.2014"), &cs, nil)
	if d := doc(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || d.Find("#caseload-q-error").Length() != 1 {
		t.Errorf("two dates: %d", resp.StatusCode)
	}

	// A second referral of the child: the intake page offers the case,
	// and taking it there makes no second case.
	again := h.referral("Muhammed", "Ozturk", "2014-05-06", "Ayse Öztürk", "")
	m := decode[map[string][]map[string]any](t, expect(t, h.api("GET", "/api/v1/referrals/"+again+"/matches", coord, ""), 200))
	if len(m["participants"]) != 1 || m["participants"][0]["id"] != cid || len(m["families"]) != 1 || m["families"][0]["id"] != fid {
		t.Errorf("matches %v", m)
	}
	d = doc(t, h.web("GET", "/intake/"+again, &cs, nil))
	if d.Find(`#intake-targets input[value="case:`+cid+`"]`).Length() != 1 || d.Find(`#intake-targets input[value="family:`+fid+`"]`).Length() != 1 ||
		d.Find(`#intake-targets input[value="new"][checked]`).Length() != 1 {
		t.Errorf("intake targets: %s", d.Find("#intake-targets").Text())
	}
	resp = h.web("POST", "/intake/"+again+"/accept", &cs, url.Values{"target": {"case:" + cid}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/participants/"+cid {
		t.Fatalf("attach: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := h.count("SELECT count(*) FROM prevention.participants"); n != 1 {
		t.Errorf("%d cases after a re-referral", n)
	}
	d = doc(t, h.web("GET", "/participants/"+cid, &cs, nil))
	if kinds := d.Find("#case-referrals li").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-kind", "") }); !slices.Equal(kinds, []string{"new_case", "re_referral"}) {
		t.Errorf("case referrals %v", kinds)
	}
	if n := d.Find("#case-guardians tr.guardian").Length(); n != 1 {
		t.Errorf("%d guardians after the re-referral (the same mother)", n)
	}

	// A sibling, through the API, into the family; the mother is linked,
	// custody to confirm; confirming it takes her as the mother.
	sib := h.referral("Elif", "Öztürk", "2016-09-01", "Ayşe Öztürk", "+49 201 7778889")
	m = decode[map[string][]map[string]any](t, expect(t, h.api("GET", "/api/v1/referrals/"+sib+"/matches", coord, ""), 200))
	if len(m["participants"]) != 0 || len(m["families"]) != 1 || fmt.Sprint(m["families"][0]["reasons"]) != "[guardian_name phone]" {
		t.Errorf("sibling matches %v", m)
	}
	expect(t, h.api("POST", "/api/v1/referrals/"+sib+"/accept", coord, `{"participant_id":"`+cid+`","family_id":"`+fid+`"}`), 422).Body.Close()
	s := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals/"+sib+"/accept", coord, `{"family_id":"`+fid+`"}`), 201))
	if s["family_id"] != fid || s["intake"] != "sibling" {
		t.Errorf("sibling %v", s)
	}
	gs := decode[[]map[string]any](t, h.api("GET", "/api/v1/participants/"+s["id"].(string)+"/guardians", coord, ""))
	if len(gs) != 1 || gs[0]["custody_confirmed"] != false {
		t.Fatalf("sibling's guardians %v", gs)
	}
	path := "/api/v1/participants/" + s["id"].(string) + "/guardians/" + gs[0]["id"].(string) + "/custody"
	expect(t, h.api("POST", path, coord, `{"relationship":"aunt","has_custody":true}`), 422).Body.Close()
	g := decode[map[string]any](t, expect(t, h.api("POST", path, coord, `{"relationship":"mother","has_custody":true}`), 200))
	if g["custody_confirmed"] != true || g["relationship"] != "mother" {
		t.Errorf("confirmed %v", g)
	}
	expect(t, h.api("POST", path, sw, `{"relationship":"mother","has_custody":true}`), 404).Body.Close()
	if n := auditCount(t, h, models.AuditGuardianCustody); n != 1 {
		t.Errorf("custody confirmation audited %d times", n)
	}
	// Only coordinators see matches.
	third := h.referral("Omar", "Öztürk", "2015-01-01", "", "")
	for _, role := range []models.Role{models.RoleSocialWorker, models.RolePoliceLiaison, models.RoleMediator} {
		expect(t, h.api("GET", "/api/v1/referrals/"+third+"/matches", h.token(role), ""), 403).Body.Close()
	}
}
