package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kurve/app"
	"kurve/models"
)

// Police contacts after a referral (issue 17, item 3): the liaison who
// submitted a referral records its later police contacts, through the API
// and on the referral's page; another liaison gets 404, every other role
// 403, and nothing of it reaches the prevention side.

// rcDay is the tests' today shifted by days, as YYYY-MM-DD.
func rcDay(d int) string { return testToday().AddDate(0, 0, d).Format(time.DateOnly) }

// rcBackdate makes a referral have arrived ten days ago.
func rcBackdate(t *testing.T, h *harness, id string) {
	t.Helper()
	if err := h.db.Gorm.Exec("UPDATE enforcement.referrals SET created_at = created_at - interval '10 days' WHERE id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
}

func TestReferralContactsAPI(t *testing.T) {
	h := newHarness(t, app.Config{})
	police := h.token(models.RolePoliceLiaison)
	id := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals", police, referralBody("Timo", "PP-K-1")), 201))["id"].(string)
	rcBackdate(t, h, id)
	base := "/api/v1/referrals/" + id + "/contacts"
	count := func() int {
		return h.count("SELECT count(*) FROM enforcement.police_contacts WHERE referral_id = ?", id)
	}

	// Recorded: 201 with the contact; the same key and body replay the
	// answer and write nothing; the same key with another body is 422.
	body := `{"occurred_on":"` + rcDay(-3) + `","category":"property"}`
	resp := expect(t, h.api("POST", base, police, body, "Idempotency-Key", "kontakt-1"), 201)
	if loc := resp.Header.Get("Location"); loc != base {
		t.Errorf("Location %q", loc)
	}
	got := decode[map[string]any](t, resp)
	if got["referral_id"] != id || got["occurred_on"] != rcDay(-3) || got["category"] != "property" || len(got["id"].(string)) != 36 ||
		got["recorded_at"] == "" || len(got) != 5 {
		t.Errorf("created %v", got)
	}
	again := expect(t, h.api("POST", base, police, body, "Idempotency-Key", "kontakt-1"), 201)
	if again.Header.Get("Idempotent-Replayed") != "true" || decode[map[string]any](t, again)["id"] != got["id"] || count() != 1 {
		t.Errorf("replay: %d contacts stored", count())
	}
	p := problem(t, expect(t, h.api("POST", base, police, `{"occurred_on":"`+rcDay(-2)+`","category":"property"}`, "Idempotency-Key", "kontakt-1"), 422))
	if len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" || count() != 1 {
		t.Errorf("key reused with another body: %+v, %d stored", p, count())
	}

	// Invalid: 422 with localised messages at the fields, nothing stored.
	for _, tc := range []struct {
		body, field, says string
	}{
		{`{"occurred_on":"` + rcDay(1) + `","category":"violence"}`, "occurred_on", "Zukunft"},
		{`{"occurred_on":"` + rcDay(-15) + `","category":"violence"}`, "occurred_on", "Meldung"},
		{`{"occurred_on":"` + rcDay(-1) + `","category":"riot"}`, "category", "Art des Kontakts"},
		{`{"occurred_on":"03.02.2026","category":"other"}`, "occurred_on", "JJJJ-MM-TT"},
		{`{"category":"other"}`, "occurred_on", "Tag des Kontakts"},
	} {
		p := problem(t, expect(t, h.api("POST", base, police, tc.body), 422))
		if len(p.Errors) != 1 || p.Errors[0].Field != tc.field || !strings.Contains(p.Errors[0].Message, tc.says) ||
			strings.Contains(p.Errors[0].Message, "validation.") {
			t.Errorf("%s: %+v", tc.body, p.Errors)
		}
	}
	if p := problem(t, expect(t, h.api("POST", base, police, `{}`, "Accept-Language", "en"), 422)); len(p.Errors) != 2 {
		t.Errorf("empty body: %+v", p.Errors)
	}
	expect(t, h.api("POST", base, police, `{"occurred_on":"`+rcDay(-1)+`","category":"other","notes":"x"}`), 400).Body.Close()
	if count() != 1 {
		t.Fatalf("%d contacts after refusals", count())
	}

	// Another liaison: 404 whatever the body, for the list too; other
	// roles: 403.
	addPoliceSession(t, h, "zweite@polizei.test", "ES")
	other := tokenFor(t, h, userID(t, h, "zweite@polizei.test"))
	for _, b := range []string{body, `{}`, `{"occurred_on":"gestern"}`} {
		expect(t, h.api("POST", base, other, b), 404).Body.Close()
	}
	expect(t, h.api("GET", base, other, ""), 404).Body.Close()
	expect(t, h.api("GET", "/api/v1/referrals/kaputt/contacts", police, ""), 404).Body.Close()
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RoleMediator, models.RoleEvaluator,
		models.RoleAdmin, models.RoleDPO} {
		tok := h.token(role)
		expect(t, h.api("POST", base, tok, body), 403).Body.Close()
		expect(t, h.api("GET", base, tok, ""), 403).Body.Close()
	}
	if count() != 1 {
		t.Fatalf("%d contacts after the others' attempts", count())
	}

	// The list: newest first (by day, then by when recorded), in pages.
	for _, d := range []int{-10, -1, -1, -5, 0} {
		expect(t, h.api("POST", base, police, `{"occurred_on":"`+rcDay(d)+`","category":"violence"}`), 201).Body.Close()
	}
	expectPages(t, h, police, base, arrayIDs, ownerIDs(t, h,
		"SELECT id::text FROM enforcement.police_contacts WHERE referral_id = ? ORDER BY occurred_on DESC, created_at DESC, id DESC", id))
	expectBadPaging(t, h, police, base)

	// Audited by ids: never the day or the category.
	if n := auditCount(t, h, models.AuditPoliceContactCreate); n != 6 {
		t.Errorf("%d contacts audited, want 6", n)
	}
	if n := auditCount(t, h, models.AuditPoliceContactRead); n == 0 {
		t.Error("reading the contacts is not audited")
	}
	var details []string
	h.db.Gorm.Raw("SELECT details::text FROM audit.events WHERE action LIKE 'police_contact.%'").Scan(&details)
	for _, d := range details {
		if strings.Contains(d, rcDay(-3)) || strings.Contains(d, "property") || strings.Contains(d, "violence") {
			t.Errorf("audit details %s", d)
		}
	}
}

// TestWebReferralContacts: the referral's page lists the contacts and has a
// small form to record one, with the CSRF token and a one-time key: a
// double tap records one contact; an invalid day shows the page again with
// the error at the field and what was typed.
func TestWebReferralContacts(t *testing.T) {
	h := newHarness(t, app.Config{})
	police := h.signIn(models.RolePoliceLiaison)
	rfSubmit(t, h, &police, rfForm("Lena", "Muster", "KK-4711-A"))
	id := rfOwnIDs(t, h, &police)["KK-4711-A"]
	rcBackdate(t, h, id)
	count := func() int {
		return h.count("SELECT count(*) FROM enforcement.police_contacts WHERE referral_id = ?", id)
	}

	d := rfGet(t, h, &police, "/referrals/"+id, http.StatusOK)
	if d.Find("#contacts-empty").Length() != 1 || d.Find("#contact-list").Length() != 0 {
		t.Errorf("contacts before any: %q", d.Find("#referral-contacts").Text())
	}
	sel := `form#contact-form[method="post"][action^="/referrals/` + id + `/contacts"]`
	form := formValues(d, sel)
	if form.Get("_submission") == "" || form.Get("occurred_on") != rcDay(0) || d.Find(sel+` input[name="_csrf"]`).AttrOr("value", "") == "" {
		t.Fatalf("contact form %v", form)
	}
	if d.Find(`#contact-occurred-on[type="date"][max="`+rcDay(0)+`"]`).Length() != 1 || d.Find(`#contact-category option[value="property"]`).Length() != 1 {
		t.Error("the form's day and category inputs")
	}

	// Invalid: 422, the page again with the error at the field and the
	// typed values; nothing stored.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("occurred_on", rcDay(2))
	bad.Set("category", "property")
	resp := h.web("POST", "/referrals/"+id+"/contacts", &police, bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid contact: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if !strings.Contains(d.Find("#contact-occurred-on-error").Text(), "Zukunft") || d.Find("#contact-occurred-on").AttrOr("aria-invalid", "") != "true" ||
		d.Find("#contact-occurred-on").AttrOr("value", "") != rcDay(2) || d.Find(`#contact-category option[selected]`).AttrOr("value", "") != "property" ||
		d.Find("#referral-first-name").Text() != "Lena" {
		t.Errorf("422 page: %q", d.Find("#referral-contacts").Text())
	}
	// Without the CSRF token: refused.
	forged := url.Values{"_csrf": {"forged"}}
	for k, v := range form {
		forged[k] = v
	}
	forged.Set("category", "violence")
	resp = h.web("POST", "/referrals/"+id+"/contacts", &police, forged)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || count() != 0 {
		t.Fatalf("without the CSRF token: %d, %d stored", resp.StatusCode, count())
	}

	// Saved, twice tapped: one contact, back on the page's contacts with a
	// flash.
	form.Set("occurred_on", rcDay(-4))
	form.Set("category", "violence")
	for i := 0; i < 2; i++ {
		resp = h.web("POST", "/referrals/"+id+"/contacts", &police, form)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/referrals/"+id+"#referral-contacts" {
			t.Fatalf("contact %d: %d to %q", i, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if count() != 1 {
		t.Fatalf("a double tap stored %d contacts", count())
	}
	d = rfGet(t, h, &police, "/referrals/"+id, http.StatusOK)
	items := d.Find("#contact-list li.police-contact")
	if items.Length() != 1 || items.Find("time").AttrOr("datetime", "") != rcDay(-4) || items.AttrOr("data-category", "") != "violence" ||
		!strings.Contains(items.Text(), "Gewaltdelikt") || !strings.Contains(d.Find(".flash").Text(), "Polizeikontakt") {
		t.Errorf("after saving: %q, flash %q", d.Find("#referral-contacts").Text(), d.Find(".flash").Text())
	}
	if n := auditCount(t, h, models.AuditPoliceContactCreate); n != 1 {
		t.Errorf("%d contacts audited", n)
	}

	// Another liaison: 404; other roles: 403.
	other := addPoliceSession(t, h, "zweite@polizei.test", "ES")
	f := url.Values{"occurred_on": {rcDay(-1)}, "category": {"other"}}
	resp = h.web("POST", "/referrals/"+id+"/contacts", &other, f)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("another liaison's contact: %d", resp.StatusCode)
	}
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RoleEvaluator, models.RoleDPO} {
		ws := h.signIn(role)
		resp := h.web("POST", "/referrals/"+id+"/contacts", &ws, url.Values{"occurred_on": {rcDay(-1)}, "category": {"other"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s records a contact: %d", role, resp.StatusCode)
		}
	}
	if count() != 1 {
		t.Errorf("%d contacts after the others' attempts", count())
	}
}
