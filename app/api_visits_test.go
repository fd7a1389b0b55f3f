package app_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kurve/app"
	"kurve/models"
)

func TestVisitAPIAndCalendar(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	med, sw := h.token(models.RoleMediator), h.token(models.RoleSocialWorker)
	// Active demo children whom the demo mediator is assigned to.
	ids := h.mediated()
	if len(ids) < 2 {
		t.Fatalf("demo data: %d active children with a mediator", len(ids))
	}
	day := testToday().AddDate(0, 0, 2)
	at := func(h int) string { return day.Add(time.Duration(h) * time.Hour).Format(time.RFC3339) }
	visit := func(id string, from, to int, purpose string) string {
		return fmt.Sprintf(`{"participant_id":%q,"starts_at":%q,"ends_at":%q,"purpose":%q}`, id, at(from), at(to), purpose)
	}
	v := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/visits", med, visit(ids[0], 9, 10, "follow_up")), 201))
	if _, ok := v["outcome_note"]; ok {
		t.Error("mediator gets the outcome note field")
	}
	// Double booking: 409 naming time and case number only.
	p := problem(t, expect(t, h.api("POST", "/api/v1/visits", med, visit(ids[1], 9, 11, "follow_up")), 409))
	if !strings.Contains(p.Detail, v["case_number"].(string)) || strings.Contains(p.Detail, "Haddad") {
		t.Errorf("conflict detail %q", p.Detail)
	}
	expect(t, h.api("POST", "/api/v1/visits", med, visit(ids[1], 10, 11, "follow_up")), 201).Body.Close() // touching
	expect(t, h.api("POST", "/api/v1/visits", med, `{"participant_id":"x","starts_at":"morgen","ends_at":"","purpose":"follow_up"}`), 422).Body.Close()
	// Mediators cannot write notes; social workers can.
	id := v["id"].(string)
	expect(t, h.api("PATCH", "/api/v1/visits/"+id, med, `{"version":1,"outcome_note":"x"}`), 403).Body.Close()
	// A visit the day after tomorrow cannot be done yet (422 naming the
	// field); yesterday's can, once.
	if p := problem(t, expect(t, h.api("PATCH", "/api/v1/visits/"+id, med, `{"version":1,"status":"nobody_home"}`), 422)); len(p.Errors) != 1 || p.Errors[0].Field != "status" {
		t.Errorf("future visit marked nobody home: %+v", p)
	}
	expect(t, h.api("PATCH", "/api/v1/visits/"+id, med, fmt.Sprintf(`{"version":1,"starts_at":%q,"ends_at":%q}`, at(12), at(13))), 200).Body.Close()
	past := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/visits", med, visit(ids[0], -72, -71, "follow_up")), 201))["id"].(string)
	expect(t, h.api("PATCH", "/api/v1/visits/"+past, med, `{"version":1,"status":"nobody_home"}`), 200).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/visits/"+past, sw, `{"version":1,"status":"done"}`), 409).Body.Close()
	list := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/visits", med, ""), 200))
	if len(list) < 2 {
		t.Errorf("mediator's visits %v", list)
	}
	// The mediator's field limits hold on every visit and family route.
	for _, x := range list {
		if _, ok := x["outcome_note"]; ok {
			t.Errorf("mediator's visit list carries outcome notes")
		}
	}
	swList := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/visits", sw, ""), 200))
	for _, x := range swList {
		if _, ok := x["outcome_note"]; !ok {
			t.Errorf("social worker's visit list lacks the outcome note field")
		}
	}
	fam := readAll(t, expect(t, h.api("GET", "/api/v1/families/"+decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+ids[0], med, ""))["family_id"].(string), med, ""), 200))
	for _, leak := range []string{"notes", "Trainingsgruppe", "date_of_birth"} {
		if strings.Contains(fam, leak) {
			t.Errorf("mediator's family view contains %q", leak)
		}
	}
	// Police, evaluators, admin: nothing.
	for _, role := range []models.Role{models.RolePoliceLiaison, models.RoleEvaluator, models.RoleAdmin, models.RoleDPO} {
		expect(t, h.api("GET", "/api/v1/visits", h.token(role), ""), 403).Body.Close()
	}

	// The calendar feed: secret URL from /me, no personal data, stable UIDs.
	me := decode[map[string]any](t, h.api("GET", "/api/v1/me", med, ""))
	feed, _ := me["calendar_url"].(string)
	u, err := url.Parse(feed)
	if err != nil || !strings.HasSuffix(u.Path, ".ics") {
		t.Fatalf("calendar_url %q", feed)
	}
	ics := readAll(t, expect(t, h.api("GET", u.Path, "", ""), 200))
	if !strings.HasPrefix(ics, "BEGIN:VCALENDAR") || !strings.Contains(ics, "UID:"+id+"@kurve") || !strings.Contains(ics, v["case_number"].(string)) {
		t.Fatalf("feed:\n%s", ics)
	}
	for _, pii := range []string{"Haddad", "Lindenstraße", "0201", "Samira", "Yusuf", "Demo Sprachmittlung", "ADDRESS", "LOCATION"} {
		if strings.Contains(ics, pii) {
			t.Errorf("feed contains %q", pii)
		}
	}
	if !regexp.MustCompile(`SEQUENCE:2`).MatchString(ics) {
		t.Errorf("moved/updated visit without a new SEQUENCE:\n%s", ics)
	}
	// Cancelled visits show as cancelled; a reset URL stops the old one.
	expect(t, h.api("PATCH", "/api/v1/visits/"+id, sw, `{"version":2,"status":"cancelled"}`), 200).Body.Close()
	if ics := readAll(t, h.api("GET", u.Path, "", "")); !strings.Contains(ics, "STATUS:CANCELLED") {
		t.Errorf("cancellation not in the feed")
	}
	ws := h.signIn(models.RoleMediator)
	d := doc(t, h.web("GET", "/profile", &ws, nil))
	if strings.TrimSpace(d.Find("#calendar-url").Text()) != feed {
		t.Errorf("profile shows %q, /me %q", d.Find("#calendar-url").Text(), feed)
	}
	expect(t, h.web("POST", "/profile/calendar", &ws, url.Values{}), 303).Body.Close()
	expect(t, h.api("GET", u.Path, "", ""), 404).Body.Close()
	expect(t, h.api("GET", "/calendar/kcal_guessed.ics", "", ""), 404).Body.Close()
	if _, ok := decode[map[string]any](t, h.api("GET", "/api/v1/me", h.token(models.RolePoliceLiaison), ""))["calendar_url"]; ok {
		t.Error("police liaison gets a calendar feed")
	}
}
