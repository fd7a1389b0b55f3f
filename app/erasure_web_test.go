package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
	"kurve/models/dbtest"
)

// caseNumberOf reads a participant's case number as the owner.
func caseNumberOf(t *testing.T, h *harness, id string) string {
	t.Helper()
	var n string
	h.db.Gorm.Raw("SELECT case_number FROM prevention.participants WHERE id = ?", id).Scan(&n)
	if n == "" {
		t.Fatalf("no case number for %s", id)
	}
	return n
}

// confirmForm reads the confirmation page's form: its hidden fields, with
// the page's own submission key.
func confirmForm(t *testing.T, d *goquery.Document) url.Values {
	t.Helper()
	form := url.Values{}
	d.Find(`#erasure-confirm-form input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		form.Set(name, value)
	})
	if form.Get("_submission") == "" || form.Get("participant_id") == "" {
		t.Fatalf("confirmation form without key or participant: %v", form)
	}
	return form
}

// TestErasureWeb: the dpo erases a case through the web in two steps — the
// form names the case by its number and a reason, the confirmation page
// says what goes and what stays, and only the confirmation erases, once,
// audited once, also when it is sent twice. An open case is refused with
// the localised 409 on the form, an unknown case number at its field, and
// nobody but the dpo gets in.
func TestErasureWeb(t *testing.T) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	var ended []string
	for _, st := range []models.Status{models.StatusEndedEarly, models.StatusCompleted, models.StatusDeclined, models.StatusWithdrawn} {
		ended = append(ended, demoIDs(t, h, st)...)
	}
	if len(ended) < 4 {
		t.Fatalf("demo data: %d ended cases, need 4", len(ended))
	}
	active := demoIDs(t, h, models.StatusActive)[0]
	erasures := func(id string) int {
		return h.count("SELECT count(*) FROM audit.events WHERE action = ? AND object_id = ?", models.AuditParticipantErase, id)
	}
	erased := func(id string) bool {
		return h.count("SELECT count(*) FROM prevention.participants WHERE id = ? AND erased_at IS NOT NULL", id) == 1
	}

	ws := h.signIn(models.RoleDPO)
	home := doc(t, expect(t, h.web("GET", "/", &ws, nil), 200))
	if home.Find(`#home-erasure[href="/erasure"]`).Length() != 1 || home.Find(`#nav-erasure[href="/erasure"]`).Length() != 1 {
		t.Error("no link to the erasure on the dpo's start page and navigation")
	}
	d := doc(t, expect(t, h.web("GET", "/erasure", &ws, nil), 200))
	if n := d.Find("#erasure-reason option").Length(); n != len(models.EraseReasons)+1 {
		t.Errorf("%d reasons to choose from", n)
	}
	if d.Find(`#erasure-form input[name="_csrf"]`).Length() != 1 || d.Find(`#erasure-form input[name="_submission"]`).Length() != 1 {
		t.Error("the form has no CSRF token or submission key")
	}

	// Form errors at their field, in German; nothing erased.
	for _, c := range []struct{ caseNumber, reason, field, text string }{
		{"ES-1999-9999", "data_subject_request", "case-number", "keinen Fall"},
		{"Name", "data_subject_request", "case-number", "ES-2026-0042"},
		{"", "data_subject_request", "case-number", "füllen"},
		{caseNumberOf(t, h, ended[0]), "weil", "reason", "vorgesehenen"},
	} {
		resp := h.web("POST", "/erasure", &ws, url.Values{"case_number": {c.caseNumber}, "reason": {c.reason}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%q/%q: status %d", c.caseNumber, c.reason, resp.StatusCode)
			resp.Body.Close()
			continue
		}
		d := doc(t, resp)
		if d.Find(`#erasure-`+c.field+`[aria-invalid="true"]`).Length() != 1 || !strings.Contains(d.Find("#erasure-"+c.field+"-error").Text(), c.text) {
			t.Errorf("%q/%q: error %q", c.caseNumber, c.reason, d.Find("#erasure-"+c.field+"-error").Text())
		}
	}

	// The confirmation step erases nothing.
	caseNumber := caseNumberOf(t, h, ended[0])
	d = doc(t, expect(t, h.web("POST", "/erasure", &ws, url.Values{"case_number": {strings.ToLower(caseNumber)}, "reason": {"consent_withdrawn"},
		"_submission": {"check-1"}}), 200))
	if d.Find("#erasure-case-number").Text() != caseNumber || d.Find("#erasure-reason").Text() != "Einwilligung widerrufen" ||
		d.Find("#erasure-destroyed").Text() == "" || d.Find("#erasure-kept").Text() == "" ||
		d.Find(`#erasure-cancel[href="/erasure"]`).Length() != 1 {
		t.Errorf("confirmation page: case %q, reason %q", d.Find("#erasure-case-number").Text(), d.Find("#erasure-reason").Text())
	}
	form := confirmForm(t, d)
	if form.Get("participant_id") != ended[0] || form.Get("case_number") != caseNumber || form.Get("reason") != "consent_withdrawn" || form.Get("_csrf") == "" {
		t.Errorf("confirmation form %v", form)
	}
	if erased(ended[0]) || erasures(ended[0]) != 0 {
		t.Fatal("erased before the confirmation")
	}

	// Confirmed: erased, audited once, and the dpo lands on the entry.
	resp := expect(t, h.web("POST", "/erasure/confirm", &ws, form), http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	resp.Body.Close()
	if !strings.HasPrefix(loc, "/audit?") || !strings.Contains(loc, url.QueryEscape(caseNumber)) {
		t.Errorf("after the erasure: %q", loc)
	}
	if !erased(ended[0]) || erasures(ended[0]) != 1 {
		t.Fatalf("erased %v, %d audit entries", erased(ended[0]), erasures(ended[0]))
	}
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action = ? AND object_id = ? AND actor_role = 'dpo'
		AND details->>'reason' = 'consent_withdrawn' AND details->>'case_number' = ?`, models.AuditParticipantErase, ended[0], caseNumber); n != 1 {
		t.Error("the erasure is audited without reason or case number")
	}
	d = doc(t, expect(t, h.web("GET", loc, &ws, nil), 200))
	if d.Find(".flash").Text() == "" || d.Find("#audit-entries tbody tr").Length() != 1 ||
		!strings.Contains(d.Find("#audit-entries tbody tr").Text(), models.AuditParticipantErase) {
		t.Errorf("after the erasure: flash %q, %d entries", d.Find(".flash").Text(), d.Find("#audit-entries tbody tr").Length())
	}

	// The same form again (a double tap): the first answer, nothing new.
	resp = expect(t, h.web("POST", "/erasure/confirm", &ws, form), http.StatusSeeOther)
	resp.Body.Close()
	if resp.Header.Get("Location") != loc || resp.Header.Get("Idempotent-Replayed") != "true" || erasures(ended[0]) != 1 {
		t.Errorf("second tap: %q replayed %q, %d audit entries", resp.Header.Get("Location"), resp.Header.Get("Idempotent-Replayed"), erasures(ended[0]))
	}
	// The confirmation page sent again (a new key): erased already, 404.
	form.Set("_submission", "again-1")
	d = doc(t, expect(t, h.web("POST", "/erasure/confirm", &ws, form), http.StatusNotFound))
	if !strings.Contains(d.Find("#erasure-problem").Text(), "bereits gelöscht") || erasures(ended[0]) != 1 {
		t.Errorf("erased twice: %q, %d audit entries", d.Find("#erasure-problem").Text(), erasures(ended[0]))
	}

	// Two taps at once, with one key and with two keys: one erasure.
	for i, keys := range [][2]string{{"tap-a", "tap-a"}, {"tap-b", "tap-c"}} {
		id := ended[i+1]
		d := doc(t, expect(t, h.web("POST", "/erasure", &ws, url.Values{"case_number": {caseNumberOf(t, h, id)}, "reason": {"no_longer_needed"}}), 200))
		form := confirmForm(t, d)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for j := range statuses {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("_submission", keys[j])
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := h.web("POST", "/erasure/confirm", &ws, f)
				statuses[j] = resp.StatusCode
				resp.Body.Close()
			}()
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			switch {
			case s == http.StatusSeeOther:
				ok++
			case s == http.StatusNotFound && keys[0] != keys[1]:
			default:
				t.Errorf("taps %v: status %d", keys, s)
			}
		}
		if ok == 0 || (keys[0] == keys[1] && ok != 2) || !erased(id) || erasures(id) != 1 {
			t.Errorf("taps %v: statuses %v, erased %v, %d audit entries", keys, statuses, erased(id), erasures(id))
		}
	}

	// An open case: confirmation page, then the 409 on the form.
	activeNumber := caseNumberOf(t, h, active)
	d = doc(t, expect(t, h.web("POST", "/erasure", &ws, url.Values{"case_number": {activeNumber}, "reason": {"data_subject_request"}}), 200))
	resp = h.web("POST", "/erasure/confirm", &ws, confirmForm(t, d))
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("open case: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if !strings.Contains(d.Find("#erasure-problem").Text(), "nicht beendet") || d.Find("#erasure-case-number").AttrOr("value", "") != activeNumber {
		t.Errorf("open case: problem %q", d.Find("#erasure-problem").Text())
	}
	if erased(active) || erasures(active) != 0 {
		t.Error("the open case was erased")
	}
	// A tampered confirmation (the id of another case than the number).
	form = confirmForm(t, doc(t, expect(t, h.web("POST", "/erasure", &ws, url.Values{"case_number": {activeNumber}, "reason": {"unlawful"}}), 200)))
	form.Set("participant_id", ended[len(ended)-1])
	expect(t, h.web("POST", "/erasure/confirm", &ws, form), http.StatusNotFound).Body.Close()
	if erased(ended[len(ended)-1]) {
		t.Error("a case other than the one named was erased")
	}

	// In Arabic, right to left.
	dbtest.Exec(t, h.db.Gorm, "UPDATE org.users SET language = 'ar' WHERE email = ?", h.logins[models.RoleDPO])
	d = doc(t, expect(t, h.web("GET", "/erasure", &ws, nil), 200))
	if dir, _ := d.Find("html").Attr("dir"); dir != "rtl" || d.Find("h1").Text() != "حذف ملف (المادة 17 من اللائحة العامة لحماية البيانات)" {
		t.Errorf("arabic: dir %q, h1 %q", dir, d.Find("h1").Text())
	}

	// Nobody but the dpo.
	for _, role := range models.Roles {
		if role == models.RoleDPO {
			continue
		}
		other := h.signIn(role)
		for _, r := range []struct {
			method, path string
			form         url.Values
		}{
			{"GET", "/erasure", nil},
			{"POST", "/erasure", url.Values{"case_number": {activeNumber}, "reason": {"unlawful"}}},
			{"POST", "/erasure/confirm", url.Values{"participant_id": {ended[len(ended)-1]}, "case_number": {caseNumberOf(t, h, ended[len(ended)-1])}, "reason": {"unlawful"}}},
		} {
			if resp := h.web(r.method, r.path, &other, r.form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %s %s: %d", role, r.method, r.path, resp.StatusCode)
			}
		}
	}
	if erased(ended[len(ended)-1]) {
		t.Error("erased by somebody who is not the dpo")
	}
}
