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

// TestExportAPI: GET /api/v1/participants/{id}/export (GDPR Art. 15) is the
// data-protection officer's alone; it answers the child's data decrypted,
// a group session's notes withheld and listed, is audited, and answers 404
// for an unknown, malformed or erased participant.
func TestExportAPI(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	dpo := h.token(models.RoleDPO)
	var id, groupSession string
	h.db.Gorm.Raw(`SELECT sp.participant_id::text FROM prevention.session_participants sp
		WHERE EXISTS (SELECT 1 FROM prevention.session_participants o WHERE o.session_id = sp.session_id AND o.participant_id <> sp.participant_id)
		ORDER BY sp.participant_id LIMIT 1`).Scan(&id)
	if id == "" {
		t.Fatal("demo data: no child in a group session")
	}
	h.db.Gorm.Raw(`SELECT sp.session_id::text FROM prevention.session_participants sp WHERE sp.participant_id = ?
		AND EXISTS (SELECT 1 FROM prevention.session_participants o WHERE o.session_id = sp.session_id AND o.participant_id <> sp.participant_id)
		ORDER BY sp.session_id LIMIT 1`, id).Scan(&groupSession)
	caseNumber := caseNumberOf(t, h, id)
	path := "/api/v1/participants/" + id + "/export"

	for _, role := range models.Roles {
		if role != models.RoleDPO {
			expect(t, h.api("GET", path, h.token(role), ""), http.StatusForbidden).Body.Close()
		}
	}
	out := decode[map[string]any](t, expect(t, h.api("GET", path, dpo, ""), 200))
	p, _ := out["participant"].(map[string]any)
	if p["id"] != id || p["case_number"] != caseNumber || p["first_name"] == "" || p["date_of_birth"] == "" {
		t.Errorf("participant %v", p)
	}
	if _, enc := p["first_name_enc"]; enc {
		t.Error("the export holds ciphertexts")
	}
	withheld, _ := out["withheld"].([]any)
	found := false
	for _, w := range withheld {
		m := w.(map[string]any)
		found = found || (m["session_id"] == groupSession && m["reason"] == "group session")
	}
	if !found {
		t.Errorf("group session %s not listed as withheld: %v", groupSession, withheld)
	}
	sessions, _ := out["sessions"].([]any)
	for _, s := range sessions {
		m := s.(map[string]any)
		if m["id"] == groupSession && (m["notes"] != "" || m["location"] != "" || m["group"] != true) {
			t.Errorf("group session handed out %v", m)
		}
	}
	for _, section := range []string{"family", "guardians", "consents", "assignments", "goals", "status_changes", "audit"} {
		if out[section] == nil {
			t.Errorf("no %s", section)
		}
	}
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = ? AND object_id = ? AND actor_role = 'dpo'
		AND details->>'case_number' = ?`, models.AuditParticipantExport, id, caseNumber); n != 1 {
		t.Errorf("%d audit entries of the export", n)
	}

	expect(t, h.api("GET", "/api/v1/participants/00000000-0000-4000-8000-000000000000/export", dpo, ""), 404).Body.Close()
	expect(t, h.api("GET", "/api/v1/participants/not-a-uuid/export", dpo, ""), 404).Body.Close()
	ended := demoIDs(t, h, models.StatusEndedEarly)[0]
	expect(t, h.api("DELETE", "/api/v1/participants/"+ended, dpo, `{"reason":"data_subject_request"}`), 200).Body.Close()
	expect(t, h.api("GET", "/api/v1/participants/"+ended+"/export", dpo, ""), 404).Body.Close()
}

// TestExportWeb: the dpo's printable export page, reached by case number
// from the start page and the navigation; audited; errors at the field;
// an erased case has no export; Arabic right to left.
func TestExportWeb(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	active := demoIDs(t, h, models.StatusActive)[0]
	caseNumber := caseNumberOf(t, h, active)

	ws := h.signIn(models.RoleDPO)
	home := doc(t, expect(t, h.web("GET", "/", &ws, nil), 200))
	if home.Find(`#home-export[href="/export"]`).Length() != 1 || home.Find(`#nav-export[href="/export"]`).Length() != 1 {
		t.Error("no link to the export on the dpo's start page and navigation")
	}
	d := doc(t, expect(t, h.web("GET", "/export", &ws, nil), 200))
	if d.Find(`#export-form input[name="_csrf"]`).Length() != 1 || d.Find("#export-case-number").Length() != 1 {
		t.Error("the form has no CSRF token or case number field")
	}
	for _, c := range []struct{ caseNumber, text string }{{"ES-1999-9999", "keinen Fall"}, {"Name", "ES-2026-0042"}, {"", "füllen"}} {
		d := doc(t, expect(t, h.web("POST", "/export", &ws, url.Values{"case_number": {c.caseNumber}}), http.StatusUnprocessableEntity))
		if !strings.Contains(d.Find("#export-case-number-error").Text(), c.text) {
			t.Errorf("%q: error %q", c.caseNumber, d.Find("#export-case-number-error").Text())
		}
	}

	page := readAll(t, expect(t, h.web("POST", "/export", &ws, url.Values{"case_number": {strings.ToLower(caseNumber)}}), 200))
	if strings.Contains(page, "export.") || strings.Contains(page, "_enc") {
		t.Error("the page shows a message ID or a ciphertext field")
	}
	// The demo's baseline assessment (issue 17), its comment decrypted.
	if !strings.Contains(page, "aggression (Version 1): 4") || !strings.Contains(page, "substance_use (Version 1): nicht einschätzbar") ||
		!strings.Contains(page, "Ersteinschätzung im Gespräch") {
		t.Error("the export page lacks the assessment")
	}
	d, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Find("#export-doc-heading").Text(), caseNumber) {
		t.Errorf("heading %q", d.Find("#export-doc-heading").Text())
	}
	for _, section := range []string{"participant", "family", "guardians", "consents", "assignments", "sessions", "goals", "status_changes", "referral", "audit", "withheld"} {
		if d.Find("#export-"+section+"-heading").Length() != 1 {
			t.Errorf("no section %s", section)
		}
	}
	if !strings.Contains(d.Find("#export-participant").Text(), "Aktenzeichen") || !strings.Contains(d.Find("#export-participant").Text(), caseNumber) {
		t.Error("the child's section has no labelled case number")
	}
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = ? AND object_id = ? AND actor_role = 'dpo'`, models.AuditParticipantExport, active); n != 1 {
		t.Errorf("%d audit entries of the web export", n)
	}

	// Arabic: right to left, labels in Arabic.
	if err := h.db.Gorm.Exec("UPDATE org.users SET language = 'ar' WHERE role = 'dpo'").Error; err != nil {
		t.Fatal(err)
	}
	ar := doc(t, expect(t, h.web("POST", "/export", &ws, url.Values{"case_number": {caseNumber}}), 200))
	if dir, _ := ar.Find("html").Attr("dir"); dir != "rtl" || !strings.Contains(ar.Find("#export-participant").Text(), "رقم الملف") {
		t.Errorf("Arabic page: dir %q", dir)
	}

	h.db.Gorm.Exec("UPDATE org.users SET language = 'de' WHERE role = 'dpo'")
	// An erased case: no export.
	ended := demoIDs(t, h, models.StatusEndedEarly)[0]
	expect(t, h.api("DELETE", "/api/v1/participants/"+ended, h.token(models.RoleDPO), `{"reason":"data_subject_request"}`), 200).Body.Close()
	d = doc(t, expect(t, h.web("POST", "/export", &ws, url.Values{"case_number": {caseNumberOf(t, h, ended)}}), http.StatusNotFound))
	if d.Find("#export-problem").Text() == "" {
		t.Error("no answer for an erased case")
	}

	// Nobody else.
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleAdmin, models.RoleSocialWorker} {
		ws := h.signIn(role)
		resp := h.web("GET", "/export", &ws, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: GET /export %d", role, resp.StatusCode)
		}
		resp.Body.Close()
	}
}
