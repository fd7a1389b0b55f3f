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

	"kurve/models"
)

// The case page on a phone (issue 15): the summary on top, the index of
// the sections, and every save landing on the section it saved.

// cpForm is what a browser sends for form as shown: each field's value
// (a select's selected option, else its first; checked boxes only), with
// kv set on top.
func cpForm(form *goquery.Selection, kv ...string) url.Values {
	v := url.Values{}
	form.Find("input[name], select[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		switch goquery.NodeName(s) {
		case "select":
			opt := s.Find("option[selected]")
			if opt.Length() == 0 {
				opt = s.Find("option")
			}
			v.Add(name, opt.First().AttrOr("value", ""))
		case "textarea":
			v.Add(name, s.Text())
		default:
			switch s.AttrOr("type", "text") {
			case "checkbox", "radio":
				if _, ok := s.Attr("checked"); ok {
					v.Add(name, s.AttrOr("value", "on"))
				}
			default:
				v.Add(name, s.AttrOr("value", ""))
			}
		}
	})
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// cpSameMissing checks that the summary and the consent section say the
// same is missing: the same (guardian, purpose) pairs, the summary with
// one line a guardian ("Name: Teilnahme, Datenverarbeitung"), the section
// with one a purpose ("Name: Einwilligung … fehlt: Teilnahme").
func cpSameMissing(t *testing.T, where string, d *goquery.Document) {
	t.Helper()
	pairs := func(sel string, split bool) []string {
		var out []string
		d.Find(sel).Each(func(_ int, li *goquery.Selection) {
			who := li.Find(".who").Text()
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(li.Text()), who+":"))
			if !split {
				if i := strings.LastIndex(rest, ": "); i >= 0 {
					rest = rest[i+2:]
				}
				out = append(out, who+"/"+rest)
				return
			}
			for _, p := range strings.Split(rest, ", ") {
				out = append(out, who+"/"+p)
			}
		})
		slices.Sort(out)
		return out
	}
	summary, section := pairs("#summary-consent li", true), pairs("#consent-missing li", false)
	if len(summary) == 0 || !slices.Equal(summary, section) {
		t.Errorf("%s: the summary says %q is missing, the consent section %q", where, summary, section)
	}
}

// cpIDs are the ids of the links of the section index, in order.
func cpIndex(d *goquery.Document) (ids, titles []string) {
	d.Find("nav#case-index a").Each(func(_ int, a *goquery.Selection) {
		ids = append(ids, strings.TrimPrefix(a.AttrOr("href", ""), "#"))
		titles = append(titles, strings.TrimSpace(a.Text()))
	})
	return ids, titles
}

// cpTasks are the open tasks of the summary as task → link target.
func cpTasks(d *goquery.Document) map[string]string {
	out := map[string]string{}
	d.Find("#summary-tasks li").Each(func(_ int, li *goquery.Selection) {
		out[li.AttrOr("data-task", "")] = li.Find("a").AttrOr("href", "")
	})
	return out
}

func TestCasePageSummary(t *testing.T) {
	h, active := snSetup(t)
	coord, sw := h.signIn(models.RoleCoordinator), h.signIn(models.RoleSocialWorker)

	// A new referral: consent missing and nobody assigned; nothing due.
	fresh := wcCreate(t, h, &coord, wcParticipantForm("Nora", "Neu"))
	d := wcPage(t, h, &coord, fresh, http.StatusOK)
	if s := d.Find("#summary-status").AttrOr("data-status", ""); s != "referred" || !strings.Contains(d.Find("#summary-status").Text(), "Gemeldet") {
		t.Errorf("summary status %q %q", s, d.Find("#summary-status").Text())
	}
	if d.Find("#summary-review").Length() != 0 {
		t.Error("a referral shows a review due")
	}
	if d.Find(`#summary-consent[data-valid="false"]`).Length() != 1 {
		t.Error("summary: consent of a new referral not shown as missing")
	}
	cpSameMissing(t, "new referral", d)
	if got := cpTasks(d); fmt.Sprint(got) != fmt.Sprint(map[string]string{"consent_missing": "#case-consent", "no_social_worker": "#case-assignments"}) {
		t.Errorf("tasks of a new referral: %v", got)
	}
	for _, sel := range []string{"#summary-next-session", "#summary-next-visit"} {
		if !strings.Contains(d.Find(sel).Text(), "keiner geplant") {
			t.Errorf("%s: %q, want none planned", sel, d.Find(sel).Text())
		}
	}
	wcAssign(t, h, &coord, fresh, models.RoleSocialWorker)
	if got := cpTasks(wcPage(t, h, &coord, fresh, http.StatusOK)); fmt.Sprint(got) != fmt.Sprint(map[string]string{"consent_missing": "#case-consent"}) {
		t.Errorf("tasks once a social worker is assigned: %v", got)
	}

	// A case waiting for consent: the summary names each guardian once,
	// with what they have not consented to.
	pending := demoIDs(t, h, models.StatusConsentPending)
	if len(pending) == 0 {
		t.Fatal("demo data: no case waiting for consent")
	}
	d = wcPage(t, h, &sw, pending[0], http.StatusOK)
	if n := d.Find("#summary-consent li").Length(); n == 0 || n >= d.Find("#consent-missing li").Length() {
		t.Errorf("summary lists %d lines of missing consent, the section %d: want one a guardian", n, d.Find("#consent-missing li").Length())
	}
	cpSameMissing(t, "waiting for consent", d)

	// An active case: the next review as the reviews section says, the
	// consent valid, nothing to do.
	id := active[0]
	d = wcPage(t, h, &sw, id, http.StatusOK)
	due := d.Find("#review-due")
	if d.Find("#summary-review time").Text() == "" || !strings.HasPrefix(due.Text(), d.Find("#summary-review time").Text()) ||
		d.Find("#summary-review").AttrOr("data-overdue", "") != due.AttrOr("data-overdue", "") {
		t.Errorf("summary review %q (overdue %s), section %q (overdue %s)", d.Find("#summary-review").Text(),
			d.Find("#summary-review").AttrOr("data-overdue", ""), due.Text(), due.AttrOr("data-overdue", ""))
	}
	if d.Find(`#summary-consent[data-valid="true"]`).Length() != 1 || d.Find(`#consent-verdict[data-valid="true"]`).Length() != 1 {
		t.Error("summary: valid consent not shown as valid")
	}
	if got := cpTasks(d); len(got) != 0 || !strings.Contains(d.Find("#summary-tasks").Text(), "keine") {
		t.Errorf("active demo case: tasks %v", got)
	}

	// Overdue review, no goals: marked and listed as tasks.
	h.count("WITH x AS (DELETE FROM prevention.reviews WHERE participant_id = ? RETURNING 1) SELECT count(*) FROM x", id)
	h.count("WITH x AS (DELETE FROM prevention.goals WHERE participant_id = ? RETURNING 1) SELECT count(*) FROM x", id)
	h.count("WITH x AS (UPDATE prevention.participants SET activated_on = current_date - 100 WHERE id = ? RETURNING 1) SELECT count(*) FROM x", id)
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if d.Find(`#summary-review[data-overdue="true"] strong.overdue`).Length() != 1 {
		t.Errorf("overdue review not marked in the summary: %q", d.Find("#summary-review").Text())
	}
	if got := cpTasks(d); got["review_overdue"] != "#case-reviews" || got["no_goals"] != "#case-goals" || len(got) != 2 {
		t.Errorf("tasks with an overdue review and no goals: %v", got)
	}

	// The next planned session and visit, not the later ones nor the
	// past.
	sessionAt := func(days int) string {
		return testToday().AddDate(0, 0, days).Add(10 * 60 * 60 * 1e9).Format("2006-01-02T15:04:05Z")
	}
	var next string
	for _, days := range []int{5, 2, -1} {
		s := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/sessions", h.token(models.RoleSocialWorker), fmt.Sprintf(
			`{"participant_ids":[%q],"type":"anti_violence","started_at":%q,"duration_minutes":60,"planned":true}`, id, sessionAt(days))), 201))
		if days == 2 {
			next = s["id"].(string)
		}
	}
	for _, days := range []int{4, 3} {
		resp := h.web("POST", "/participants/"+id+"/visits", &sw, vsForm(testDate(days), "09:10", "09:50", "follow_up",
			"social_worker_id", wcStaffID(t, h, models.RoleSocialWorker)))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("plan a visit: %d: %s", resp.StatusCode, doc(t, resp).Find("#case-alert").Text())
		}
		resp.Body.Close()
	}
	d = wcPage(t, h, &sw, id, http.StatusOK)
	if a := d.Find("#summary-next-session a"); a.AttrOr("href", "") != "/sessions/"+next || !strings.Contains(a.Text(), deDate(testDate(2))) ||
		!strings.HasPrefix(a.Find("time").AttrOr("datetime", ""), testDate(2)+"T") {
		t.Errorf("next session %q → %q, want the one in 2 days (%s)", a.Text(), a.AttrOr("href", ""), next)
	}
	a := d.Find("#summary-next-visit a")
	target := d.Find(a.AttrOr("href", "-"))
	if !strings.Contains(a.Text(), deDate(testDate(3))) || !strings.HasPrefix(a.Find("time").AttrOr("datetime", ""), testDate(3)+"T") ||
		target.Length() != 1 || target.Closest("#case-visits").Length() != 1 {
		t.Errorf("next visit %q → %q, want the one in 3 days, in the visits section", a.Text(), a.AttrOr("href", ""))
	}

	// A language mediator: the status and the next visit, nothing else.
	med := h.signIn(models.RoleMediator)
	d = wcPage(t, h, &med, h.mediated()[0], http.StatusOK)
	if d.Find("#summary-status").Length() != 1 || d.Find("#summary-next-visit").Length() != 1 {
		t.Error("mediator: summary without status or next visit")
	}
	for _, sel := range []string{"#summary-next-session", "#summary-review", "#summary-consent", "#summary-tasks", "#summary-status .summary-since"} {
		if d.Find(sel).Length() != 0 {
			t.Errorf("mediator sees %s in the summary", sel)
		}
	}
}

// TestCasePageIndex checks the index against the page for each role that
// sees case pages, in German and in Arabic: every link leads to a section
// whose heading is the link's text, every section is listed in page
// order, ids are unique, headings go h1 > h2 > h3 without gaps.
func TestCasePageIndex(t *testing.T) {
	h, active := snSetup(t)
	views := []struct {
		role models.Role
		id   string
		want []string // nil: all sections
	}{
		{models.RoleSocialWorker, active[0], nil},
		{models.RoleCoordinator, active[0], nil},
		{models.RoleMediator, h.mediated()[0], []string{"case-status", "case-person", "case-family", "case-guardians", "case-visits", "case-documents"}},
	}
	all := []string{"case-status", "case-person", "case-notes", "case-sessions", "case-goals", "case-reviews", "case-assessment", "case-program",
		"case-closing", "case-family", "case-guardians", "case-visits", "case-consent", "case-documents", "case-assignments"}
	for _, lang := range []string{"de", "ar"} {
		for _, v := range views {
			where := string(v.role) + " (" + lang + ")"
			h.count("WITH x AS (UPDATE org.users SET language = ? WHERE email = ? RETURNING 1) SELECT count(*) FROM x", lang, h.logins[v.role])
			ws := h.signIn(v.role)
			d := wcPage(t, h, &ws, v.id, http.StatusOK)
			if got := d.Find("html").AttrOr("lang", ""); got != lang {
				t.Fatalf("%s: page in %q", where, got)
			}
			if d.Find("#case-summary + nav#case-index").Length() != 1 {
				t.Errorf("%s: the index does not follow the summary", where)
			}
			ids, titles := cpIndex(d)
			want := v.want
			if want == nil {
				want = all
			}
			if fmt.Sprint(ids) != fmt.Sprint(want) {
				t.Errorf("%s: index %v, want %v", where, ids, want)
			}
			var sections []string
			d.Find(".case-page > section.card[id]").Each(func(_ int, s *goquery.Selection) {
				if id := s.AttrOr("id", ""); id != "case-summary" {
					sections = append(sections, id)
				}
			})
			if fmt.Sprint(sections) != fmt.Sprint(ids) {
				t.Errorf("%s: sections on the page %v, in the index %v", where, sections, ids)
			}
			for i, id := range ids {
				s := d.Find("#" + id)
				if s.Length() != 1 || goquery.NodeName(s) != "section" {
					t.Errorf("%s: index link #%s leads nowhere", where, id)
					continue
				}
				if h2 := strings.TrimSpace(s.Find("h2").First().Text()); h2 != titles[i] || h2 == "" {
					t.Errorf("%s: index link %q, section heading %q", where, titles[i], h2)
				}
				if s.Find(`.section-head a.to-index[href="#case-index"]`).Length() != 1 {
					t.Errorf("%s: section %s has no way back to the index", where, id)
				}
			}
			seen := map[string]bool{}
			d.Find("[id]").Each(func(_ int, s *goquery.Selection) {
				id := s.AttrOr("id", "")
				if seen[id] {
					t.Errorf("%s: id %q twice", where, id)
				}
				seen[id] = true
			})
			level := 0
			d.Find("main h1, main h2, main h3, main h4, main h5, main h6").Each(func(_ int, s *goquery.Selection) {
				l := int(goquery.NodeName(s)[1] - '0')
				if l > level+1 {
					t.Errorf("%s: %s %q after h%d", where, goquery.NodeName(s), strings.TrimSpace(s.Text()), level)
				}
				level = l
			})
		}
	}
}

// TestCaseSavesReturnToTheirSection submits each form of the case page,
// and of the pages it links to, as a browser would: every save answers
// with the case page at the section it saved (a visit: at the visit), and
// that page shows the message of the save there, not on top. The form
// pages' ways back lead to their section too.
func TestCaseSavesReturnToTheirSection(t *testing.T) {
	h, active := snSetup(t)
	sw, coord := h.signIn(models.RoleSocialWorker), h.signIn(models.RoleCoordinator)
	id, closing := active[0], active[1]
	fresh := wcCreate(t, h, &coord, wcParticipantForm("Nora", "Neu"))
	goalOutcomes := func(d *goquery.Document, f url.Values) {
		d.Find(`select[name^="goal_"]`).Each(func(_ int, s *goquery.Selection) { f.Set(s.AttrOr("name", ""), "partly_achieved") })
	}
	steps := []struct {
		name     string
		ws       *webSession
		case_    string
		page     string // "" for the case page
		form     string
		section  string
		kv       []string
		fill     func(*goquery.Document, url.Values)
		atAnchor string // the redirect's anchor, when not the section
	}{
		{name: "add a goal", ws: &sw, case_: id, form: "form.goal-add-form", section: "case-goals", kv: []string{"title", "Pünktlich zur Schule"}},
		{name: "goal progress", ws: &sw, case_: id, form: "form.goal-form", section: "case-goals", kv: []string{"progress", "in_progress"}},
		{name: "record a review", ws: &sw, case_: id, form: "form.review-form", section: "case-reviews"},
		{name: "extend the program", ws: &sw, case_: id, form: "form.extend-form", section: "case-program", kv: []string{"reason", "Mehr Zeit"}},
		{name: "plan a visit", ws: &sw, case_: id, form: "form.plan-form", section: "case-visits",
			kv: []string{"date", testDate(3), "starts_at", "09:10", "ends_at", "09:50"}},
		{name: "note on a visit", ws: &sw, case_: id, form: "form.note-form", section: "case-visits", kv: []string{"outcome_note", "Familie war da"}, atAnchor: "visit-"},
		{name: "add a guardian", ws: &sw, case_: id, page: "/guardians/new", form: "form.case-form", section: "case-guardians",
			kv: []string{"first_name", "Onkel", "last_name", "Beispiel", "relationship", "other"}},
		{name: "request a consent", ws: &sw, case_: id, page: "/consents/new", form: "form.case-form", section: "case-consent",
			kv: []string{"purposes", "school_exchange", "state", "requested", "form_version", "2026-1"}},
		{name: "answer a consent", ws: &sw, case_: id, form: "form.answer-form", section: "case-consent", kv: []string{"state", "given"}},
		{name: "edit the person", ws: &sw, case_: id, page: "/edit", form: "form.case-form", section: "case-person", kv: []string{"school", "Gesamtschule Süd"}},
		{name: "edit the family", ws: &sw, case_: id, page: "family", form: "form.case-form", section: "case-family", kv: []string{"phone", "0201 1"}},
		{name: "withdraw a consent", ws: &sw, case_: id, form: "form.withdraw-form", section: "case-consent"},
		{name: "assign", ws: &coord, case_: fresh, form: "form.assign-form", section: "case-assignments",
			kv: []string{"user_id", wcStaffID(t, h, models.RoleSocialWorker), "kind", "social_worker", "from", wcDate(0, -2)}},
		{name: "end an assignment", ws: &coord, case_: fresh, form: "form.end-assignment-form", section: "case-assignments"},
		{name: "change the status", ws: &coord, case_: fresh, form: `form.status-form[data-to="contacted"]`, section: "case-status"},
		{name: "hold the closing interview", ws: &sw, case_: closing, page: "/closing", form: "form.closing-form", section: "case-closing",
			kv: []string{"outcome", "completed", "handover", "school"}, fill: goalOutcomes},
		{name: "reopen", ws: &coord, case_: closing, form: `#case-reopen form`, section: "case-status", kv: []string{"reason", "Irrtum"}},
	}
	for _, st := range steps {
		page := "/participants/" + st.case_ + st.page
		if st.page == "family" {
			page = wcPage(t, h, st.ws, st.case_, http.StatusOK).Find("#edit-family").AttrOr("href", "")
		}
		d := doc(t, h.web("GET", page, st.ws, nil))
		scope := d.Selection
		if st.page == "" {
			scope = d.Find("#" + st.section)
		}
		form := scope.Find(st.form).First()
		if form.Length() == 0 {
			t.Fatalf("%s: no %s in %s", st.name, st.form, page)
		}
		values := cpForm(form, st.kv...)
		if st.fill != nil {
			st.fill(d, values)
		}
		resp := h.web("POST", form.AttrOr("action", ""), st.ws, values)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%.400s", st.name, resp.StatusCode, readAll(t, resp))
		}
		resp.Body.Close()
		anchor := st.section
		if st.atAnchor != "" {
			anchor = st.atAnchor + strings.TrimPrefix(form.AttrOr("action", ""), "/visits/")
		}
		if want := "/participants/" + st.case_ + "#" + anchor; loc != want {
			t.Errorf("%s: to %q, want %q", st.name, loc, want)
			continue
		}
		d = wcPage(t, h, st.ws, st.case_, http.StatusOK)
		if d.Find("#"+anchor).Length() != 1 {
			t.Errorf("%s: the page has no #%s", st.name, anchor)
		}
		if d.Find("#"+st.section+" .flash").Text() == "" || d.Find("main > .flash").Length() != 0 {
			t.Errorf("%s: message in the section %q, on top %q", st.name, d.Find("#"+st.section+" .flash").Text(), d.Find("main > .flash").Text())
		}
	}

	// A refused save still shows the case page with the form's error.
	resp := h.web("POST", "/participants/"+id+"/goals", &sw, url.Values{"title": {" "}})
	if resp.StatusCode != http.StatusUnprocessableEntity || doc(t, resp).Find("#case-alert").Length() != 1 {
		t.Errorf("refused goal: %d", resp.StatusCode)
	}

	// Every way back from a form page leads to its section.
	backs := []struct {
		ws                  *webSession
		case_, page, anchor string
	}{
		{&sw, closing, "/guardians/new", "case-guardians"},
		{&sw, closing, "/consents/new", "case-consent"},
		{&sw, closing, "/edit", "case-person"},
		{&sw, active[1], "family", "case-family"},
		{&sw, fresh, "/status/declined", "case-status"},
		{&sw, closing, "/documents/consent", "case-documents"},
	}
	if more := demoIDs(t, h, models.StatusActive); len(more) > 2 {
		backs = append(backs, struct {
			ws                  *webSession
			case_, page, anchor string
		}{&sw, more[2], "/closing", "case-closing"})
	}
	for _, b := range backs {
		page := "/participants/" + b.case_ + b.page
		if b.page == "family" {
			page = wcPage(t, h, b.ws, b.case_, http.StatusOK).Find("#edit-family").AttrOr("href", "")
		}
		d := doc(t, expect(t, h.web("GET", page, b.ws, nil), http.StatusOK))
		n := 0
		d.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
			href := a.AttrOr("href", "")
			if u, _ := url.Parse(href); u != nil && u.Path == "/participants/"+b.case_ {
				n++
				if u.Fragment != b.anchor {
					t.Errorf("%s: link %q back to the case, want #%s", page, href, b.anchor)
				}
			}
		})
		if n == 0 {
			t.Errorf("%s: no way back to the case", page)
		}
	}
}

// A case with a long history (issue 15): its page lists the latest
// sessions and links the rest, a page of its own that pages through all
// of them, newest first; the summary still names the next planned session
// when a whole term is planned ahead.
func TestCasePageLatestSessions(t *testing.T) {
	h, active := snSetup(t)
	sw := h.signIn(models.RoleSocialWorker)
	tok := h.token(models.RoleSocialWorker)
	id := active[0]
	ids := func(d *goquery.Document) []string {
		var out []string
		d.Find("#case-sessions-list li.case-session").Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-id", "")) })
		return out
	}
	d := wcPage(t, h, &sw, id, http.StatusOK)
	before := ids(d)
	if len(before) >= 10 || d.Find("#case-sessions-list li").First().AttrOr("data-status", "") != "planned" ||
		d.Find("#summary-next-session a").AttrOr("href", "") != "/sessions/"+before[0] {
		t.Fatalf("demo case: %d sessions, the newest the next planned one: want fewer than 10 and so", len(before))
	}
	// Twelve weekly sessions planned after the demo's next one (in two
	// days): more than the page shows, and all of them after the next.
	var planned []string // nearest first
	for week := range 12 {
		at := testToday().AddDate(0, 0, 3+7*week).Add(16 * time.Hour).Format(time.RFC3339)
		s := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/sessions", tok, fmt.Sprintf(
			`{"participant_ids":[%q],"type":"anti_violence","started_at":%q,"duration_minutes":60,"planned":true}`, id, at)), 201))
		planned = append(planned, s["id"].(string))
	}
	d = wcPage(t, h, &sw, id, http.StatusOK)
	shown := ids(d)
	newest := slices.Clone(planned)
	slices.Reverse(newest)
	if !slices.Equal(shown, newest[:10]) {
		t.Errorf("case page lists %d sessions %v, want the newest 10 %v", len(shown), shown, newest[:10])
	}
	if a := d.Find("#case-sessions-all"); a.AttrOr("href", "") != "/participants/"+id+"/sessions" {
		t.Errorf("link to all sessions: %q", a.AttrOr("href", "(none)"))
	}
	if a := d.Find("#summary-next-session a"); a.AttrOr("href", "") != "/sessions/"+before[0] {
		t.Errorf("next session → %q, want the one in two days (%s), which the list does not show", a.AttrOr("href", ""), before[0])
	}

	// The sessions page: every session, newest first, in pages.
	all := slices.Concat(newest, before)
	d = snGet(t, h, &sw, "/participants/"+id+"/sessions", http.StatusOK)
	if got := ids(d); !slices.Equal(got, all) {
		t.Errorf("sessions page: %v, want %v", got, all)
	}
	if d.Find("#sessions-more").Length() != 0 || d.Find("#sessions-back").AttrOr("href", "") != "/participants/"+id+"#case-sessions" {
		t.Error("sessions page: a next page, or no way back to the case's section")
	}
	var paged []string
	path := "/participants/" + id + "/sessions?limit=5"
	for pages := 0; path != ""; pages++ {
		if pages > len(all) {
			t.Fatal("the sessions page does not end")
		}
		d = snGet(t, h, &sw, path, http.StatusOK)
		paged = append(paged, ids(d)...)
		path = d.Find("#sessions-more").AttrOr("href", "")
		if pages > 0 && d.Find("#sessions-first").Length() != 1 {
			t.Errorf("page %d without a link to the first", pages+1)
		}
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paged by 5: %v, want %v", paged, all)
	}
	d = snGet(t, h, &sw, "/participants/"+id+"/sessions?cursor=bm9wZQ", http.StatusUnprocessableEntity)
	if d.Find("#sessions-alert").Length() != 1 || len(ids(d)) != 0 {
		t.Error("a cursor the server did not make: want the page's alert and no list")
	}

	// Only the case's staff: a case that is not the social worker's own
	// is not found, a language mediator has no sessions page.
	coord := h.signIn(models.RoleCoordinator)
	other := wcCreate(t, h, &coord, wcParticipantForm("Nora", "Neu"))
	snGet(t, h, &coord, "/participants/"+other+"/sessions", http.StatusOK)
	snGet(t, h, &sw, "/participants/"+other+"/sessions", http.StatusNotFound)
	med := h.signIn(models.RoleMediator)
	if resp := h.web("GET", "/participants/"+h.mediated()[0]+"/sessions", &med, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("mediator: %d, want 403", resp.StatusCode)
	}
}
