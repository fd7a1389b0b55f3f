package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"kurve/app"
	"kurve/models"
)

// TestOpenAPIDocumentIsValid validates openapi.json with a real OpenAPI
// 3.0 validator (kin-openapi), then sends every GET route of the API as
// every role it admits, with real ids, and validates each answer (status,
// content type and body) against the document.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	ctx := context.Background()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("openapi.json is not valid OpenAPI %s: %v", doc.OpenAPI, err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://kurve.test/api/v1"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)

	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	expect(t, h.api("POST", "/api/v1/referrals", h.token(models.RolePoliceLiaison), referralBody("Vertrag", "KK-OAS-1")), 201).Body.Close()
	ids := map[string]string{}
	for prefix, q := range map[string]string{
		"/api/v1/participants/": "SELECT id::text FROM prevention.participants WHERE status = 'active' ORDER BY case_number LIMIT 1",
		"/api/v1/families/":     "SELECT family_id::text FROM prevention.participants WHERE status = 'active' ORDER BY case_number LIMIT 1",
		"/api/v1/referrals/":    "SELECT id::text FROM enforcement.referrals ORDER BY created_at LIMIT 1",
		"/api/v1/sessions/":     "SELECT id::text FROM prevention.sessions ORDER BY started_at LIMIT 1",
	} {
		var id string
		h.db.Gorm.Raw(q).Scan(&id)
		if id == "" {
			t.Fatalf("no id for %s", prefix)
		}
		ids[prefix] = id
	}
	tokens := map[models.Role]string{}
	checked, statuses := 0, map[int]int{}
	for _, r := range h.srv.Routes() {
		if !r.API || r.Method != http.MethodGet {
			continue
		}
		path := r.Path
		for prefix, id := range ids {
			if rest, ok := strings.CutPrefix(path, prefix+":"); ok {
				_, tail, _ := strings.Cut(rest, "/")
				path = strings.TrimSuffix(prefix+id+"/"+tail, "/")
			}
		}
		if strings.Contains(path, ":") || !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		roles := r.Roles
		if len(roles) == 0 {
			roles = models.Roles
		}
		for _, role := range roles {
			if tokens[role] == "" {
				tokens[role] = h.token(role)
			}
			resp := h.api("GET", path, tokens[role], "")
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			req, _ := http.NewRequest("GET", "http://kurve.test"+path, nil)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Errorf("GET %s: not in openapi.json: %v", path, err)
				continue
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
				Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
			if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
				t.Errorf("GET %s as %s: answer %d does not match openapi.json: %v", path, role, resp.StatusCode, err)
			}
			checked++
			statuses[resp.StatusCode]++
		}
	}
	if checked < 35 {
		t.Errorf("only %d answers checked", checked)
	}
	if statuses[200] < 25 {
		t.Errorf("only %d answers were 200: %v", statuses[200], statuses)
	}
	t.Logf("%d answers of GET routes validated: %v", checked, statuses)
}
