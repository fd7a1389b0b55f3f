package app_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
)

type apiUser struct {
	ID               string `json:"id"`
	Email            string `json:"email"`
	Role             string `json:"role"`
	Site             string `json:"site"`
	Active           bool   `json:"active"`
	PasswordSet      bool   `json:"password_set"`
	Version          int    `json:"version"`
	OpenAssignments  int    `json:"open_assignments"`
	AssignmentsEnded int    `json:"assignments_ended"`
	SetPasswordURL   string `json:"set_password_url"`
}

func decodeAs[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	body := readAll(t, resp)
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return v
}

// TestAdminAPIUsers: the admin creates a user without a password and gets
// a link built from KURVE_BASE_URL; lists and filters; changes with
// version; deactivation waits for the confirmation of open assignments
// and then ends the user's token at once; other roles get 403.
func TestAdminAPIUsers(t *testing.T) {
	h := newHarness(t, app.Config{BaseURL: "https://kurve.example.org"})
	admin := h.token(models.RoleAdmin)
	for _, role := range []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RoleDPO, models.RolePoliceLiaison} {
		if resp := h.api("GET", "/api/v1/users", h.token(role), ""); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s lists users: %d", role, resp.StatusCode)
		}
	}
	resp := h.api("POST", "/api/v1/users", admin, `{"email":"Neu.Kraft@ES.test","name":"Neue Fachkraft","role":"social_worker","site":"es"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, readAll(t, resp))
	}
	created := decodeAs[apiUser](t, resp)
	if created.Email != "neu.kraft@es.test" || created.PasswordSet || created.Site != "ES" ||
		!strings.HasPrefix(created.SetPasswordURL, "https://kurve.example.org/password/") {
		t.Fatalf("created %+v", created)
	}
	if resp := h.api("POST", "/api/v1/users", admin, `{"email":"neu.kraft@es.test","name":"Doppelt","role":"social_worker","site":"ES"}`); resp.StatusCode != http.StatusConflict {
		t.Errorf("duplicate e-mail: %d", resp.StatusCode)
	}
	if resp := h.api("POST", "/api/v1/users", admin, `{"email":"x@es.test","name":"X","role":"chief","site":"ES"}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown role: %d", resp.StatusCode)
	}
	// Search and paging.
	resp = h.api("GET", "/api/v1/users?q=NEUE&role=social_worker&active=true", admin, "")
	if list := decodeAs[[]apiUser](t, resp); len(list) != 1 || list[0].ID != created.ID {
		t.Errorf("search: %+v", list)
	}
	resp = h.api("GET", "/api/v1/users?limit=2", admin, "")
	next := resp.Header.Get("Link")
	if list := decodeAs[[]apiUser](t, resp); len(list) != 2 || !strings.Contains(next, `rel="next"`) {
		t.Fatalf("first page: %d users, Link %q", len(list), next)
	}
	if strings.Contains(next, "%40") || strings.Contains(next, "@") {
		t.Errorf("the cursor shows an e-mail address: %s", next)
	}
	if resp := h.api("GET", "/api/v1/users?cursor=a", admin, ""); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a cursor the server did not make: %d", resp.StatusCode)
	}
	seen := 2
	for next != "" {
		u := next[strings.Index(next, "<")+1 : strings.Index(next, ">")]
		resp = h.api("GET", u, admin, "")
		next = resp.Header.Get("Link")
		seen += len(decodeAs[[]apiUser](t, resp))
	}
	if want := h.count("SELECT count(*) FROM org.users"); seen != want {
		t.Errorf("paged through %d users, want %d", seen, want)
	}
	// The demo social worker gets a case, then is deactivated.
	var sw apiUser
	for _, u := range decodeAs[[]apiUser](t, h.api("GET", "/api/v1/users?role=social_worker&q=demo", admin, "")) {
		sw = u
	}
	coord := h.token(models.RoleCoordinator)
	resp = h.api("POST", "/api/v1/participants", coord, `{"first_name":"Zuweisung","last_name":"Test","date_of_birth":"2014-02-01","gender":"female","site":"ES","languages":["de"]}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("participant: %d %s", resp.StatusCode, readAll(t, resp))
	}
	p := decodeAs[struct {
		ID string `json:"id"`
	}](t, resp)
	if resp := h.api("POST", "/api/v1/participants/"+p.ID+"/assignments", coord,
		`{"user_id":"`+sw.ID+`","kind":"social_worker","from":"`+h.today()+`"}`); resp.StatusCode != http.StatusCreated {
		t.Fatalf("assignment: %d %s", resp.StatusCode, readAll(t, resp))
	}
	swToken := h.token(models.RoleSocialWorker)
	if got := decodeAs[apiUser](t, h.api("GET", "/api/v1/users/"+sw.ID, admin, "")); got.OpenAssignments != 1 {
		t.Errorf("open assignments %d, want 1", got.OpenAssignments)
	}
	patch := func(body string) *http.Response { return h.api("PATCH", "/api/v1/users/"+sw.ID, admin, body) }
	if resp := patch(`{"active":false,"version":999}`); resp.StatusCode != http.StatusConflict {
		t.Errorf("stale version: %d", resp.StatusCode)
	}
	resp = patch(`{"active":false,"version":` + strconv.Itoa(sw.Version) + `}`)
	if pr := problem(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(pr.Detail, "(1)") {
		t.Fatalf("deactivation without confirmation: %d %+v", resp.StatusCode, pr)
	}
	if resp := h.api("GET", "/api/v1/me", swToken, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("the refused change ended access: %d", resp.StatusCode)
	}
	resp = patch(`{"active":false,"version":` + strconv.Itoa(sw.Version) + `,"end_assignments":true}`)
	if got := decodeAs[apiUser](t, resp); resp.StatusCode != http.StatusOK || got.Active || got.AssignmentsEnded != 1 {
		t.Fatalf("confirmed deactivation: %d %+v", resp.StatusCode, got)
	}
	if resp := h.api("GET", "/api/v1/me", swToken, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("deactivated user's token: %d", resp.StatusCode)
	}
	// Every admin action is in the audit log, with ids and codes only.
	if n := h.count(`SELECT count(*) FROM audit.events WHERE action IN ('user.create', 'user.password_link', 'user.update')
		AND details::text NOT LIKE '%Fachkraft%' AND details::text NOT LIKE '%@%'`); n != 3 {
		t.Errorf("%d admin audit entries, want 3", n)
	}
	// The only admin cannot deactivate themselves.
	me := decodeAs[apiUser](t, h.api("GET", "/api/v1/me", admin, ""))
	self := decodeAs[apiUser](t, h.api("GET", "/api/v1/users/"+me.ID, admin, ""))
	resp = h.api("PATCH", "/api/v1/users/"+me.ID, admin, `{"active":false,"version":`+strconv.Itoa(self.Version)+`}`)
	if pr := problem(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || len(pr.Errors) != 1 || pr.Errors[0].Field != "active" {
		t.Errorf("self-deactivation: %d %+v", resp.StatusCode, pr)
	}
}

// TestAdminAPISites: everybody signed in reads the sites; the admin
// creates, renames and deactivates them; a deactivated site takes no new
// case.
func TestAdminAPISites(t *testing.T) {
	h := newHarness(t, app.Config{})
	admin, coord := h.token(models.RoleAdmin), h.token(models.RoleCoordinator)
	if resp := h.api("GET", "/api/v1/sites", h.token(models.RolePoliceLiaison), ""); resp.StatusCode != http.StatusOK {
		t.Errorf("police reads sites: %d", resp.StatusCode)
	}
	if resp := h.api("POST", "/api/v1/sites", coord, `{"code":"BO","name":"Bochum"}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("coordinator creates a site: %d", resp.StatusCode)
	}
	resp := h.api("POST", "/api/v1/sites", admin, `{"code":"BO","name":"Bochum","controller_name":"Stadt Bochum, Jugendamt"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create site: %d %s", resp.StatusCode, readAll(t, resp))
	}
	type site struct {
		Code, Name     string
		Active         bool
		ControllerName string `json:"controller_name"`
		Version        int
	}
	if s := decodeAs[site](t, resp); !s.Active || s.Version != 1 || s.ControllerName != "Stadt Bochum, Jugendamt" {
		t.Fatalf("created %+v", s)
	}
	if resp := h.api("POST", "/api/v1/sites", admin, `{"code":"Bochum","name":"Bochum"}`); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad code: %d", resp.StatusCode)
	}
	var es site
	for _, s := range decodeAs[[]site](t, h.api("GET", "/api/v1/sites", admin, "")) {
		if s.Code == "ES" {
			es = s
		}
	}
	resp = h.api("PATCH", "/api/v1/sites/es", admin, `{"active":false,"version":`+strconv.Itoa(es.Version)+`}`)
	if s := decodeAs[site](t, resp); resp.StatusCode != http.StatusOK || s.Active {
		t.Fatalf("deactivate: %d %+v", resp.StatusCode, s)
	}
	if resp := h.api("PATCH", "/api/v1/sites/ES", admin, `{"active":true,"version":`+strconv.Itoa(es.Version)+`}`); resp.StatusCode != http.StatusConflict {
		t.Errorf("stale site version: %d", resp.StatusCode)
	}
	resp = h.api("POST", "/api/v1/participants", coord, `{"first_name":"Neu","last_name":"Fall","date_of_birth":"2014-02-01","gender":"male","site":"ES","languages":["de"]}`)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("new case at a deactivated site: %d %s", resp.StatusCode, readAll(t, resp))
	}
}
