package app_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"kurve/app"
	"kurve/models"
)

func referralBody(first, ref string) string {
	return fmt.Sprintf(`{"first_name":%q,"last_name":"Meldungstest","date_of_birth":"2014-02-03","gender":"male","site":"ES",
		"reason_category":"violence","police_reference":%q,"referring_unit":"PI Essen-Mitte","officer_name":"POK Beispiel",
		"guardian_name":"Mutter %s","guardian_phone":"0201 424242","notes":"Polizeivermerk %s"}`, first, ref, first, first)
}

func TestReferralAPI(t *testing.T) {
	h := newHarness(t, app.Config{})
	police, coord := h.token(models.RolePoliceLiaison), h.token(models.RoleCoordinator)

	p := problem(t, expect(t, h.api("POST", "/api/v1/referrals", police, `{"first_name":"X","site":"ZZ"}`), 422))
	if len(p.Errors) < 4 {
		t.Errorf("validation errors %+v", p.Errors)
	}
	created := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals", police, referralBody("Timo", "PP-1")), 201))
	if created["status"] != "received" || len(created) != 2 {
		t.Fatalf("created %v", created)
	}
	id := created["id"].(string)
	other := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals", police, referralBody("Ugur", "PP-2")), 201))["id"].(string)

	// The police view: the feedback (the stable {id, police_reference,
	// status}, and its month) and their own fields (TestReferralAPIOwn).
	fb := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/referrals/"+id, police, ""), 200))
	if fb["id"] != id || fb["status"] != "received" || fb["police_reference"] != "PP-1" ||
		!regexp.MustCompile(`^\d{4}-\d{2}$`).MatchString(fb["since"].(string)) || fb["first_name"] != "Timo" {
		t.Errorf("police view %v", fb)
	}
	// The intake view: identity and contact, nothing of the police's own.
	queue := readAll(t, expect(t, h.api("GET", "/api/v1/referrals", coord, ""), 200))
	for _, leak := range []string{"Polizeivermerk", "POK Beispiel", "PI Essen-Mitte", "PP-1", "police_reference", "notes"} {
		if strings.Contains(queue, leak) {
			t.Errorf("intake queue shows %q", leak)
		}
	}
	if !strings.Contains(queue, "Timo") || !strings.Contains(queue, "0201 424242") {
		t.Errorf("intake queue lacks identity or contact: %s", queue)
	}
	// Others get nothing.
	for _, role := range []models.Role{models.RoleSocialWorker, models.RoleMediator, models.RoleEvaluator, models.RoleAdmin, models.RoleDPO} {
		expect(t, h.api("GET", "/api/v1/referrals", h.token(role), ""), 403).Body.Close()
	}
	expect(t, h.api("POST", "/api/v1/referrals/"+id+"/accept", police, ""), 403).Body.Close()

	// Accept one, decline the other.
	part := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals/"+id+"/accept", coord, ""), 201))
	if part["status"] != "referred" || part["first_name"] != "Timo" || part["notes"] != "" || part["intake"] != "new_case" {
		t.Errorf("participant from referral %v", part)
	}
	// The guardian the police named came along, custody unconfirmed.
	gs := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+part["id"].(string)+"/guardians", coord, ""), 200))
	if len(gs) != 1 || gs[0]["last_name"] != "Timo" || gs[0]["phone"] != "0201 424242" || gs[0]["custody_confirmed"] != false || gs[0]["has_custody"] != true {
		t.Errorf("guardian from referral %v", gs)
	}
	expect(t, h.api("POST", "/api/v1/referrals/"+id+"/accept", coord, ""), 404).Body.Close()
	expect(t, h.api("POST", "/api/v1/referrals/"+other+"/decline", coord, `{"reason":"whatever"}`), 422).Body.Close()
	expect(t, h.api("POST", "/api/v1/referrals/"+other+"/decline", coord, `{"reason":"duplicate"}`), 200).Body.Close()
	if q := decode[[]map[string]any](t, h.api("GET", "/api/v1/referrals", coord, "")); len(q) != 0 {
		t.Errorf("queue after decisions %v", q)
	}
	// The police still see "received" for both: no consent to feedback.
	for _, f := range decode[[]map[string]any](t, h.api("GET", "/api/v1/referrals", police, "")) {
		if f["status"] != "received" {
			t.Errorf("feedback without consent %v", f)
		}
	}
	if n := auditCount(t, h, models.AuditReferralAccept); n != 1 {
		t.Errorf("%d accept audits", n)
	}
}

// TestPoliceSeeNoPreventionData walks every route a police liaison may call,
// on a site full of casework, and fails when any response carries a value
// of the prevention side: staff names, notes, guardian data the social
// workers recorded, statuses, or any date of casework.
func TestPoliceSeeNoPreventionData(t *testing.T) {
	policeSeeNoPreventionData(t, nil)
}

// TestPoliceSeeNoPreventionDataAt2330UTC runs the same walk at 23:30 UTC,
// when Berlin, and so the program, is already on the next day: the hour in
// which this test used to fail every night.
func TestPoliceSeeNoPreventionDataAt2330UTC(t *testing.T) {
	policeSeeNoPreventionData(t, pinnedClock(pinnedAt(23, 30)))
}

func policeSeeNoPreventionData(t *testing.T, clock func() time.Time) {
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key, Clock: clock})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	police, coord := h.token(models.RolePoliceLiaison), h.token(models.RoleCoordinator)

	// Two referrals become cases with feedback consent, one is declined,
	// one waits for intake (so its correction form is walked too).
	var refs []string
	for i, name := range []string{"Vito", "Wael", "Xaver", "Yannick"} {
		refs = append(refs, decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals", police, referralBody(name, fmt.Sprintf("PP-S-%d", i))), 201))["id"].(string))
	}
	for _, id := range refs[:2] {
		p := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals/"+id+"/accept", coord, ""), 201))
		pid := p["id"].(string)
		// The guardian the referral named: staff confirm she has no custody.
		carried := decode[[]map[string]any](t, expect(t, h.api("GET", "/api/v1/participants/"+pid+"/guardians", coord, ""), 200))
		expect(t, h.api("POST", "/api/v1/participants/"+pid+"/guardians/"+carried[0]["id"].(string)+"/custody", coord,
			`{"relationship":"aunt_uncle","has_custody":false}`), 200).Body.Close()
		g := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/participants/"+pid+"/guardians", coord,
			`{"first_name":"Zeynep","last_name":"Sorgetest","relationship":"mother","has_custody":true,"phone":"0201 313131"}`), 201))
		expect(t, h.api("POST", "/api/v1/participants/"+pid+"/consents", coord, fmt.Sprintf(
			`{"guardian_id":%q,"purposes":["participation","data_processing","police_feedback"],"form_version":"2026-1","form_language":"tr","given_on":"2026-02-17"}`, g["id"])), 201).Body.Close()
		v := 1
		for _, st := range []string{"contacted", "consent_pending", "active"} {
			v = int(decode[map[string]any](t, expect(t, h.api("PATCH", "/api/v1/participants/"+pid, coord,
				fmt.Sprintf(`{"version":%d,"status":%q,"notes":"Sozialpädagogische Notiz %s"}`, v, st, st)), 200))["version"].(float64))
		}
		// The prevention side corrects the child's name in its own record:
		// the police's page still shows their referral as submitted.
		expect(t, h.api("PATCH", "/api/v1/participants/"+pid, coord, fmt.Sprintf(`{"version":%d,"first_name":"Praeventionsname"}`, v)), 200).Body.Close()
	}
	expect(t, h.api("POST", "/api/v1/referrals/"+refs[2]+"/decline", coord, `{"reason":"outside_area"}`), 200).Body.Close()
	// The liaison records a later police contact of each child, today
	// (issue 17): their own data, on the referral's pages and its list.
	for _, id := range refs {
		expect(t, h.api("POST", "/api/v1/referrals/"+id+"/contacts", police, `{"occurred_on":"`+h.today()+`","category":"property"}`), 201).Body.Close()
	}

	// What the prevention side knows, which the police must never read.
	var secrets []string
	var staff []string
	h.db.Gorm.Raw("SELECT name FROM org.users WHERE role IN ('social_worker','coordinator','language_mediator')").Scan(&staff)
	secrets = append(secrets, staff...)
	secrets = append(secrets, "Praeventionsname", "Sozialpädagogische Notiz", "Zeynep", "Sorgetest", "0201 313131", "2026-02-17",
		"consent_pending", `:"active"`, "ended_early", "Trainingsgruppe", "Haddad-Demo", "0201 5550101",
		// Session types, places, notes and goals of the demo casework.
		"Soziales Kompetenztraining", "Social skills", "social_skills", "Rollenspiele", "Jugendtreff", "Konflikte ohne Gewalt")
	var dates []string
	h.db.Gorm.Raw(`SELECT DISTINCT d::text FROM (SELECT status_changed_on AS d FROM prevention.participants UNION
		SELECT activated_on FROM prevention.participants UNION SELECT given_on FROM prevention.consents UNION
		SELECT effective_on FROM prevention.status_changes) x WHERE d IS NOT NULL`).Scan(&dates)
	// The liaison's own profile shows the days their tokens were created
	// and expire (in Berlin, like every date the app shows); the referral
	// routes are checked for any full date below.
	var own []string
	h.db.Gorm.Raw(`SELECT DISTINCT to_char(x AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD') FROM auth.api_tokens t
		JOIN org.users u ON u.id = t.user_id, LATERAL (VALUES (t.created_at), (t.expires_at)) v(x)
		WHERE u.role = 'police_liaison'`).Scan(&own)
	if len(own) == 0 {
		t.Fatal("the liaison has no token")
	}
	// Their own too: the day the referrals arrived and their contacts
	// were recorded, as pages show it (Berlin) and as the API's instants
	// do (UTC: between 23:00 and 24:00 UTC the day before Berlin's), and
	// the program's day by the server's clock (the day of their contacts,
	// the last day the contact form takes).
	var arrived []string
	h.db.Gorm.Raw(`SELECT DISTINCT to_char(at AT TIME ZONE z, 'YYYY-MM-DD') FROM
		(SELECT created_at FROM enforcement.referrals UNION ALL SELECT created_at FROM enforcement.police_contacts) r(at),
		(VALUES ('Europe/Berlin'), ('UTC')) tz(z)`).Scan(&arrived)
	own = append(append(own, arrived...), h.today())
	for _, d := range dates {
		if !slices.Contains(own, d) {
			secrets = append(secrets, d)
		}
	}

	ws := h.signIn(models.RolePoliceLiaison)
	fullDate := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	visited := 0
	// The pages of one referral (issue 16) are walked for each referral:
	// its page, its correction form and its API view.
	walked := map[string]int{}
	for _, r := range h.srv.Routes() {
		if r.Method != http.MethodGet || r.Access == app.Public {
			continue
		}
		if (r.Access == app.Account || r.Access == app.Side) && !r.Allows(models.RolePoliceLiaison) {
			continue
		}
		paths := []string{r.Path}
		if strings.Contains(r.Path, ":") {
			paths = nil
			for _, id := range refs {
				paths = append(paths, paramRE.ReplaceAllString(r.Path, id))
			}
		}
		for _, path := range paths {
			var resp *http.Response
			if r.API {
				resp = h.api("GET", path, police, "")
			} else {
				resp = h.web("GET", path, &ws, nil)
			}
			body := readAll(t, resp)
			visited++
			if strings.Contains(r.Path, ":id") && strings.Contains(r.Path, "referrals") {
				walked[r.Path]++
			}
			for _, s := range secrets {
				if s != "" && strings.Contains(body, s) {
					t.Errorf("GET %s shows prevention value %q", path, s)
				}
			}
			// The full dates a referral's pages may show are the liaison's
			// own: the child's birth date they submitted (referralBody), and
			// the days their referrals arrived and their contacts occurred.
			if strings.Contains(path, "referral") {
				rest := strings.ReplaceAll(body, "2014-02-03", "")
				for _, d := range own {
					rest = strings.ReplaceAll(rest, d, "")
				}
				if fullDate.MatchString(rest) {
					t.Errorf("GET %s shows a date finer than the month: %q", path, fullDate.FindString(rest))
				}
			}
		}
	}
	if visited < 5 {
		t.Fatalf("only %d police responses checked", visited)
	}
	for _, path := range []string{"/referrals/:id", "/referrals/:id/edit", "/api/v1/referrals/:id", "/api/v1/referrals/:id/contacts"} {
		if walked[path] != len(refs) {
			t.Errorf("%s walked for %d referrals, want %d", path, walked[path], len(refs))
		}
	}
	// And the feedback is there, as it should be.
	got := readAll(t, h.api("GET", "/api/v1/referrals", police, ""))
	if strings.Count(got, `"in_program"`) != 2 || strings.Count(got, `"received"`) != 2 {
		t.Errorf("police feedback %s", got)
	}
}

// TestReferralAPIOwn: the police liaison reads their own referral with the
// fields they submitted and its version, and corrects it with PATCH until
// intake decides: 422 on invalid input, 409 on a stale version and once
// decided, 404 for another liaison's.
func TestReferralAPIOwn(t *testing.T) {
	h := newHarness(t, app.Config{})
	police, coord := h.token(models.RolePoliceLiaison), h.token(models.RoleCoordinator)
	id := decode[map[string]any](t, expect(t, h.api("POST", "/api/v1/referrals", police, referralBody("Timo", "PP-1")), 201))["id"].(string)

	reads := auditCount(t, h, models.AuditReferralRead)
	got := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/referrals/"+id, police, ""), 200))
	want := map[string]any{"id": id, "police_reference": "PP-1", "status": "received", "first_name": "Timo", "last_name": "Meldungstest",
		"date_of_birth": "2014-02-03", "gender": "male", "site": "ES", "reason_category": "violence", "referring_unit": "PI Essen-Mitte",
		"officer_name": "POK Beispiel", "guardian_name": "Mutter Timo", "guardian_phone": "0201 424242", "notes": "Polizeivermerk Timo",
		"version": float64(1), "editable": true}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want)+1 || !regexp.MustCompile(`^\d{4}-\d{2}$`).MatchString(got["since"].(string)) {
		t.Errorf("police view %v", got)
	}
	if n := auditCount(t, h, models.AuditReferralRead); n != reads+1 {
		t.Errorf("the read audited %d times", n-reads)
	}

	// Validation as when submitting, localised, with an errors list.
	p := problem(t, expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police,
		`{"version":1,"first_name":"","date_of_birth":"03.02.2014","site":"ZZ"}`), 422))
	fields := map[string]string{}
	for _, e := range p.Errors {
		fields[e.Field] = e.Message
	}
	if fields["date_of_birth"] == "" || strings.Contains(fields["date_of_birth"], "validation.") {
		t.Errorf("unreadable date: %+v", p)
	}
	p = problem(t, expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police, `{"version":1,"first_name":"","site":"ZZ","reason_category":"riot"}`), 422))
	fields = map[string]string{}
	for _, e := range p.Errors {
		fields[e.Field] = e.Message
	}
	if len(fields) != 2 || !strings.Contains(fields["first_name"], "Vorname") || fields["reason_category"] == "" {
		t.Errorf("invalid correction: %+v", p.Errors)
	}
	p = problem(t, expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police, `{"version":1,"site":"ZZ"}`), 422))
	if len(p.Errors) != 1 || p.Errors[0].Field != "site" {
		t.Errorf("unknown site: %+v", p.Errors)
	}
	expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police, `{"first_name":"Ohne Version"}`), 422).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police, `{"version":1,"nickname":"x"}`), 400).Body.Close()
	req := h.api("PATCH", "/api/v1/referrals/"+id, police, "")
	req.Body.Close()
	if req.StatusCode != 415 {
		t.Errorf("PATCH without a JSON body: %d", req.StatusCode)
	}

	// A partial correction: the fields sent, the others as they were.
	fixed := decode[map[string]any](t, expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police,
		`{"version":1,"first_name":"Timon","notes":"","reason_category":"other"}`), 200))
	if fixed["first_name"] != "Timon" || fixed["notes"] != "" || fixed["reason_category"] != "other" || fixed["last_name"] != "Meldungstest" ||
		fixed["officer_name"] != "POK Beispiel" || fixed["version"] != float64(2) || fixed["status"] != "received" || fixed["editable"] != true {
		t.Errorf("corrected %v", fixed)
	}
	// Stale: 409, nothing changed.
	p = problem(t, expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police, `{"version":1,"first_name":"Veraltet"}`), 409))
	if !strings.Contains(p.Detail, "inzwischen") {
		t.Errorf("stale detail %q", p.Detail)
	}
	if n := auditCount(t, h, models.AuditReferralUpdate); n != 1 {
		t.Errorf("%d corrections audited", n)
	}

	// Nobody else: another liaison 404, other roles 403.
	addPoliceSession(t, h, "zweite@polizei.test", "DU")
	otherToken := tokenFor(t, h, userID(t, h, "zweite@polizei.test"))
	expect(t, h.api("GET", "/api/v1/referrals/"+id, otherToken, ""), 404).Body.Close()
	expect(t, h.api("PATCH", "/api/v1/referrals/"+id, otherToken, `{"version":2,"first_name":"Fremd"}`), 404).Body.Close()
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RoleMediator, models.RoleAdmin, models.RoleDPO} {
		expect(t, h.api("PATCH", "/api/v1/referrals/"+id, h.token(role), `{"version":2,"first_name":"Fremd"}`), 403).Body.Close()
	}
	// The coordinator's view is still the intake view, now corrected.
	intake := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/referrals/"+id, coord, ""), 200))
	if intake["first_name"] != "Timon" || intake["police_reference"] != nil || intake["version"] != nil {
		t.Errorf("intake view %v", intake)
	}

	// Decided: read-only, 409 with its own detail.
	expect(t, h.api("POST", "/api/v1/referrals/"+id+"/decline", coord, `{"reason":"duplicate"}`), 200).Body.Close()
	if got := decode[map[string]any](t, expect(t, h.api("GET", "/api/v1/referrals/"+id, police, ""), 200)); got["editable"] != false ||
		got["first_name"] != "Timon" || got["status"] != "received" {
		t.Errorf("decided referral %v", got)
	}
	p = problem(t, expect(t, h.api("PATCH", "/api/v1/referrals/"+id, police, `{"version":2,"first_name":"Zu spät"}`), 409))
	if !strings.Contains(p.Detail, "bereits bearbeitet") {
		t.Errorf("decided detail %q", p.Detail)
	}
}

// tokenFor creates an API token for the user id.
func tokenFor(t *testing.T, h *harness, userID string) string {
	t.Helper()
	var plain string
	err := models.InTx(context.Background(), h.db.Gorm, models.DBAuth, models.Actor{}, func(st *models.Store) (err error) {
		_, plain, err = st.CreateAPIToken(userID, "test", time.Hour)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain
}
