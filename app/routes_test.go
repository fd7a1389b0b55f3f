package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
)

func routeKey(method, path string) string { return method + " " + path }

var paramRE = regexp.MustCompile(`:([a-z_]+)`)

// TestRouteMatrix walks every registered route × every role (and nobody)
// and fails when a route has no rule in the route table, when a role that
// the rule does not list gets anything but 403, or when a listed role is
// refused.
func TestRouteMatrix(t *testing.T) {
	h := newHarness(t, app.Config{})
	table := map[string]app.Route{}
	for _, r := range h.srv.Routes() {
		table[routeKey(r.Method, r.Path)] = r
	}
	registered := 0
	for _, fr := range h.srv.App().GetRoutes(true) {
		method := fr.Method
		if method == http.MethodHead {
			method = http.MethodGet // Fiber adds HEAD for every GET
		}
		r, ok := table[routeKey(method, fr.Path)]
		if !ok {
			t.Errorf("route %s %s is registered but has no rule in the route table", fr.Method, fr.Path)
			continue
		}
		if (r.Access == app.Account || r.Access == app.Side) && len(r.Roles) == 0 {
			t.Errorf("route %s %s is open to nobody; remove it or give it roles", r.Method, r.Path)
		}
		registered++
	}
	if registered < len(table) {
		t.Errorf("only %d of %d table routes are registered", registered, len(table))
	}

	subjects := append([]models.Role{""}, models.Roles...)
	for _, r := range h.srv.Routes() {
		if r.Access == app.Public {
			continue
		}
		path := paramRE.ReplaceAllString(r.Path, "00000000-0000-0000-0000-00000000abcd")
		for _, role := range subjects {
			var resp *http.Response
			switch {
			case r.API:
				tok := ""
				if role != "" {
					tok = h.token(role)
				}
				body := ""
				if r.Method != http.MethodGet {
					body = "{}"
				}
				resp = h.api(r.Method, path, tok, body)
			default:
				var ws *webSession
				if role != "" {
					s := h.signIn(role)
					ws = &s
				}
				var form url.Values
				if r.Method != http.MethodGet {
					form = url.Values{}
				}
				resp = h.web(r.Method, path, ws, form)
			}
			status := resp.StatusCode
			resp.Body.Close()
			who := string(role)
			if who == "" {
				who = "anonymous"
			}
			if status >= 500 {
				t.Errorf("%s %s as %s: status %d", r.Method, r.Path, who, status)
			}
			switch {
			case r.Access == app.Guest:
				if role != "" && status == http.StatusForbidden {
					t.Errorf("%s %s as %s: 403 on a guest route", r.Method, r.Path, who)
				}
			case role == "" && r.API:
				if status != http.StatusUnauthorized {
					t.Errorf("%s %s as %s: status %d, want 401", r.Method, r.Path, who, status)
				}
			case role == "":
				if status != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("%s %s as %s: status %d, want redirect to /login", r.Method, r.Path, who, status)
				}
			case !r.Allows(role):
				if status != http.StatusForbidden {
					t.Errorf("%s %s as %s: status %d, want 403", r.Method, r.Path, who, status)
				}
			default:
				if status == http.StatusUnauthorized || status == http.StatusForbidden {
					t.Errorf("%s %s as %s: status %d for an allowed role", r.Method, r.Path, who, status)
				}
			}
		}
	}
}

// TestOpenAPIMatchesRoutes fails when the OpenAPI document and the API
// routes of the route table disagree, in either direction.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 {
		t.Fatalf("not an OpenAPI 3 document with one server: %q", doc.OpenAPI)
	}
	base := doc.Servers[0].URL
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				documented[routeKey(strings.ToUpper(m), base+p)] = true
			}
		}
	}
	h := newHarness(t, app.Config{})
	inTable := map[string]bool{}
	for _, r := range h.srv.Routes() {
		if !r.API {
			if strings.HasPrefix(r.Path, "/api/") {
				t.Errorf("%s %s is under /api/ but not marked API", r.Method, r.Path)
			}
			continue
		}
		inTable[routeKey(r.Method, paramRE.ReplaceAllString(r.Path, "{$1}"))] = true
	}
	var missing, extra []string
	for k := range inTable {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !inTable[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("API routes missing from openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("openapi.json documents routes that do not exist: %v", extra)
	}
	// The served document is this file.
	resp := h.api("GET", "/api/v1/openapi.json", "", "")
	if resp.StatusCode != 200 || readAll(t, resp) != string(raw) {
		t.Error("served OpenAPI document differs from openapi.json")
	}
}
