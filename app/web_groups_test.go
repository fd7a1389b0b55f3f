package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"kurve/models"
)

// Groups for sessions (issue 15): the groups pages and the session form
// that offers a group instead of the whole site.

// grCreate creates a group through the form and returns its id.
func grCreate(t *testing.T, h *harness, ws *webSession, name string) string {
	t.Helper()
	resp := h.web("POST", "/groups", ws, url.Values{"name": {name}})
	resp.Body.Close()
	id, ok := strings.CutPrefix(resp.Header.Get("Location"), "/groups/")
	if resp.StatusCode != http.StatusSeeOther || !ok {
		t.Fatalf("create group %q: %d to %q", name, resp.StatusCode, resp.Header.Get("Location"))
	}
	return id
}

// grMembers lists the member ids a group page shows.
func grMembers(d *goquery.Document) map[string]bool {
	out := map[string]bool{}
	d.Find("#group-members-list li.member").Each(func(_ int, s *goquery.Selection) { out[s.AttrOr("data-id", "")] = true })
	return out
}

func TestGroupPages(t *testing.T) {
	h, active := snSetup(t)
	coord, sw, med := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker), h.signIn(models.RoleMediator)

	// The list is linked from the navigation and holds the demo groups.
	d := snGet(t, h, &coord, "/groups", http.StatusOK)
	if d.Find(`a#nav-groups[aria-current="page"]`).Length() != 1 || d.Find("li.group-item").Length() != 2 ||
		!strings.Contains(d.Find("#group-list").Text(), "Dienstagsgruppe") {
		t.Errorf("groups page: no current navigation link or not the demo groups: %q", d.Find("main").Text())
	}
	snGet(t, h, &med, "/groups", http.StatusForbidden)

	// Create; a double tap (same submission key) creates one group.
	form := url.Values{"name": {"  Mittwochsgruppe "}, "_submission": {"grp-create-1"}}
	first := h.web("POST", "/groups", &coord, form)
	first.Body.Close()
	again := h.web("POST", "/groups", &coord, url.Values{"name": {"  Mittwochsgruppe "}, "_submission": {"grp-create-1"}})
	again.Body.Close()
	if first.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != first.Header.Get("Location") {
		t.Fatalf("create: %d to %q, again %d to %q", first.StatusCode, first.Header.Get("Location"), again.StatusCode, again.Header.Get("Location"))
	}
	id := strings.TrimPrefix(first.Header.Get("Location"), "/groups/")
	if n := snCount(t, h, "SELECT count(*) FROM prevention.groups WHERE name = 'Mittwochsgruppe'"); n != 1 {
		t.Fatalf("%d groups stored, want 1", n)
	}
	if auditCount(t, h, models.AuditGroupCreate) != 1 {
		t.Error("creation not audited once")
	}
	// Refused names come back on the form, localised, never as a 500.
	for name, want := range map[string]string{"mittwochsgruppe": "gibt es an Ihrem Standort schon", "DIENSTAGSGRUPPE": "gibt es an Ihrem Standort schon", " ": "Bitte füllen", strings.Repeat("x", 81): "höchstens 80"} {
		d := snPost(t, h, &coord, "/groups", url.Values{"name": {name}}, http.StatusUnprocessableEntity)
		if !strings.Contains(d.Find("#name-error").Text(), want) || d.Find(`#name[aria-invalid="true"]`).Length() != 1 {
			t.Errorf("name %q: error %q, want %q", name, d.Find("#name-error").Text(), want)
		}
	}

	// Add children found by case number; the search lists open cases only.
	cn0, cn1 := snCaseNumber(t, h, active[0]), snCaseNumber(t, h, active[1])
	d = snGet(t, h, &coord, "/groups/"+id+"?q="+url.QueryEscape(strings.ToLower(cn0)), http.StatusOK)
	if d.Find(`#group-found input[value="`+active[0]+`"]`).Length() != 1 || d.Find("#group-found li").Length() != 1 {
		t.Errorf("search for %s lists %q", cn0, d.Find("#group-found").Text())
	}
	if d.Find("#group-caseload").Length() != 0 {
		t.Error("the coordinator is offered a caseload")
	}
	snPost(t, h, &coord, "/groups/"+id+"/members", url.Values{"participant_ids": {active[0], active[1], "garbled"}}, http.StatusSeeOther)
	if d := snPost(t, h, &coord, "/groups/"+id+"/members", url.Values{}, http.StatusUnprocessableEntity); d.Find("#participant_ids-error").Length() != 1 {
		t.Error("adding nobody: no form error")
	}
	d = snGet(t, h, &coord, "/groups/"+id, http.StatusOK)
	if m := grMembers(d); !m[active[0]] || !m[active[1]] || len(m) != 2 {
		t.Errorf("members %v", m)
	}
	if !strings.Contains(d.Find(".flash").Text(), "hinzugefügt") || d.Find(`a#group-record-session[href="/sessions/new?group=`+id+`"]`).Length() != 1 {
		t.Errorf("flash %q or the link to record a session missing", d.Find(".flash").Text())
	}
	if auditCount(t, h, models.AuditGroupMembers) != 1 || auditCount(t, h, models.AuditGroupRead) < 2 {
		t.Error("member changes or group reads not audited")
	}
	// A member found again is not offered twice.
	if d := snGet(t, h, &coord, "/groups/"+id+"?q="+url.QueryEscape(cn1), http.StatusOK); d.Find("#group-found").Length() != 0 {
		t.Error("a member is offered to be added again")
	}

	// The social worker: the group with their cases, their caseload to add
	// from, but neither rename nor archive of the coordinator's group.
	d = snGet(t, h, &sw, "/groups/"+id, http.StatusOK)
	if len(grMembers(d)) != 2 || d.Find("#group-caseload").Length() != 1 || d.Find("#group-settings").Length() != 0 {
		t.Errorf("social worker's view: members %v, caseload %d, settings %d", grMembers(d), d.Find("#group-caseload").Length(), d.Find("#group-settings").Length())
	}
	snPost(t, h, &sw, "/groups/"+id, url.Values{"name": {"Übernommen"}}, http.StatusForbidden)
	snPost(t, h, &sw, "/groups/"+id+"/archive", url.Values{}, http.StatusForbidden)
	snGet(t, h, &sw, "/groups/not-a-group", http.StatusNotFound)

	// Rename (a taken name is refused on the form), remove, archive.
	other := grCreate(t, h, &coord, "Freitagsgruppe")
	if d := snPost(t, h, &coord, "/groups/"+other, url.Values{"name": {"MITTWOCHSGRUPPE"}}, http.StatusUnprocessableEntity); d.Find("#name-error").Length() != 1 ||
		d.Find("#name").AttrOr("value", "") != "MITTWOCHSGRUPPE" {
		t.Error("taken name on rename: no form error or the typed name lost")
	}
	snPost(t, h, &coord, "/groups/"+other, url.Values{"name": {"Freitag 16 Uhr"}}, http.StatusSeeOther)
	snPost(t, h, &coord, "/groups/"+id+"/members/"+active[1]+"/remove", url.Values{}, http.StatusSeeOther)
	snPost(t, h, &coord, "/groups/"+id+"/members/"+active[1]+"/remove", url.Values{}, http.StatusNotFound)
	if m := grMembers(snGet(t, h, &coord, "/groups/"+id, http.StatusOK)); len(m) != 1 || !m[active[0]] {
		t.Errorf("members after removal %v", m)
	}
	snPost(t, h, &coord, "/groups/"+other+"/archive", url.Values{}, http.StatusSeeOther)
	d = snGet(t, h, &coord, "/groups", http.StatusOK)
	if d.Find(`li.group-item[data-id="`+other+`"]`).Length() != 0 || d.Find(`li.group-item[data-id="`+id+`"]`).Length() != 1 {
		t.Error("the archived group is still listed, or the other one is not")
	}
	if d := snGet(t, h, &coord, "/groups/"+other, http.StatusOK); d.Find("#group-archived").Length() != 1 || d.Find("#group-add, #group-settings").Length() != 0 {
		t.Error("an archived group still takes changes on its page")
	}
	snPost(t, h, &coord, "/groups/"+other+"/members", url.Values{"participant_ids": {active[0]}}, http.StatusConflict)
}

// countStatements counts the SQL statements run through db from now on.
func countStatements(t *testing.T, db *gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("test:count_query", count),
		cb.Row().After("gorm:row").Register("test:count_row", count),
		cb.Raw().After("gorm:raw").Register("test:count_raw", count),
		cb.Create().After("gorm:create").Register("test:count_create", count),
		cb.Update().After("gorm:update").Register("test:count_update", count),
		cb.Delete().After("gorm:delete").Register("test:count_delete", count),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &n
}

// TestSessionFormOffersGroups: at a site with hundreds of active children
// the coordinator's form lists none of them by itself; picking a group
// ticks its members, and the statements the form needs do not grow with
// the group. Saving from the form's defaults records attendance for each.
func TestSessionFormOffersGroups(t *testing.T) {
	h, active := snSetup(t)
	coord := h.signIn(models.RoleCoordinator)
	// Three hundred more active children whose names no key can open:
	// a page that decrypted any of them would fail.
	if err := h.db.Gorm.Exec(`INSERT INTO prevention.participants (id, site_id, case_number, status, family_id, first_name_enc,
			last_name_enc, date_of_birth_enc, birth_month, gender, activated_on)
		SELECT gen_random_uuid(), p.site_id, 'ES-2000-' || lpad(g::text, 4, '0'), 'active', p.family_id, 'v1:none:x', 'v1:none:x',
			'v1:none:x', p.birth_month, p.gender, p.activated_on
		FROM prevention.participants p, generate_series(1, 300) g WHERE p.id = ?`, active[0]).Error; err != nil {
		t.Fatal(err)
	}
	listed := func(d *goquery.Document) map[string]bool {
		out := map[string]bool{}
		d.Find(`input[name="participant_ids"]`).Each(func(_ int, s *goquery.Selection) {
			_, ticked := s.Attr("checked")
			out[s.AttrOr("value", "")] = ticked
		})
		return out
	}
	d := snGet(t, h, &coord, "/sessions/new", http.StatusOK)
	if got := listed(d); len(got) != 0 || d.Find("#session-no-participants").Length() != 1 || d.Find("#session-groups a.group-pick").Length() != 2 {
		t.Fatalf("the coordinator's form lists %d children of the site, or not the two demo groups", len(got))
	}
	// A search is bounded, and says so.
	if d := snGet(t, h, &coord, "/sessions/new?q=ES-2026", http.StatusOK); len(listed(d)) != len(active) || d.Find("#session-search-more").Length() != 0 {
		t.Errorf("search ES-2026 offers %d, want the %d active demo children", len(listed(d)), len(active))
	}

	one := grCreate(t, h, &coord, "Einzelgruppe")
	snPost(t, h, &coord, "/groups/"+one+"/members", url.Values{"participant_ids": {active[0]}}, http.StatusSeeOther)
	all := grCreate(t, h, &coord, "Alle Aktiven")
	snPost(t, h, &coord, "/groups/"+all+"/members", url.Values{"participant_ids": active}, http.StatusSeeOther)

	snGet(t, h, &coord, "/groups", http.StatusOK) // takes the flash, one statement more
	statements := countStatements(t, h.requests)
	formFor := func(group string) (*goquery.Document, int64) {
		before := statements.Load()
		d := snGet(t, h, &coord, "/sessions/new?group="+group, http.StatusOK)
		return d, statements.Load() - before
	}
	_, small := formFor(one)
	d, large := formFor(all)
	if small != large || small == 0 {
		t.Errorf("the form took %d statements for a group of 1 and %d for a group of %d", small, large, len(active))
	}
	got := listed(d)
	if len(got) != len(active) {
		t.Errorf("the group's form offers %d children, want its %d members", len(got), len(active))
	}
	for _, id := range active {
		if !got[id] {
			t.Errorf("member %s not ticked", id)
		}
	}
	if d.Find(`#session-groups a[aria-current][data-id="`+all+`"]`).Length() != 1 || d.Find(`input[type="hidden"][name="group"]`).Length() != 2 {
		t.Error("the picked group is not marked or not kept in the forms")
	}

	// Save straight from the defaults: a record for each member.
	att := map[string]string{}
	for _, id := range active {
		att[id] = "attended"
	}
	att[active[1]] = "absent"
	f := snSessionForm(t, d, att)
	f.Set("group", all)
	resp := h.web("POST", "/sessions", &coord, f)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	var sid string
	h.db.Gorm.Raw("SELECT id FROM prevention.sessions ORDER BY created_at DESC LIMIT 1").Scan(&sid)
	for id, want := range att {
		var a string
		h.db.Gorm.Raw("SELECT attendance FROM prevention.session_participants WHERE session_id = ? AND participant_id = ?", sid, id).Scan(&a)
		if a != want {
			t.Errorf("attendance of %s: %q, want %q", id, a, want)
		}
	}
	if n := snCount(t, h, "SELECT count(*) FROM prevention.session_participants WHERE session_id = ?", sid); n != int64(len(active)) {
		t.Errorf("%d children recorded, want the group's %d", n, len(active))
	}
}
