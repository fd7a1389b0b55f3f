package app_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"kurve/app"
	"kurve/models"
)

// Paging of the API's lists (issue 15, SPEC §11): each list walked through
// its Link headers in pages of two gives every row once, in the list's
// order as the database has it (ties of the sort key broken by id), with
// no Link on the last page; a bad limit or cursor is a 422 naming the
// field.

// pageIDs reads the ids of one page's rows.
type pageIDs func(t *testing.T, resp *http.Response) []string

// arrayIDs reads a page whose body is an array of objects with an id.
func arrayIDs(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var ids []string
	for _, x := range decode[[]map[string]any](t, resp) {
		ids = append(ids, x["id"].(string))
	}
	return ids
}

// reviewIDs reads a page of GET /participants/{id}/reviews, whose reviews
// come inside an object with the review timing.
func reviewIDs(t *testing.T, resp *http.Response) []string {
	t.Helper()
	var ids []string
	for _, x := range decode[struct {
		Reviews []map[string]any `json:"reviews"`
	}](t, resp).Reviews {
		ids = append(ids, x["id"].(string))
	}
	return ids
}

// walkPages follows the Link chain from first (a URL with limit=limit) and
// returns the ids of all pages in order. Every page but the last is full
// and links the next; the last links nothing.
func walkPages(t *testing.T, h *harness, tok, first string, limit int, ids pageIDs) []string {
	t.Helper()
	var all []string
	next := first
	for pages := 0; next != ""; pages++ {
		if pages > 50 {
			t.Fatalf("%s: more than 50 pages", first)
		}
		resp := expect(t, h.api("GET", next, tok, ""), 200)
		link := resp.Header.Get("Link")
		page := ids(t, resp)
		next = ""
		if link != "" {
			m := nextLinkRE.FindStringSubmatch(link)
			if m == nil || !strings.HasPrefix(m[1], "/api/v1/") {
				t.Fatalf("%s: Link %q", first, link)
			}
			next = m[1]
			if len(page) != limit {
				t.Errorf("%s: a page of %d rows links another", first, len(page))
			}
			if u, err := url.Parse(next); err != nil || u.Query().Get("limit") != fmt.Sprint(limit) || u.Query().Get("cursor") == "" {
				t.Errorf("%s: next page %q loses the limit or has no cursor", first, next)
			}
		}
		if len(page) > limit || (len(page) == 0 && pages > 0) {
			t.Fatalf("%s: page %d has %d rows", first, pages, len(page))
		}
		all = append(all, page...)
	}
	return all
}

// expectPages walks path in pages of two and compares with want, the ids
// in the list's order; the list must span several pages.
func expectPages(t *testing.T, h *harness, tok, path string, ids pageIDs, want []string) {
	t.Helper()
	if len(want) < 5 {
		t.Fatalf("%s: only %d rows to page through", path, len(want))
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	got := walkPages(t, h, tok, path+sep+"limit=2", 2, ids)
	if !slices.Equal(got, want) {
		t.Errorf("%s paged through\n%v\nwant\n%v", path, got, want)
	}
	// One page of them all carries no Link.
	resp := expect(t, h.api("GET", path+sep+"limit=500", tok, ""), 200)
	if l := resp.Header.Get("Link"); l != "" {
		t.Errorf("%s: the only page links %q", path, l)
	}
	if all := ids(t, resp); !slices.Equal(all, want) {
		t.Errorf("%s in one page: %v, want %v", path, all, want)
	}
}

// expectBadPaging: limit 0, 501 or not a number and a cursor the server
// did not make are each a 422 problem naming the field, in the user's
// language.
func expectBadPaging(t *testing.T, h *harness, tok, path string) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	alien := base64.RawURLEncoding.EncodeToString([]byte("1~2~3~4"))
	for query, field := range map[string]string{"limit=0": "limit", "limit=501": "limit", "limit=abc": "limit",
		"cursor=kaputt!": "cursor", "cursor=" + alien: "cursor", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("x~y")): "cursor"} {
		p := problem(t, expect(t, h.api("GET", path+sep+query, tok, "", "Accept-Language", "en"), 422))
		if len(p.Errors) != 1 || p.Errors[0].Field != field || strings.Contains(p.Errors[0].Message, "validation.") || p.Errors[0].Message == "" {
			t.Errorf("%s%s%s: %+v", path, sep, query, p)
		}
	}
}

// ownerIDs runs an id query as the owner (no row security): the
// expected rows and order.
func ownerIDs(t *testing.T, h *harness, query string, args ...any) []string {
	t.Helper()
	var ids []string
	if err := h.db.Gorm.Raw(query, args...).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestCaseListsPaged(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	coord := h.token(models.RoleCoordinator)
	p := demoIDs(t, h, models.StatusActive)[0]
	base := "/api/v1/participants/" + p

	// Goals, oldest first; five made at one instant come by id.
	for i := range 5 {
		expect(t, h.api("POST", base+"/goals", coord, fmt.Sprintf(`{"title":"Ziel %d"}`, i)), 201).Body.Close()
	}
	h.db.Gorm.Exec("UPDATE prevention.goals SET created_at = '2026-01-05 10:00+01' WHERE participant_id = ?", p)
	expectPages(t, h, coord, base+"/goals", arrayIDs,
		ownerIDs(t, h, "SELECT id::text FROM prevention.goals WHERE participant_id = ? ORDER BY created_at, id", p))
	expectBadPaging(t, h, coord, base+"/goals")

	// Reviews, newest first by day and by when recorded; two recorded at
	// one instant come by id.
	for _, day := range []int{0, 0, 0, -1, -1, -2} {
		expect(t, h.api("POST", base+"/reviews", coord, fmt.Sprintf(`{"held_on":%q,"notes":"Besprechung"}`, testDate(day))), 201).Body.Close()
	}
	h.db.Gorm.Exec(`UPDATE prevention.reviews SET created_at = '2026-01-05 10:00+01'
		WHERE id IN (SELECT id FROM prevention.reviews WHERE participant_id = ? AND held_on = ? LIMIT 2)`, p, testDate(0))
	expectPages(t, h, coord, base+"/reviews", reviewIDs,
		ownerIDs(t, h, "SELECT id::text FROM prevention.reviews WHERE participant_id = ? ORDER BY held_on DESC, created_at DESC, id DESC", p))
	expectBadPaging(t, h, coord, base+"/reviews")

	// Sessions, newest first; two at one start come by id.
	for i := range 5 {
		at := time.Now().Add(-time.Duration(i+2) * 24 * time.Hour).UTC().Format(time.RFC3339)
		expect(t, h.api("POST", "/api/v1/sessions", coord, fmt.Sprintf(`{"participant_ids":[%q],"type":"anti_violence","module":"triggers",
			"started_at":%q,"duration_minutes":60,"attendance":{%q:"attended"},"notes":"Paging"}`, p, at, p)), 201).Body.Close()
	}
	h.db.Gorm.Exec(`UPDATE prevention.sessions SET started_at = '2026-01-05 10:00+01' WHERE id IN
		(SELECT session_id FROM prevention.session_participants WHERE participant_id = ? ORDER BY session_id LIMIT 2)`, p)
	expectPages(t, h, coord, base+"/sessions", arrayIDs, ownerIDs(t, h, `SELECT s.id::text FROM prevention.sessions s
		JOIN prevention.session_participants sp ON sp.session_id = s.id WHERE sp.participant_id = ? ORDER BY s.started_at DESC, s.id DESC`, p))
	expectBadPaging(t, h, coord, base+"/sessions")

	// A page of a participant's list is audited as a read of the case.
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = 'participant.read' AND object_id = ?`, p); n < 3*4 {
		t.Errorf("%d reads of the case audited", n)
	}
}

func TestVisitListPaged(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	med, coord := h.token(models.RoleMediator), h.token(models.RoleCoordinator)
	ids := h.mediated()
	day := testToday().AddDate(0, 0, 3)
	for i := range 6 {
		at := func(hour int) string { return day.Add(time.Duration(hour) * time.Hour).Format(time.RFC3339) }
		expect(t, h.api("POST", "/api/v1/visits", med, fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":"follow_up"}`,
			ids[i%len(ids)], at(8+i), at(9+i))), 201).Body.Close()
	}
	from, to := testDate(-10), testDate(20)
	start, _ := time.Parse(time.DateOnly, from)
	end, _ := time.Parse(time.DateOnly, to)
	end = end.AddDate(0, 0, 1)
	var site string
	h.db.Gorm.Raw("SELECT site_id::text FROM org.users WHERE email = ?", h.logins[models.RoleCoordinator]).Scan(&site)
	want := func(status string) []string {
		return ownerIDs(t, h, `SELECT v.id::text FROM prevention.visits v JOIN prevention.participants p ON p.id = v.participant_id
			WHERE p.site_id = ? AND v.starts_at >= ? AND v.starts_at < ? AND (? = '' OR v.status = ?) ORDER BY v.starts_at, v.id`,
			site, start, end, status, status)
	}
	path := "/api/v1/visits?from=" + from + "&to=" + to
	expectPages(t, h, coord, path, arrayIDs, want(""))
	expectPages(t, h, coord, path+"&status=planned", arrayIDs, want("planned"))
	// The mediator pages through their own.
	var me string
	h.db.Gorm.Raw("SELECT id::text FROM org.users WHERE email = ?", h.logins[models.RoleMediator]).Scan(&me)
	expectPages(t, h, med, path, arrayIDs, ownerIDs(t, h, `SELECT id::text FROM prevention.visits
		WHERE (mediator_id = ? OR social_worker_id = ?) AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id`, me, me, start, end))
	expectBadPaging(t, h, coord, path)
	p := problem(t, expect(t, h.api("GET", path+"&status=vielleicht", coord, ""), 422))
	if len(p.Errors) != 1 || p.Errors[0].Field != "status" {
		t.Errorf("unknown status: %+v", p)
	}
}

func TestReferralListsPaged(t *testing.T) {
	h := newHarness(t, app.Config{})
	police, coord := h.token(models.RolePoliceLiaison), h.token(models.RoleCoordinator)
	for i := range 7 {
		body := referralBody(fmt.Sprintf("Kind%d", i), fmt.Sprintf("KK-PG-%d", i))
		if i%3 == 0 {
			body = strings.Replace(body, `"violence"`, `"property"`, 1)
		}
		expect(t, h.api("POST", "/api/v1/referrals", police, body), 201).Body.Close()
	}
	// Three made at one instant: the crossings break the tie by id.
	h.db.Gorm.Exec(`UPDATE enforcement.referrals SET created_at = '2026-01-05 10:00+01' WHERE police_reference IN ('KK-PG-1', 'KK-PG-2', 'KK-PG-3')`)
	// One decided: gone from the queue, still in the feedback.
	queue := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/referrals", coord, ""), 200))
	expect(t, h.api("POST", "/api/v1/referrals/"+queue[len(queue)-1]["id"].(string)+"/decline", coord, `{"reason":"duplicate"}`), 200).Body.Close()

	var site, officer string
	h.db.Gorm.Raw("SELECT site_id::text FROM org.users WHERE email = ?", h.logins[models.RoleCoordinator]).Scan(&site)
	h.db.Gorm.Raw("SELECT id::text FROM org.users WHERE email = ?", h.logins[models.RolePoliceLiaison]).Scan(&officer)
	intake := func(reason string) []string {
		return ownerIDs(t, h, `SELECT r.id::text FROM enforcement.referrals r WHERE r.site_id = ? AND (? = '' OR r.reason_category = ?)
			AND NOT EXISTS (SELECT 1 FROM prevention.intake_decisions d WHERE d.referral_id = r.id) ORDER BY r.created_at, r.id`, site, reason, reason)
	}
	expectPages(t, h, coord, "/api/v1/referrals", arrayIDs, intake(""))
	if property := intake("property"); len(property) < 2 {
		t.Fatalf("%d property referrals", len(property))
	} else if got := walkPages(t, h, coord, "/api/v1/referrals?reason=property&limit=1", 1, arrayIDs); !slices.Equal(got, property) {
		t.Errorf("property referrals %v, want %v", got, property)
	}
	expect(t, h.api("GET", "/api/v1/referrals?reason=raub", coord, ""), 422).Body.Close()
	expectBadPaging(t, h, coord, "/api/v1/referrals")
	// Each page of the queue is audited with its own count.
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = 'referral.read' AND (details->>'count')::int = 2`); n < 3 {
		t.Errorf("%d full queue pages audited", n)
	}

	expectPages(t, h, police, "/api/v1/referrals", arrayIDs, ownerIDs(t, h,
		"SELECT id::text FROM enforcement.referrals WHERE submitted_by = ? ORDER BY created_at DESC, id DESC", officer))
	expectBadPaging(t, h, police, "/api/v1/referrals")
}

// TestAuditListLimits: the audit log pages like every list, 50 entries
// unless asked for another number from 1 to 500.
func TestAuditListLimits(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord, dpo := h.token(models.RoleCoordinator), h.token(models.RoleDPO)
	for range 55 {
		expect(t, h.api("GET", "/api/v1/participants", coord, ""), 200).Body.Close()
	}
	if n := h.count("SELECT count(*) FROM audit.events"); n <= 50 {
		t.Fatalf("only %d audit entries", n)
	}
	resp := expect(t, h.api("GET", "/api/v1/audit", dpo, ""), 200)
	if l := resp.Header.Get("Link"); !nextLinkRE.MatchString(l) {
		t.Errorf("default page links %q", l)
	}
	if page := decode[[]map[string]any](t, resp); len(page) != 50 {
		t.Errorf("default page of %d entries", len(page))
	}
	expectBadPaging(t, h, dpo, "/api/v1/audit")
}
