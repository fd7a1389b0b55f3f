package app_test

import (
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
)

// TestErasureAPI: DELETE /api/v1/participants/{id} (GDPR Art. 17) is the
// data-protection officer's alone, refuses a case that has not ended, and
// afterwards the participant answers 404 to everybody; the erasure is
// audited with the reason and the case number.
func TestErasureAPI(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	dpo, coord := h.token(models.RoleDPO), h.token(models.RoleCoordinator)
	ended, active := demoIDs(t, h, models.StatusEndedEarly)[0], demoIDs(t, h, models.StatusActive)[0]
	body := `{"reason":"data_subject_request"}`

	expect(t, h.api("DELETE", "/api/v1/participants/"+ended, coord, body), 403).Body.Close()
	expect(t, h.api("DELETE", "/api/v1/participants/"+ended, dpo, `{"reason":"weil"}`), 422).Body.Close()
	expect(t, h.api("DELETE", "/api/v1/participants/"+ended, dpo, `{}`), 422).Body.Close()
	p := decode[map[string]any](t, expect(t, h.api("DELETE", "/api/v1/participants/"+active, dpo, body), 409))
	if !strings.Contains(p["detail"].(string), "nicht beendet") {
		t.Errorf("409 detail %q", p["detail"])
	}
	expect(t, h.api("DELETE", "/api/v1/participants/00000000-0000-4000-8000-000000000000", dpo, body), 404).Body.Close()
	expect(t, h.api("DELETE", "/api/v1/participants/not-a-uuid", dpo, body), 404).Body.Close()

	var caseNumber string
	h.db.Gorm.Raw("SELECT case_number FROM prevention.participants WHERE id = ?", ended).Scan(&caseNumber)
	out := decode[map[string]any](t, expect(t, h.api("DELETE", "/api/v1/participants/"+ended, dpo, body), 200))
	if out["case_number"] != caseNumber || out["erased"] != true {
		t.Errorf("erasure answered %v", out)
	}
	expect(t, h.api("GET", "/api/v1/participants/"+ended, coord, ""), 404).Body.Close()
	expect(t, h.api("DELETE", "/api/v1/participants/"+ended, dpo, body), 404).Body.Close()
	list := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/participants", coord, ""), 200))
	for _, row := range list {
		if row["id"] == ended {
			t.Error("the erased participant is listed")
		}
	}
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = ? AND object_id = ? AND details->>'reason' = 'data_subject_request'
		AND details->>'case_number' = ? AND actor_role = 'dpo'`, models.AuditParticipantErase, ended, caseNumber); n != 1 {
		t.Errorf("%d audit entries of the erasure", n)
	}
	if n := h.count("SELECT count(*) FROM prevention.participants WHERE id = ? AND erased_at IS NOT NULL AND first_name_enc = ''", ended); n != 1 {
		t.Error("the participant row is not anonymised")
	}
}
