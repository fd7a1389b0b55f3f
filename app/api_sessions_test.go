package app_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"kurve/app"
	"kurve/models"
)

// demoIDs returns the ids of the demo participants with status st.
func demoIDs(t *testing.T, h *harness, st models.Status) []string {
	t.Helper()
	var ids []string
	h.db.Gorm.Raw("SELECT id FROM prevention.participants WHERE status = ? ORDER BY case_number", string(st)).Scan(&ids)
	return ids
}

func TestSessionAPI(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	sw, coord := h.token(models.RoleSocialWorker), h.token(models.RoleCoordinator)

	// The catalogue, in the caller's language.
	ms := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/measures", sw, ""), 200))
	if len(ms) < 7 || ms[0]["code"] != "social_skills" || ms[0]["name"] != "Soziales Kompetenztraining" || len(ms[0]["modules"].([]any)) != 3 {
		t.Fatalf("measures %v", ms[0])
	}
	expect(t, h.api("PUT", "/api/v1/measures/street_work", sw, `{"names":{"de":"a","en":"b","tr":"c","ar":"d"}}`), 403).Body.Close()
	m := decode[map[string]any](t, expect(t, h.api("PUT", "/api/v1/measures/street_work", coord,
		`{"names":{"de":"Aufsuchende Arbeit","en":"Street work","tr":"Sokak çalışması","ar":"العمل الميداني"},"modules":[{"code":"park","names":{"de":"Park","en":"Park","tr":"Park","ar":"الحديقة"}}]}`), 200))
	if m["name"] != "Aufsuchende Arbeit" || len(m["modules"].([]any)) != 1 {
		t.Errorf("saved measure %v", m)
	}
	expect(t, h.api("PUT", "/api/v1/measures/Bad-Code", coord, `{"names":{"de":"a","en":"b","tr":"c","ar":"d"}}`), 422).Body.Close()

	active := demoIDs(t, h, models.StatusActive)
	pending := demoIDs(t, h, models.StatusConsentPending)
	if len(active) < 2 || len(pending) < 1 {
		t.Fatalf("demo data: %d active, %d pending", len(active), len(pending))
	}
	at := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	body := func(ids []string, att map[string]string) string {
		q := make([]string, 0, len(ids))
		for _, id := range ids {
			q = append(q, fmt.Sprintf("%q", id))
		}
		a := make([]string, 0, len(att))
		for k, v := range att {
			a = append(a, fmt.Sprintf("%q:%q", k, v))
		}
		return fmt.Sprintf(`{"participant_ids":[%s],"type":"anti_violence","module":"triggers","started_at":%q,"duration_minutes":75,
			"attendance":{%s},"notes":"Gruppe API-Test"}`, strings.Join(q, ","), at, strings.Join(a, ","))
	}
	// The consent/status gate: 422 naming the case, nothing stored.
	p := problem(t, expect(t, h.api("POST", "/api/v1/sessions", sw,
		body([]string{active[0], pending[0]}, map[string]string{active[0]: "attended", pending[0]: "attended"})), 422))
	if !strings.Contains(fmt.Sprint(p.Errors), "ES-2026-") {
		t.Errorf("refusal does not name the case: %+v", p.Errors)
	}
	// A group session with attendance per participant.
	s := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/sessions", sw,
		body(active[:2], map[string]string{active[0]: "attended", active[1]: "absent"})), 201))
	if s["type_name"] != "Anti-Gewalt-Training" || len(s["participant_ids"].([]any)) != 2 {
		t.Fatalf("session %v", s)
	}
	for i, want := range []string{"attended", "absent"} {
		list := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+active[i]+"/sessions", sw, ""), 200))
		var found map[string]any
		for _, x := range list {
			if x["id"] == s["id"] {
				found = x
			}
		}
		if found == nil || found["attendance"].(map[string]any)[active[i]] != want || found["notes"] != "Gruppe API-Test" {
			t.Errorf("participant %d sees %v", i, found)
		}
	}
	// Editing keeps a version.
	id := s["id"].(string)
	expect(t, h.api("PATCH", "/api/v1/sessions/"+id, sw, fmt.Sprintf(`{"version":1,"attendance":{%q:"excused"}}`, active[1])), 200).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/sessions/"+id, sw, `{"version":1,"notes":"stale"}`), 409).Body.Close()

	// Goals, review, extension, closing.
	g := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+active[1]+"/goals", sw, `{"title":"Ohne Gewalt streiten","target_on":"2027-03-01"}`), 201))
	expect(t, h.api("PATCH", "/api/v1/goals/"+g["id"].(string), sw, `{"version":1,"progress":"achieved"}`), 200).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/goals/"+g["id"].(string), sw, `{"version":1,"progress":"dropped"}`), 409).Body.Close()
	rv := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+active[1]+"/reviews", sw, ""), 200))
	if rv["timing"].(map[string]any)["review_due"] == nil {
		t.Errorf("no review due for an active child: %v", rv)
	}
	expect(t, h.api("POST", "/api/v1/participants/"+active[1]+"/reviews", sw, fmt.Sprintf(`{"held_on":%q,"notes":"Besprechung"}`, testDate(0))), 201).Body.Close()
	expect(t, h.api("POST", "/api/v1/participants/"+active[1]+"/extensions", sw, `{"reason":""}`), 422).Body.Close()
	ext := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+active[1]+"/extensions", sw, `{"reason":"Schulwechsel"}`), 201))
	if ext["extensions"].(float64) != 1 {
		t.Errorf("extension %v", ext)
	}
	goals := decode[[]map[string]any](t, h.api("GET", "/api/v1/participants/"+active[1]+"/goals", sw, ""))
	outcomes := make([]string, 0, len(goals))
	for _, x := range goals {
		outcomes = append(outcomes, fmt.Sprintf("%q:\"achieved\"", x["id"]))
	}
	cur := decode[map[string]any](t, h.api("GET", "/api/v1/participants/"+active[1], sw, ""))
	closing := func(version float64) string {
		return fmt.Sprintf(`{"version":%d,"ended_on":%q,"outcome":"completed","handover":"school","assessment":"Stabil","goals":{%s}}`,
			int(version), testDate(0), strings.Join(outcomes, ","))
	}
	expect(t, h.api("POST", "/api/v1/participants/"+active[1]+"/closing", sw, closing(cur["version"].(float64)-1)), 409).Body.Close()
	closed := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+active[1]+"/closing", sw, closing(cur["version"].(float64))), 200))
	if closed["status"] != "completed" {
		t.Errorf("after closing %v", closed["status"])
	}
	// Evaluators and mediators get no session data at all.
	for _, role := range []models.Role{models.RoleEvaluator, models.RoleMediator} {
		expect(t, h.api("GET", "/api/v1/sessions/"+id, h.token(role), ""), 403).Body.Close()
		expect(t, h.api("GET", "/api/v1/participants/"+active[0]+"/sessions", h.token(role), ""), 403).Body.Close()
	}
}

// TestWebSessionEdit: a recorded session is corrected on its page; a stale
// form answers 409 with the typed input kept and saves nothing.
func TestWebSessionEdit(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	var id, pid string
	h.db.Gorm.Raw(`SELECT s.id FROM prevention.sessions s WHERE s.status = 'held' ORDER BY s.started_at DESC LIMIT 1`).Scan(&id)
	h.db.Gorm.Raw(`SELECT participant_id FROM prevention.session_participants WHERE session_id = ? ORDER BY participant_id LIMIT 1`, id).Scan(&pid)
	ws := h.signIn(models.RoleSocialWorker)
	d := doc(t, expect(t, h.web("GET", "/sessions/"+id, &ws, nil), 200))
	if d.Find(`#session-edit input[name="attendance_`+pid+`"]`).Length() != 3 {
		t.Fatalf("no attendance choice for %s", pid)
	}
	version, _ := d.Find(`#session-edit input[name="version"]`).Attr("value")
	form := url.Values{"version": {version}, "status": {"held"}, "notes": {"Korrigiert"}, "attendance_" + pid: {"absent"}}
	resp := h.web("POST", "/sessions/"+id, &ws, form)
	if resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	resp.Body.Close()
	form.Set("notes", "Veraltet")
	resp = h.web("POST", "/sessions/"+id, &ws, form)
	if resp.StatusCode != 409 {
		t.Fatalf("stale save: %d", resp.StatusCode)
	}
	if got := doc(t, resp).Find("#notes").Text(); got != "Veraltet" {
		t.Errorf("typed notes lost: %q", got)
	}
	d = doc(t, h.web("GET", "/sessions/"+id, &ws, nil))
	if d.Find("#notes").Text() != "Korrigiert" {
		t.Errorf("notes after the stale save: %q", d.Find("#notes").Text())
	}
	if v, _ := d.Find(`input[name="attendance_` + pid + `"][checked]`).Attr("value"); v != "absent" {
		t.Errorf("attendance %q", v)
	}
	for _, role := range []models.Role{models.RoleMediator, models.RoleEvaluator, models.RoleAdmin} {
		other := h.signIn(role)
		if resp := h.web("GET", "/sessions/"+id, &other, nil); resp.StatusCode != 403 {
			t.Errorf("%s: %d", role, resp.StatusCode)
		}
	}
}
