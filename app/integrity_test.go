package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
	"kurve/models/dbtest"
)

// concurrently sends every request at once (released together) and
// returns the statuses and bodies in request order. It never calls
// t.Fatal from a goroutine.
func (h *harness) concurrently(reqs []*http.Request) ([]int, []string) {
	h.t.Helper()
	statuses, bodies := make([]int, len(reqs)), make([]string, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := h.srv.App().Test(req, 60_000)
			if err != nil {
				errs[i] = err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			statuses[i], bodies[i], errs[i] = resp.StatusCode, string(b), err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			h.t.Fatalf("request %d: %v", i, err)
		}
	}
	return statuses, bodies
}

func apiRequest(method, path, token, body string, hdr ...string) *http.Request {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func countStatuses(statuses []int) map[int]int {
	n := map[int]int{}
	for _, s := range statuses {
		n[s]++
	}
	return n
}

// TestVisitDoubleBookingRace: 50 simultaneous bookings of one mediator for
// one hour give exactly one visit; 50 simultaneous moves of different
// visits into one hour move exactly one (SPEC §8: 409 when a person is
// double-booked). The database refuses the overlap, not a check in Go.
func TestVisitDoubleBookingRace(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	med := h.token(models.RoleMediator)
	ids := h.mediated()
	slot := time.Date(testToday().Year(), testToday().Month(), testToday().Day(), 0, 0, 0, 0, berlin).AddDate(0, 0, 9).Add(15 * time.Hour)
	body := func(id string, at time.Time) string {
		return fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":"follow_up"}`,
			id, at.Format(time.RFC3339), at.Add(time.Hour).Format(time.RFC3339))
	}
	var reqs []*http.Request
	for i := range 50 {
		reqs = append(reqs, apiRequest("POST", "/api/v1/visits", med, body(ids[i%len(ids)], slot.Add(time.Duration(i)*time.Minute))))
	}
	statuses, bodies := h.concurrently(reqs)
	if n := countStatuses(statuses); n[201] != 1 || n[409] != 49 {
		t.Errorf("50 concurrent bookings of one hour: %v, want one 201 and 49 × 409", n)
	}
	for i, s := range statuses {
		if s == 409 && !strings.Contains(bodies[i], "-20") {
			t.Errorf("409 does not name the other visit's case number: %s", bodies[i])
			break
		}
	}
	if booked := h.count("SELECT count(*) FROM prevention.visits WHERE starts_at >= ? AND starts_at < ?", slot, slot.Add(2*time.Hour)); booked != 1 {
		t.Errorf("%d visits stored in the hour, want 1", booked)
	}

	// 50 visits on 50 different days, then all moved into one hour at once.
	var visitIDs []string
	for i := range 50 {
		at := slot.AddDate(0, 0, 1+i)
		v := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/visits", med, body(ids[i%len(ids)], at)), 201))
		visitIDs = append(visitIDs, v["id"].(string))
	}
	target := slot.AddDate(0, 0, -1)
	reqs = nil
	for i, id := range visitIDs {
		at := target.Add(time.Duration(i) * time.Minute)
		reqs = append(reqs, apiRequest("PATCH", "/api/v1/visits/"+id, med, fmt.Sprintf(`{"version":1,"starts_at":%q,"ends_at":%q}`,
			at.Format(time.RFC3339), at.Add(time.Hour).Format(time.RFC3339))))
	}
	statuses, _ = h.concurrently(reqs)
	if n := countStatuses(statuses); n[200] != 1 || n[409] != 49 {
		t.Errorf("50 concurrent moves into one hour: %v, want one 200 and 49 × 409", n)
	}
}

// TestIdempotentAPIPosts: each create sent twice with one Idempotency-Key,
// in sequence and 10 times at once, stores one record and answers the same
// each time; the same key with another body is 422 and writes nothing.
func TestIdempotentAPIPosts(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	coord, police, sw, med := h.token(models.RoleCoordinator), h.token(models.RolePoliceLiaison),
		h.token(models.RoleSocialWorker), h.token(models.RoleMediator)
	active := demoIDs(t, h, models.StatusActive)
	withMediator := h.mediated()[0]
	visitAt := time.Date(testToday().Year(), testToday().Month(), testToday().Day(), 0, 0, 0, 0, berlin).AddDate(0, 0, 5)
	if err := models.InTx(context.Background(), h.db.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		_, err := st.CreateUser(models.NewUserInput{Email: "sw2@es.test", Name: "Zweite Fachkraft", Role: models.RoleSocialWorker,
			SiteCode: "ES", Password: "long enough password"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, token, path, body, other, count string
	}{
		{"referral", police, "/api/v1/referrals", referralBody("Idem", "KK-IDEM-1"), referralBody("Idem", "KK-IDEM-2"),
			"SELECT count(*) FROM enforcement.referrals"},
		{"participant", coord, "/api/v1/participants",
			`{"first_name":"Idem","last_name":"Potent","date_of_birth":"2014-04-02","gender":"female","site":"ES","languages":["de"]}`,
			`{"first_name":"Idem","last_name":"Anders","date_of_birth":"2014-04-02","gender":"female","site":"ES","languages":["de"]}`,
			"SELECT count(*) FROM prevention.participants"},
		{"session", sw, "/api/v1/sessions",
			fmt.Sprintf(`{"participant_ids":[%q],"type":"anti_violence","module":"triggers","started_at":%q,"duration_minutes":60,"attendance":{%q:"attended"},"notes":"Doppelt"}`,
				active[0], testNow().Add(-time.Hour).UTC().Format(time.RFC3339), active[0]),
			fmt.Sprintf(`{"participant_ids":[%q],"type":"anti_violence","module":"triggers","started_at":%q,"duration_minutes":45,"attendance":{%q:"attended"},"notes":"Doppelt"}`,
				active[0], testNow().Add(-3*time.Hour).UTC().Format(time.RFC3339), active[0]),
			"SELECT count(*) FROM prevention.sessions"},
		{"visit", med, "/api/v1/visits",
			fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":"follow_up"}`, withMediator,
				visitAt.Add(9*time.Hour).Format(time.RFC3339), visitAt.Add(10*time.Hour).Format(time.RFC3339)),
			fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":"other"}`, withMediator,
				visitAt.Add(12*time.Hour).Format(time.RFC3339), visitAt.Add(13*time.Hour).Format(time.RFC3339)),
			"SELECT count(*) FROM prevention.visits"},
		{"goal", sw, "/api/v1/participants/" + active[0] + "/goals", `{"title":"Ziel doppelt","target_on":"` + testDate(60) + `"}`,
			`{"title":"Ziel anders","target_on":"` + testDate(60) + `"}`, "SELECT count(*) FROM prevention.goals"},
		{"guardian", sw, "/api/v1/participants/" + active[0] + "/guardians",
			`{"first_name":"Tante","last_name":"Doppelt","relationship":"aunt_uncle","has_custody":false,"languages":["de"]}`,
			`{"first_name":"Onkel","last_name":"Doppelt","relationship":"aunt_uncle","has_custody":false,"languages":["de"]}`,
			"SELECT count(*) FROM prevention.guardians"},
		{"review", sw, "/api/v1/participants/" + active[0] + "/reviews", `{"held_on":"` + testDate(0) + `","notes":"Doppelt"}`,
			`{"held_on":"` + testDate(-1) + `","notes":"Anders"}`, "SELECT count(*) FROM prevention.reviews"},
		{"assignment", coord, "/api/v1/participants/" + active[1] + "/assignments",
			`{"user_id":"` + userID(t, h, "sw2@es.test") + `","kind":"social_worker","from":"` + testDate(0) + `"}`,
			`{"user_id":"` + userID(t, h, "sw2@es.test") + `","kind":"social_worker","from":"` + testDate(-1) + `"}`,
			"SELECT count(*) FROM prevention.assignments"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			count := func() int { return h.count(tc.count) }
			before := count()
			// In sequence: the second answer is the first one, replayed.
			k := fmt.Sprintf("seq-%d", i)
			first := h.api("POST", tc.path, tc.token, tc.body, "Idempotency-Key", k)
			firstBody := readAll(t, first)
			if first.StatusCode != 201 {
				t.Fatalf("first: %d %s", first.StatusCode, firstBody)
			}
			again := h.api("POST", tc.path, tc.token, tc.body, "Idempotency-Key", k)
			if body := readAll(t, again); again.StatusCode != 201 || body != firstBody || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("second: %d %s, want the first answer again", again.StatusCode, body)
			}
			if n := count(); n != before+1 {
				t.Errorf("%d records after a repeated request, want %d", n, before+1)
			}
			// Another body with the same key: 422, nothing written.
			p := problem(t, expect(t, h.api("POST", tc.path, tc.token, tc.other, "Idempotency-Key", k), 422))
			if len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" {
				t.Errorf("reused key: %+v", p)
			}
			if n := count(); n != before+1 {
				t.Errorf("a reused key wrote: %d records", n)
			}
			// At once: ten requests with one key make one record.
			var reqs []*http.Request
			for range 10 {
				reqs = append(reqs, apiRequest("POST", tc.path, tc.token, tc.other, "Idempotency-Key", fmt.Sprintf("par-%d", i)))
			}
			statuses, bodies := h.concurrently(reqs)
			for j := range statuses {
				if statuses[j] != 201 || bodies[j] != bodies[0] {
					t.Errorf("concurrent %d: %d %s", j, statuses[j], bodies[j])
				}
			}
			if n := count(); n != before+2 {
				t.Errorf("%d records after 10 concurrent requests with one key, want %d", n, before+2)
			}
		})
	}
	// Keys are per user: another user's same key is a new request.
	expect(t, h.api("POST", "/api/v1/referrals", police, referralBody("Idem", "KK-IDEM-3"), "Idempotency-Key", "shared"), 201).Body.Close()
	if n := h.count("SELECT count(*) FROM auth.idempotency_keys WHERE key = 'shared'"); n != 1 {
		t.Errorf("%d kept keys 'shared'", n)
	}
	// A key is kept encrypted: no name of the created case in clear.
	if clear := h.count("SELECT count(*) FROM auth.idempotency_keys WHERE answer_enc LIKE '%Potent%' OR answer_enc NOT LIKE 'v1:%'"); clear != 0 {
		t.Errorf("%d kept answers not encrypted", clear)
	}
	expect(t, h.api("POST", "/api/v1/referrals", police, referralBody("Idem", "KK-IDEM-4"), "Idempotency-Key", strings.Repeat("x", 256)), 422).Body.Close()
}

// webRequest is a browser form post of ws (cookie and CSRF token).
func webRequest(path string, ws *webSession, form url.Values) *http.Request {
	if !form.Has("_csrf") {
		form.Set("_csrf", ws.csrf)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(ws.cookie)
	return req
}

// TestDoubleSubmitWebForms: two taps on "save" of one rendered form, in
// sequence and at once, make one record and both land on it.
func TestDoubleSubmitWebForms(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	coord, sw := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker)
	count := h.count
	submission := func(d *goquery.Document, action string) string {
		k := d.Find(`form[action="`+action+`"] input[name="_submission"]`).AttrOr("value", "")
		if len(k) < 20 {
			t.Fatalf("form %s has no submission key", action)
		}
		return k
	}

	// A new case: the key comes with the page; each render has a new one.
	page := doc(t, h.web("GET", "/participants/new", &coord, nil))
	k := submission(page, "/participants")
	if k2 := submission(doc(t, h.web("GET", "/participants/new", &coord, nil)), "/participants"); k2 == k {
		t.Error("two renders of the form share a submission key")
	}
	before := count("SELECT count(*) FROM prevention.participants")
	form := func() url.Values { return wcParticipantForm("Doppel", "Tipp", "_submission", k) }
	first := h.web("POST", "/participants", &coord, form())
	first.Body.Close()
	second := h.web("POST", "/participants", &coord, form())
	second.Body.Close()
	if first.StatusCode != 303 || second.StatusCode != 303 || first.Header.Get("Location") != second.Header.Get("Location") ||
		!strings.HasPrefix(first.Header.Get("Location"), "/participants/") {
		t.Errorf("two taps: %d %q and %d %q, want both on the one new case", first.StatusCode, first.Header.Get("Location"),
			second.StatusCode, second.Header.Get("Location"))
	}
	// The second tap's page says "saved" too (the first page may never
	// have been shown).
	if flash := doc(t, h.web("GET", second.Header.Get("Location"), &coord, nil)).Find(".flash").Text(); flash == "" {
		t.Error("the replayed answer lost its message")
	}
	if n := count("SELECT count(*) FROM prevention.participants"); n != before+1 {
		t.Errorf("%d cases after two taps, want %d", n, before+1)
	}

	// A session, five taps at once.
	active := demoIDs(t, h, models.StatusActive)
	page = snGet(t, h, &sw, "/sessions/new?participant="+active[0], http.StatusOK)
	f := snSessionForm(t, page, map[string]string{active[0]: "attended"})
	f.Set("_submission", submission(page, "/sessions"))
	before = count("SELECT count(*) FROM prevention.sessions")
	// A session last seen some minutes ago is touched by every tap: the
	// taps must not deadlock on it (the first one sets the flash, the
	// others wait for its idempotency key).
	dbtest.Exec(t, h.db.Gorm, "UPDATE auth.sessions SET last_seen_at = now() - interval '5 minutes'")
	var reqs []*http.Request
	for range 5 {
		g := url.Values{}
		for k, v := range f {
			g[k] = append([]string(nil), v...)
		}
		reqs = append(reqs, webRequest("/sessions", &sw, g))
	}
	statuses, _ := h.concurrently(reqs)
	if n := countStatuses(statuses); n[303] != 5 {
		t.Errorf("five taps: %v, want five redirects", n)
	}
	if n := count("SELECT count(*) FROM prevention.sessions"); n != before+1 {
		t.Errorf("%d sessions after five taps at once, want %d", n, before+1)
	}
	// More create forms, each sent twice from one render.
	police := h.signIn(models.RolePoliceLiaison)
	for _, tc := range []struct {
		name     string
		ws       *webSession
		page     string
		action   string
		values   url.Values
		countSQL string
	}{
		{"goal", &sw, "/participants/" + active[0], "/participants/" + active[0] + "/goals",
			url.Values{"title": {"Ziel zweimal getippt"}, "target_on": {testDate(30)}}, "SELECT count(*) FROM prevention.goals"},
		{"guardian", &coord, "/participants/" + active[0] + "/guardians/new", "/participants/" + active[0] + "/guardians",
			url.Values{"first_name": {"Tante"}, "last_name": {"Zweimal"}, "relationship": {"aunt_uncle"}}, "SELECT count(*) FROM prevention.guardians"},
		{"referral", &police, "/referrals/new", "/referrals",
			url.Values{"first_name": {"Zweimal"}, "last_name": {"Gemeldet"}, "date_of_birth": {"2014-03-03"}, "gender": {"male"},
				"site": {"ES"}, "reason_category": {"property"}, "police_reference": {"KK-TWICE-1"}}, "SELECT count(*) FROM enforcement.referrals"},
	} {
		page := doc(t, h.web("GET", tc.page, tc.ws, nil))
		tc.values.Set("_submission", submission(page, tc.action))
		n0 := count(tc.countSQL)
		var locs []string
		for range 2 {
			resp := h.web("POST", tc.action, tc.ws, tc.values)
			resp.Body.Close()
			if resp.StatusCode != 303 {
				t.Fatalf("%s: %d", tc.name, resp.StatusCode)
			}
			locs = append(locs, resp.Header.Get("Location"))
		}
		if n := count(tc.countSQL); n != n0+1 || locs[0] != locs[1] {
			t.Errorf("%s sent twice: %d records, landed on %v", tc.name, n-n0, locs)
		}
	}

	// Back, then save: the form is rendered anew (another key), but the
	// child already has this session: refused, naming the case.
	again := snGet(t, h, &sw, "/sessions/new?participant="+active[0], http.StatusOK)
	f.Set("_submission", submission(again, "/sessions"))
	d := snPost(t, h, &sw, "/sessions", f, http.StatusUnprocessableEntity)
	if msg := d.Find("main").Text(); !strings.Contains(msg, snCaseNumber(t, h, active[0])) || !strings.Contains(msg, "schon ein Termin") {
		t.Errorf("Back and save: no duplicate message")
	}
	if n := count("SELECT count(*) FROM prevention.sessions"); n != before+1 {
		t.Errorf("%d sessions after Back and save, want %d", n, before+1)
	}
}

// TestEveryPostFormHasASubmissionKey: every form that posts, on every page
// each role can open, carries a one-time submission key.
func TestEveryPostFormHasASubmissionKey(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	var pid string
	h.db.Gorm.Raw("SELECT id FROM prevention.participants WHERE status = 'active' ORDER BY case_number LIMIT 1").Scan(&pid)
	forms := 0
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RoleMediator, models.RolePoliceLiaison, models.RoleEvaluator} {
		ws := h.signIn(role)
		for _, path := range []string{"/", "/profile", "/participants/new", "/participants/" + pid, "/sessions/new", "/visits", "/referrals/new", "/measures", "/intake"} {
			resp := h.web("GET", path, &ws, nil)
			if resp.StatusCode != 200 {
				resp.Body.Close()
				continue
			}
			doc(t, resp).Find(`form[method="post"]`).Each(func(_ int, s *goquery.Selection) {
				forms++
				if s.Find(`input[name="_submission"]`).Length() != 1 {
					t.Errorf("%s %s: form %s has no submission key", role, path, s.AttrOr("action", ""))
				}
			})
		}
	}
	if forms < 20 {
		t.Errorf("only %d forms checked", forms)
	}
}

// TestConsentFormOffersWhatTheRuleAllows: the consent form of an
// 11-year-old offers no own assent and never preselects it; a 15-year-old's
// offers it, chosen on purpose only; a guardian without custody is not
// offered as the one who consents.
func TestConsentFormOffersWhatTheRuleAllows(t *testing.T) {
	h := newHarness(t, app.Config{})
	coord := h.token(models.RoleCoordinator)
	ws := h.signIn(models.RoleCoordinator)
	create := func(dob string) string {
		return decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants", coord,
			`{"first_name":"Form","last_name":"Regel","date_of_birth":"`+dob+`","gender":"male","site":"ES","languages":["de"]}`), 201))["id"].(string)
	}
	eleven, fifteen := create(testToday().AddDate(-11, 0, -3).Format(time.DateOnly)), create(testToday().AddDate(-15, 0, 0).Format(time.DateOnly))
	form := func(id string) *goquery.Selection {
		return doc(t, h.web("GET", "/participants/"+id+"/consents/new", &ws, nil)).Find("select#guardian_id")
	}
	if s := form(eleven); s.Find(`option[value="assent"]`).Length() != 0 || s.Find("option[selected]").AttrOr("value", "x") != "" {
		t.Errorf("11-year-old without guardians: options %q, selected %q", s.Text(), s.Find("option[selected]").AttrOr("value", "x"))
	}
	// Posting without a choice is refused; nothing stored.
	resp := h.web("POST", "/participants/"+eleven+"/consents", &ws, url.Values{"guardian_id": {""}, "purposes": {"participation"},
		"form_version": {"2026-1"}, "form_language": {"de"}, "state": {"given"}, "given_on": {testDate(0)}})
	if resp.StatusCode != 422 || doc(t, resp).Find("#guardian_id-error").Length() != 1 {
		t.Errorf("consent without a giver: %d", resp.StatusCode)
	}
	resp = h.web("POST", "/participants/"+eleven+"/consents", &ws, url.Values{"guardian_id": {"assent"}, "purposes": {"participation"},
		"form_version": {"2026-1"}, "form_language": {"de"}, "state": {"given"}, "given_on": {testDate(0)}})
	if resp.StatusCode != 422 || !strings.Contains(doc(t, resp).Find("#guardian_id-error").Text(), "14") {
		t.Errorf("assent of an 11-year-old: %d", resp.StatusCode)
	}
	for _, g := range []string{`{"first_name":"Onkel","last_name":"Regel","relationship":"aunt_uncle","has_custody":false}`,
		`{"first_name":"Mutter","last_name":"Regel","relationship":"mother","has_custody":true}`} {
		expect(t, h.api("POST", "/api/v1/participants/"+eleven+"/guardians", coord, g), 201).Body.Close()
	}
	s := form(eleven)
	if s.Find("option").Length() != 1 || !strings.Contains(s.Find("option[selected]").Text(), "Mutter") {
		t.Errorf("11-year-old with a mother (custody) and an uncle: options %q", s.Text())
	}
	if s := form(fifteen); s.Find(`option[value="assent"]`).Length() != 1 || s.Find(`option[value="assent"][selected]`).Length() != 0 {
		t.Errorf("15-year-old: assent offered %d, preselected %d", s.Find(`option[value="assent"]`).Length(), s.Find(`option[value="assent"][selected]`).Length())
	}
	if n := h.count("SELECT count(*) FROM prevention.consents"); n != 0 {
		t.Errorf("%d consents stored", n)
	}
}

// TestBadBytesRefused: a NUL byte or invalid UTF-8 in any text, in JSON or
// a form, is a 422 naming the field, never a 500 and never stored changed.
func TestBadBytesRefused(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	police, coord := h.token(models.RolePoliceLiaison), h.token(models.RoleCoordinator)
	good := referralBody("Byte", "KK-BYTES-1")
	for _, tc := range []struct{ name, body, field string }{
		{"NUL in police_reference", strings.Replace(good, "KK-BYTES-1", `KK\u0000BYTES`, 1), "police_reference"},
		{"NUL in site", strings.Replace(good, `"site":"ES"`, `"site":"E\u0000S"`, 1), "site"},
		{"invalid UTF-8 in a name", strings.Replace(good, `"first_name":"Byte"`, "\"first_name\":\"By\xfete\"", 1), "first_name"},
		{"invalid UTF-8 in a phone", strings.Replace(good, `"guardian_phone":"0201 424242"`, "\"guardian_phone\":\"0201\xc3\x28\"", 1), "guardian_phone"},
	} {
		p := problem(t, expect(t, h.api("POST", "/api/v1/referrals", police, tc.body), 422))
		if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: errors %+v, want one for %s", tc.name, p.Errors, tc.field)
		}
	}
	if n := h.count("SELECT count(*) FROM enforcement.referrals"); n != 0 {
		t.Errorf("%d referrals stored from bad bytes", n)
	}
	// Nested: a consent's form_version.
	pid := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants", coord,
		`{"first_name":"Byte","last_name":"Test","date_of_birth":"2014-04-02","gender":"male","site":"ES","languages":["de"]}`), 201))["id"].(string)
	p := problem(t, expect(t, h.api("POST", "/api/v1/participants/"+pid+"/consents", coord,
		`{"guardian_id":"","purposes":["participation"],"form_version":"2026\u0000","form_language":"de","given_on":"2026-01-01"}`), 422))
	if len(p.Errors) != 1 || p.Errors[0].Field != "form_version" {
		t.Errorf("consent: %+v", p.Errors)
	}
	// Forms, login included: 422, no 500, and the page names the field.
	resp := h.web("POST", "/login", nil, url.Values{"email": {"a\x00@example.org"}, "password": {"x"}})
	if resp.StatusCode != 422 || !strings.Contains(doc(t, resp).Find(".field-error").Text(), "E-Mail") {
		t.Errorf("NUL in the login e-mail: %d", resp.StatusCode)
	}
	ws := h.signIn(models.RoleCoordinator)
	resp = h.web("POST", "/participants", &ws, wcParticipantForm("Na\xffme", "Test"))
	if resp.StatusCode != 422 {
		t.Errorf("invalid UTF-8 in a form: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// A media type the API does not take: 415 problem+json, also for a
	// multipart body (an HTML 400 page before).
	for ct, b := range map[string]string{"multipart/form-data; boundary=x": "--x\r\nContent-Disposition: form-data; name=\"site\"\r\n\r\nES\r\n--x--\r\n",
		"text/plain": "hello", "application/xml": "<a/>"} {
		problem(t, expect(t, h.api("POST", "/api/v1/referrals", police, b, "Content-Type", ct), 415))
	}
	p = problem(t, expect(t, h.api("POST", "/api/v1/referrals", police, "--x\r\nbroken", "Content-Type", "multipart/form-data; boundary=x"), 400))
	if p.Status != 400 {
		t.Errorf("broken multipart: %+v", p)
	}
}

// TestEndingACaseIsDeliberate: the case page offers no one-tap end; ending
// early goes through a confirmation page (also when the form is posted
// without it), completing through the closing interview, and a
// coordinator can reopen a case ended in error, which the status history
// shows with the reason.
func TestEndingACaseIsDeliberate(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	coord, sw := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker)
	id := demoIDs(t, h, models.StatusActive)[0]
	status := func() string {
		var s string
		h.db.Gorm.Raw("SELECT status FROM prevention.participants WHERE id = ?", id).Scan(&s)
		return s
	}
	d := wcPage(t, h, &sw, id, http.StatusOK)
	for _, to := range []string{"completed", "ended_early", "withdrawn", "declined"} {
		if d.Find(`form.status-form input[name="status"][value="`+to+`"]`).Length() != 0 {
			t.Errorf("one-tap form to %s on the case page", to)
		}
	}
	if d.Find(`a#status-to-closing[href="/participants/`+id+`/closing"]`).Length() != 1 ||
		d.Find(`a.status-confirm-link[href="/participants/`+id+`/status/ended_early"]`).Length() != 1 {
		t.Error("no way to the closing interview or to the confirmation page")
	}
	var version string
	h.db.Gorm.Raw("SELECT version::text FROM prevention.participants WHERE id = ?", id).Scan(&version)
	// A post without the confirmation lands on the confirmation page.
	resp := h.web("POST", "/participants/"+id+"/status", &sw, url.Values{"status": {"ended_early"}, "version": {version}, "end_reason": {"moved"}})
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/participants/"+id+"/status/ended_early" || status() != "active" {
		t.Fatalf("unconfirmed end: %d to %q, status %s", resp.StatusCode, resp.Header.Get("Location"), status())
	}
	for _, lang := range []string{"de", "ar"} {
		c := doc(t, h.web("GET", "/participants/"+id+"/status/ended_early", &sw, nil, "Accept-Language", lang))
		if c.Find(`form input[name="confirmed"][value="yes"]`).Length() != 1 || c.Find("select#end-reason").Length() != 1 ||
			c.Find(`a#status-cancel[href="/participants/`+id+`#case-status"]`).Length() != 1 || strings.TrimSpace(c.Find("#confirm-undo").Text()) == "" {
			t.Errorf("confirmation page (%s) incomplete", lang)
		}
	}
	// Confirmed without a reason: the page again with the error.
	resp = h.web("POST", "/participants/"+id+"/status", &sw, url.Values{"status": {"ended_early"}, "version": {version}, "confirmed": {"yes"}})
	if resp.StatusCode != 422 || doc(t, resp).Find("#end-reason-error").Length() != 1 || status() != "active" {
		t.Errorf("confirmed end without a reason: %d, status %s", resp.StatusCode, status())
	}
	resp = h.web("POST", "/participants/"+id+"/status", &sw, url.Values{"status": {"ended_early"}, "version": {version}, "confirmed": {"yes"}, "end_reason": {"moved"}})
	resp.Body.Close()
	if resp.StatusCode != 303 || status() != "ended_early" {
		t.Fatalf("confirmed end: %d, status %s", resp.StatusCode, status())
	}
	// The API cannot complete a case either, only the closing interview.
	h.db.Gorm.Raw("SELECT version::text FROM prevention.participants WHERE id = ?", id).Scan(&version)
	other := demoIDs(t, h, models.StatusActive)[0]
	var ov int
	h.db.Gorm.Raw("SELECT version FROM prevention.participants WHERE id = ?", other).Scan(&ov)
	expect(t, h.api("PATCH", "/api/v1/participants/"+other, h.token(models.RoleCoordinator), fmt.Sprintf(`{"version":%d,"status":"completed"}`, ov)), 422).Body.Close()

	// Reopened by the coordinator, with the reason in the history.
	if wcPage(t, h, &sw, id, http.StatusOK).Find("#case-reopen").Length() != 0 {
		t.Error("a social worker is offered reopening")
	}
	if wcPage(t, h, &coord, id, http.StatusOK).Find("#case-reopen form").Length() != 1 {
		t.Fatal("the coordinator is not offered reopening")
	}
	resp = h.web("POST", "/participants/"+id+"/reopen", &coord, url.Values{"version": {version}, "reason": {"Umzug war ein Irrtum"}})
	resp.Body.Close()
	if resp.StatusCode != 303 || status() != "active" {
		t.Fatalf("reopen: %d, status %s", resp.StatusCode, status())
	}
	last := wcPage(t, h, &coord, id, http.StatusOK).Find("#status-history li").Last()
	if !last.HasClass("reopened") || !strings.Contains(last.Text(), "Umzug war ein Irrtum") {
		t.Errorf("history: %q", last.Text())
	}
	if auditCount(t, h, models.AuditParticipantReopen) != 1 {
		t.Error("reopening not audited once")
	}
}

// TestExpiredSessionKeepsTheForm: a session note saved after the idle
// timeout is not lost. The post is parked (encrypted) for that user, the
// login page says so, and after signing in the user sees the note filled
// in, saves it once, and it is stored; another user signing in on the same
// browser sees nothing of it, and a post with a forged token parks nothing.
func TestExpiredSessionKeepsTheForm(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	sw := h.signIn(models.RoleSocialWorker)
	active := demoIDs(t, h, models.StatusActive)
	page := snGet(t, h, &sw, "/sessions/new?participant="+active[0], http.StatusOK)
	form := snSessionForm(t, page, map[string]string{active[0]: "attended"})
	note := "Langer Vermerk, getippt bevor die Sitzung ablief"
	form.Set("notes", note)
	form.Set("_submission", page.Find(`form[action="/sessions"] input[name="_submission"]`).AttrOr("value", ""))
	sessions := func() int { return h.count("SELECT count(*) FROM prevention.sessions") }
	before := sessions()
	// 31 idle minutes.
	dbtest.Exec(t, h.db.Gorm, "UPDATE auth.sessions SET last_seen_at = now() - interval '31 minutes'")

	post := func(path string, cookies []*http.Cookie, f url.Values) *http.Response {
		req := httptest.NewRequest("POST", path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		return h.do(req)
	}
	// A forged post (another token) with the dead cookie parks nothing.
	forged := url.Values{}
	for k, v := range form {
		forged[k] = v
	}
	forged.Set("_csrf", "forged")
	resp := post("/sessions", []*http.Cookie{sw.cookie}, forged)
	resp.Body.Close()
	if cookieNamed(resp, "kurve_parked") != nil || resp.Header.Get("Location") != "/login?next=%2F" {
		t.Errorf("forged post: parked, or sent to %q (want the login page, then home: no 405)", resp.Header.Get("Location"))
	}
	// The session row is gone now; the real post comes in a fresh browser
	// state with the same (dead) cookie: sign in again first, then test
	// the real flow with a second expired session.
	sw = h.signIn(models.RoleSocialWorker)
	form.Set("_csrf", sw.csrf)
	dbtest.Exec(t, h.db.Gorm, "UPDATE auth.sessions SET last_seen_at = now() - interval '31 minutes'")
	resp = post("/sessions", []*http.Cookie{sw.cookie}, form)
	resp.Body.Close()
	parked := cookieNamed(resp, "kurve_parked")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?expired=1&next=%2Fresume" || parked == nil || !parked.HttpOnly {
		t.Fatalf("expired post: %d to %q, parked cookie %v", resp.StatusCode, resp.Header.Get("Location"), parked)
	}
	if n := sessions(); n != before {
		t.Fatalf("the expired post stored a session")
	}
	if clear := h.count("SELECT count(*) FROM auth.parked_forms WHERE form_enc LIKE '%Vermerk%' OR form_enc NOT LIKE 'v1:%'"); clear != 0 {
		t.Error("a parked form is stored in clear")
	}

	// Another user signing in on this browser sees nothing of it.
	mediator := h.signIn(models.RoleMediator)
	req := httptest.NewRequest("GET", "/resume", nil)
	req.AddCookie(mediator.cookie)
	req.AddCookie(parked)
	if resp := h.do(req); resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Errorf("another user's resume: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The login page says the input is kept; after signing in, /resume.
	lp := h.web("GET", "/login?expired=1&next=%2Fresume", nil, nil)
	lp.Body.Close()
	anon := openLoginPage(t, h)
	req = httptest.NewRequest("GET", "/login?expired=1&next=%2Fresume", nil)
	req.AddCookie(anon.cookie)
	req.AddCookie(parked)
	if d := doc(t, h.do(req)); !strings.Contains(d.Find("#login-expired").Text(), "nicht verloren") {
		t.Errorf("login notice %q", d.Find("#login-expired").Text())
	}
	resp = post("/login", []*http.Cookie{anon.cookie, parked}, url.Values{"_csrf": {anon.csrf}, "email": {h.logins[models.RoleSocialWorker]},
		"password": {models.DemoPassword}, "next": {"/resume"}})
	resp.Body.Close()
	fresh := cookieNamed(resp, "kurve_session")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/resume" || fresh == nil {
		t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	req = httptest.NewRequest("GET", "/resume", nil)
	req.AddCookie(fresh)
	req.AddCookie(parked)
	d := doc(t, h.do(req))
	f := d.Find(`form#resume-form[action="/sessions"]`)
	if f.Length() != 1 || f.Find(`textarea[name="notes"]`).Text() != note && f.Find(`input[name="notes"]`).AttrOr("value", "") != note {
		t.Fatalf("resume page does not show the typed note: %q", d.Find("main").Text())
	}
	again := url.Values{}
	f.Find("input[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		if goquery.NodeName(s) == "textarea" {
			again.Add(name, s.Text())
		} else {
			again.Add(name, s.AttrOr("value", ""))
		}
	})
	for range 2 { // saved twice (a double tap): one session
		resp = post("/sessions", []*http.Cookie{fresh, parked}, again)
		resp.Body.Close()
		if resp.StatusCode != 303 {
			t.Fatalf("saving the resumed form: %d", resp.StatusCode)
		}
	}
	if n := sessions(); n != before+1 {
		t.Errorf("%d sessions after resuming, want %d", n, before+1)
	}
	if left := h.count("SELECT count(*) FROM auth.parked_forms"); left != 0 {
		t.Errorf("%d parked forms left after saving", left)
	}
}

// TestLinksAndFeedFollowTheContract: the calendar URL comes from the
// configured base URL whatever Host or X-Forwarded-Host a client sends,
// and the feed's lines end with CRLF (RFC 5545).
func TestLinksAndFeedFollowTheContract(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key, BaseURL: "https://kurve.example.org/"})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	med := h.token(models.RoleMediator)
	me := decode[map[string]any](t, h.api("GET", "/api/v1/me", med, "", "Host", "evil.example", "X-Forwarded-Host", "evil.example",
		"X-Forwarded-Proto", "http"))
	feed, _ := me["calendar_url"].(string)
	if !strings.HasPrefix(feed, "https://kurve.example.org/calendar/") || strings.Contains(feed, "evil") {
		t.Fatalf("calendar_url %q, want it under the configured base URL", feed)
	}
	ics := readAll(t, expect(t, h.api("GET", strings.TrimPrefix(feed, "https://kurve.example.org"), "", ""), 200))
	lines := strings.SplitAfter(ics, "\n")
	if len(lines) < 5 {
		t.Fatalf("feed:\n%s", ics)
	}
	for i, l := range lines {
		if l != "" && !strings.HasSuffix(l, "\r\n") {
			t.Fatalf("line %d does not end with CRLF: %q", i+1, l)
		}
	}
}

// TestImplausibleDatesRefused: well-formed dates far from their meaning
// (1900 or 9999 as a goal's target, a consent given decades ago, a visit
// in another century) are 422 naming the field.
func TestImplausibleDatesRefused(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	sw, med := h.token(models.RoleSocialWorker), h.token(models.RoleMediator)
	active := demoIDs(t, h, models.StatusActive)[0]
	withMediator := h.mediated()[0]
	var guardian string
	h.db.Gorm.Raw(`SELECT guardian_id FROM prevention.participant_guardians WHERE participant_id = ? AND has_custody LIMIT 1`, active).Scan(&guardian)
	for _, tc := range []struct{ name, token, path, body, field string }{
		{"goal target in 1900", sw, "/api/v1/participants/" + active + "/goals", `{"title":"Ziel","target_on":"1900-01-01"}`, "target_on"},
		{"goal target in 9999", sw, "/api/v1/participants/" + active + "/goals", `{"title":"Ziel","target_on":"9999-12-31"}`, "target_on"},
		{"consent given in 1900", sw, "/api/v1/participants/" + active + "/consents",
			`{"guardian_id":"` + guardian + `","purposes":["evaluation"],"form_version":"2026-1","form_language":"de","given_on":"1900-01-01"}`, "given_on"},
		{"consent expiring in 9999", sw, "/api/v1/participants/" + active + "/consents",
			`{"guardian_id":"` + guardian + `","purposes":["evaluation"],"form_version":"2026-1","form_language":"de","given_on":"` + testDate(0) + `","expires_on":"9999-12-31"}`, "expires_on"},
		{"visit in 2999", med, "/api/v1/visits",
			`{"participant_id":"` + withMediator + `","starts_at":"2999-01-01T10:00:00Z","ends_at":"2999-01-01T11:00:00Z","purpose":"follow_up"}`, "starts_at"},
	} {
		p := problem(t, expect(t, h.api("POST", tc.path, tc.token, tc.body), 422))
		found := false
		for _, e := range p.Errors {
			found = found || e.Field == tc.field
		}
		if !found {
			t.Errorf("%s: errors %+v, want one for %s", tc.name, p.Errors, tc.field)
		}
	}
}

// TestForgedCSRFOnSignedInForms: every signed-in form refuses a forged or
// missing CSRF token with 403 and changes nothing (not only the login
// forms).
func TestForgedCSRFOnSignedInForms(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	sw := h.signIn(models.RoleSocialWorker)
	id := demoIDs(t, h, models.StatusActive)[0]
	before := h.count("SELECT count(*) FROM prevention.goals")
	for _, token := range []string{"forged", ""} {
		resp := h.web("POST", "/participants/"+id+"/goals", &sw, url.Values{"_csrf": {token}, "title": {"Ziel ohne Token"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("goal with CSRF token %q: %d, want 403", token, resp.StatusCode)
		}
	}
	resp := h.web("POST", "/participants/"+id+"/status", &sw, url.Values{"_csrf": {"forged"}, "status": {"contacted"}, "version": {"1"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status change with a forged token: %d", resp.StatusCode)
	}
	if n := h.count("SELECT count(*) FROM prevention.goals"); n != before {
		t.Errorf("a forged form stored %d goals", n-before)
	}
	// The real token works.
	resp = h.web("POST", "/participants/"+id+"/goals", &sw, url.Values{"title": {"Ziel mit Token"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || h.count("SELECT count(*) FROM prevention.goals") != before+1 {
		t.Errorf("goal with the session's token: %d", resp.StatusCode)
	}
}

// TestOneSessionPerStartUnderConcurrency: ten simultaneous API requests
// recording the same child's session at the same minute, each without an
// Idempotency-Key, store one session; the others are 422 naming the case
// (the advisory lock per child makes check and insert one step).
func TestOneSessionPerStartUnderConcurrency(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	sw := h.token(models.RoleSocialWorker)
	child := demoIDs(t, h, models.StatusActive)[0]
	at := testNow().Add(-5 * time.Hour).UTC().Truncate(time.Minute).Format(time.RFC3339)
	before := h.count("SELECT count(*) FROM prevention.sessions")
	var reqs []*http.Request
	for i := range 10 {
		reqs = append(reqs, apiRequest("POST", "/api/v1/sessions", sw, fmt.Sprintf(
			`{"participant_ids":[%q],"type":"anti_violence","module":"triggers","started_at":%q,"duration_minutes":%d,"attendance":{%q:"attended"}}`,
			child, at, 30+i, child)))
	}
	statuses, _ := h.concurrently(reqs)
	if n := countStatuses(statuses); n[201] != 1 || n[422] != 9 {
		t.Errorf("10 concurrent sessions of one child at one minute: %v, want one 201 and 9 × 422", n)
	}
	if n := h.count("SELECT count(*) FROM prevention.sessions"); n != before+1 {
		t.Errorf("%d sessions stored, want 1", n-before)
	}
}
