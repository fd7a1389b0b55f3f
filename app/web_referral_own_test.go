package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kurve/app"
	"kurve/models"
)

// Police see their own referral (issue 16, web): the list links each
// referral to its page, which shows it as submitted with its feedback; the
// edit form corrects it while intake has not decided; another liaison gets
// 404.

// addPoliceSession creates a police liaison of site and signs them in.
func addPoliceSession(t *testing.T, h *harness, email, site string) webSession {
	t.Helper()
	var ws webSession
	err := models.InTx(context.Background(), h.db.Gorm, models.DBAdmin, models.Actor{}, func(st *models.Store) error {
		_, err := st.CreateUser(models.NewUserInput{Email: email, Name: "Weitere Verbindung", Role: models.RolePoliceLiaison,
			SiteCode: site, Password: "long enough password"})
		return err
	})
	if err == nil {
		err = models.InTx(context.Background(), h.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) error {
			u, err := st.UserByEmail(email)
			if err != nil {
				return err
			}
			sess, cookie, err := st.NewSession(u.ID, u.Language, true)
			ws = webSession{cookie: &http.Cookie{Name: "kurve_session", Value: cookie}, csrf: sess.CSRFToken}
			return err
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// formValues reads the values of the form sel of a page as a browser
// would send them (without the CSRF field, which h.web adds).
func formValues(d *goquery.Document, sel string) url.Values {
	f := url.Values{}
	d.Find(sel + ` input[name], ` + sel + ` textarea, ` + sel + ` select`).Each(func(_ int, s *goquery.Selection) {
		name := s.AttrOr("name", "")
		switch {
		case name == "_csrf":
		case goquery.NodeName(s) == "textarea":
			f.Set(name, s.Text())
		case goquery.NodeName(s) == "select":
			f.Set(name, s.Find("option[selected]").AttrOr("value", ""))
		default:
			f.Set(name, s.AttrOr("value", ""))
		}
	})
	return f
}

// rfOwnIDs maps the police references of the liaison's list to the
// referral pages they link to.
func rfOwnIDs(t *testing.T, h *harness, police *webSession) map[string]string {
	t.Helper()
	out := map[string]string{}
	rfGet(t, h, police, "/referrals", http.StatusOK).Find("#referrals a.referral-link").Each(func(_ int, s *goquery.Selection) {
		out[s.Text()] = strings.TrimPrefix(s.AttrOr("href", ""), "/referrals/")
	})
	return out
}

func TestWebOwnReferral(t *testing.T) {
	h := newHarness(t, app.Config{})
	police := h.signIn(models.RolePoliceLiaison)
	coord := h.signIn(models.RoleCoordinator)
	rfSubmit(t, h, &police, rfForm("Lena", "Muster", "KK-4711-A"))
	rfSubmit(t, h, &police, rfForm("Tom", "Zweiter", "KK-4712-B", "reason_category", "property"))
	ids := rfOwnIDs(t, h, &police)
	lena, tom := ids["KK-4711-A"], ids["KK-4712-B"]
	if len(lena) != 36 || len(tom) != 36 {
		t.Fatalf("the list does not link the referrals: %v", ids)
	}

	// The page: as submitted, with the feedback; the read is audited.
	reads := auditCount(t, h, models.AuditReferralRead)
	d := rfGet(t, h, &police, "/referrals/"+lena, http.StatusOK)
	for sel, want := range map[string]string{"#referral-first-name": "Lena", "#referral-last-name": "Muster", "#referral-dob": wcDay(-10),
		"#referral-gender": "männlich", "#referral-site": "ES", "#referral-reason": "Gewaltdelikt", "#referral-police-reference": "KK-4711-A",
		"#referral-unit": rfUnit, "#referral-officer": rfOfficer, "#referral-guardian-name": "Sabine Muster",
		"#referral-guardian-phone": "0201 5550123", "#referral-notes": rfNote + " zu Lena", "#referral-status": "Eingegangen"} {
		if got := strings.TrimSpace(d.Find(sel).Text()); got != want {
			t.Errorf("%s: %q, want %q", sel, got, want)
		}
	}
	if !rfMonthRE.MatchString(strings.TrimSpace(d.Find("#referral-since").Text())) {
		t.Errorf("since %q", d.Find("#referral-since").Text())
	}
	if d.Find(`a#edit-referral[href="/referrals/`+lena+`/edit"]`).Length() != 1 || d.Find("#referral-locked").Length() != 0 {
		t.Error("an undecided referral offers no correction")
	}
	if v, _ := d.Find("#nav-referrals").Attr("aria-current"); v != "true" {
		t.Errorf("nav current %q below /referrals", v)
	}
	if n := auditCount(t, h, models.AuditReferralRead); n != reads+1 {
		t.Errorf("the page's read audited %d times", n-reads)
	}

	// The edit form, filled in, with the version and the form's keys.
	d = rfGet(t, h, &police, "/referrals/"+lena+"/edit", http.StatusOK)
	form := formValues(d, `form[action="/referrals/`+lena+`"][method="post"]`)
	if form.Get("version") != "1" || form.Get("first_name") != "Lena" || form.Get("site") != "ES" || form.Get("reason_category") != "violence" ||
		form.Get("date_of_birth") != wcDay(-10) || form.Get("notes") != rfNote+" zu Lena" || form.Get("officer_name") != rfOfficer ||
		form.Get("_submission") == "" {
		t.Fatalf("edit form values %v", form)
	}
	if v := d.Find(`form input[name="_csrf"]`).AttrOr("value", ""); v == "" || v == police.csrf {
		t.Errorf("edit form's CSRF field %q", v)
	}
	second := formValues(rfGet(t, h, &police, "/referrals/"+lena+"/edit", http.StatusOK), "form.referral-form")

	// Invalid: 422, localised errors at the fields, input kept, nothing saved.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("first_name", "")
	bad.Set("date_of_birth", "10.03.2015")
	bad.Set("notes", "Getippt")
	resp := h.web("POST", "/referrals/"+lena, &police, bad)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid correction: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if !strings.Contains(d.Find("#first_name-error").Text(), "Vorname") || !strings.Contains(d.Find("#date_of_birth-error").Text(), "JJJJ-MM-TT") ||
		d.Find("#form-alert").Length() != 1 || d.Find("#notes").Text() != "Getippt" || d.Find(`input[name="version"]`).AttrOr("value", "") != "1" {
		t.Errorf("422 page: %q", d.Find("main").Text())
	}
	// Without the CSRF token: refused.
	nocsrf := url.Values{"_csrf": {"forged"}}
	for k, v := range form {
		nocsrf[k] = v
	}
	resp = h.web("POST", "/referrals/"+lena, &police, nocsrf)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a correction without the CSRF token: %d", resp.StatusCode)
	}
	if n := auditCount(t, h, models.AuditReferralUpdate); n != 0 {
		t.Fatalf("refused corrections saved %d times", n)
	}

	// Saved: back on the page, corrected, with a flash; audited once, by
	// the names of the fields changed. A double tap (the same one-time
	// form key) replays the answer and saves nothing more.
	form.Set("first_name", "Leni")
	form.Set("reason_category", "property")
	for i := 0; i < 2; i++ {
		resp = h.web("POST", "/referrals/"+lena, &police, form)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/referrals/"+lena {
			t.Fatalf("correction %d: %d to %q", i, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	d = rfGet(t, h, &police, "/referrals/"+lena, http.StatusOK)
	if d.Find("#referral-first-name").Text() != "Leni" || d.Find("#referral-reason").Text() != "Eigentumsdelikt" ||
		!strings.Contains(d.Find(".flash").Text(), "Korrektur") {
		t.Errorf("after the correction: %q, %q, flash %q", d.Find("#referral-first-name").Text(), d.Find("#referral-reason").Text(),
			d.Find(".flash").Text())
	}
	var details []string
	h.db.Gorm.Raw("SELECT details::text FROM audit.events WHERE action = ?", models.AuditReferralUpdate).Scan(&details)
	if len(details) != 1 || details[0] != `{"fields": ["first_name", "reason_category"], "version": 2}` {
		t.Errorf("correction audited as %v", details)
	}

	// The second tab, opened at version 1: 409, its input kept, and the
	// current version, so that saving again overwrites knowingly.
	second.Set("last_name", "Zweiter Tab")
	resp = h.web("POST", "/referrals/"+lena, &police, second)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale correction: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if !strings.Contains(d.Find("#conflict-alert").Text(), "inzwischen") || d.Find("#last_name").AttrOr("value", "") != "Zweiter Tab" ||
		d.Find(`input[name="version"]`).AttrOr("value", "") != "2" {
		t.Errorf("conflict page: %q", d.Find("main").Text())
	}
	if got := rfGet(t, h, &police, "/referrals/"+lena, http.StatusOK).Find("#referral-last-name").Text(); got != "Muster" {
		t.Errorf("the stale tab overwrote the correction: %q", got)
	}
	again := formValues(d, "form.referral-form")
	resp = h.web("POST", "/referrals/"+lena, &police, again)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("saving again after the conflict: %d", resp.StatusCode)
	}

	// The coordinator reads the corrected referral at intake.
	if _, ok := rfQueue(t, h, &coord)["Lena Zweiter Tab"]; !ok {
		t.Errorf("intake queue after the correction: %v", rfQueue(t, h, &coord))
	}

	// Intake decides: the page is read-only and says so; the edit form
	// goes back to it; a correction is refused with 409.
	edit := formValues(rfGet(t, h, &police, "/referrals/"+tom+"/edit", http.StatusOK), "form.referral-form")
	resp = h.web("POST", "/intake/"+lena+"/accept", &coord, url.Values{})
	resp.Body.Close()
	resp = h.web("POST", "/intake/"+tom+"/decline", &coord, url.Values{"reason": {"outside_area"}})
	resp.Body.Close()
	for _, id := range []string{lena, tom} {
		d = rfGet(t, h, &police, "/referrals/"+id, http.StatusOK)
		if !strings.Contains(d.Find("#referral-locked").Text(), "nicht mehr geändert") || d.Find(`#edit-referral, a[href$="/edit"]`).Length() != 0 {
			t.Errorf("decided referral page: %q", d.Find("main").Text())
		}
		resp = h.web("GET", "/referrals/"+id+"/edit", &police, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/referrals/"+id {
			t.Errorf("edit form of a decided referral: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	edit.Set("first_name", "Zu spät")
	resp = h.web("POST", "/referrals/"+tom, &police, edit)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("correction after the decision: %d", resp.StatusCode)
	}
	d = doc(t, resp)
	if !strings.Contains(d.Find("#referral-alert").Text(), "inzwischen") || d.Find("#referral-first-name").Text() != "Tom" ||
		d.Find("#referral-locked").Length() != 1 {
		t.Errorf("decided meanwhile: %q", d.Find("main").Text())
	}
	if n := auditCount(t, h, models.AuditReferralUpdate); n != 2 {
		t.Errorf("%d corrections audited, want 2", n)
	}
	// Nothing of the decision but that it was taken: the same words for
	// an accepted and a declined referral, and the feedback as before.
	a := rfGet(t, h, &police, "/referrals/"+lena, http.StatusOK).Find("main")
	b := rfGet(t, h, &police, "/referrals/"+tom, http.StatusOK).Find("main")
	if a.Find("#referral-locked").Text() != b.Find("#referral-locked").Text() ||
		a.Find("#referral-status").Text() != "Eingegangen" || b.Find("#referral-status").Text() != "Eingegangen" {
		t.Error("the pages tell an accepted referral from a declined one")
	}
}

// TestWebOwnReferralOthers: another liaison, of the same site or another,
// gets 404 for the page, the form and the correction; no other role gets
// the pages at all.
func TestWebOwnReferralOthers(t *testing.T) {
	h := newHarness(t, app.Config{})
	police := h.signIn(models.RolePoliceLiaison)
	rfSubmit(t, h, &police, rfForm("Ida", "Eigen", "KK-0001-X"))
	id := rfOwnIDs(t, h, &police)["KK-0001-X"]
	form := formValues(rfGet(t, h, &police, "/referrals/"+id+"/edit", http.StatusOK), "form.referral-form")
	form.Set("first_name", "Fremd")
	for _, other := range []webSession{addPoliceSession(t, h, "zweite@polizei.test", "ES"), addPoliceSession(t, h, "duisburg@polizei.test", "DU")} {
		for _, path := range []string{"/referrals/" + id, "/referrals/" + id + "/edit"} {
			rfGet(t, h, &other, path, http.StatusNotFound)
		}
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("_submission", "")
		resp := h.web("POST", "/referrals/"+id, &other, f)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("another liaison's correction: %d", resp.StatusCode)
		}
		if d := rfGet(t, h, &other, "/referrals", http.StatusOK); d.Find("#referrals-empty").Length() != 1 {
			t.Error("another liaison lists the referral")
		}
	}
	rfGet(t, h, &police, "/referrals/00000000-0000-0000-0000-00000000abcd", http.StatusNotFound)
	rfGet(t, h, &police, "/referrals/kaputt", http.StatusNotFound)
	if got := rfGet(t, h, &police, "/referrals/"+id, http.StatusOK).Find("#referral-first-name").Text(); got != "Ida" {
		t.Errorf("after the others' attempts: %q", got)
	}
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RoleMediator, models.RoleEvaluator,
		models.RoleAdmin, models.RoleDPO} {
		ws := h.signIn(role)
		for _, path := range []string{"/referrals/" + id, "/referrals/" + id + "/edit"} {
			rfGet(t, h, &ws, path, http.StatusForbidden)
		}
	}
}
