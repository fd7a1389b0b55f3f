package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"kurve/app"
	"kurve/models"
)

// TestErrorPagesInUsersLanguage: an error page speaks the signed-in user's
// language, else Accept-Language, else German — also for a path or method
// that no route knows, where the request never reached the session.
func TestErrorPagesInUsersLanguage(t *testing.T) {
	h := newHarness(t, app.Config{})
	arabic := h.signIn(models.RoleSocialWorker)
	expect(t, h.web("POST", "/language", &arabic, url.Values{"lang": {"ar"}, "next": {"/"}}), http.StatusSeeOther).Body.Close()
	german := h.signIn(models.RoleCoordinator)
	stale := webSession{cookie: &http.Cookie{Name: "kurve_session", Value: arabic.cookie.Value + "x"}}

	titles := map[string]map[string]message{}
	for _, lang := range models.Languages {
		titles[lang] = loadCatalogue(t, lang)
	}
	cases := []struct {
		name         string
		method, path string
		who          *webSession
		accept       string
		status       int
		lang, dir    string
	}{
		{"unknown path, Arabic user", "GET", "/no-such-page", &arabic, "tr", http.StatusNotFound, "ar", "rtl"},
		{"another role's page, Arabic user", "GET", "/admin/users", &arabic, "en", http.StatusForbidden, "ar", "rtl"},
		{"a case that does not exist, Arabic user", "GET", "/participants/00000000-0000-0000-0000-000000000000", &arabic, "",
			http.StatusNotFound, "ar", "rtl"},
		{"a method the path does not take, Arabic user", "DELETE", "/login", &arabic, "", http.StatusMethodNotAllowed, "ar", "rtl"},
		{"the user's setting wins over Accept-Language", "GET", "/no-such-page", &german, "ar", http.StatusNotFound, "de", "ltr"},
		{"anonymous, Turkish browser", "GET", "/no-such-page", nil, "tr-TR,tr;q=0.9", http.StatusNotFound, "tr", "ltr"},
		{"anonymous, Arabic browser", "DELETE", "/login", nil, "ar", http.StatusMethodNotAllowed, "ar", "rtl"},
		{"a cookie that names no session", "GET", "/no-such-page", &stale, "en", http.StatusNotFound, "en", "ltr"},
		{"anonymous, a language we lack", "GET", "/no-such-page", nil, "fr-FR", http.StatusNotFound, "de", "ltr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.accept != "" {
				hdr = []string{"Accept-Language", tc.accept}
			}
			resp := h.web(tc.method, tc.path, tc.who, nil, hdr...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			d := doc(t, resp)
			html := d.Find("html")
			if lang, dir := html.AttrOr("lang", ""), html.AttrOr("dir", ""); lang != tc.lang || dir != tc.dir {
				t.Errorf("lang=%q dir=%q, want %q %q", lang, dir, tc.lang, tc.dir)
			}
			want := titles[tc.lang]["problem.title."+strconv.Itoa(tc.status)][""]
			if got := d.Find("#error-heading").Text(); want == "" || got != want {
				t.Errorf("heading %q, want %q", got, want)
			}
		})
	}
}
