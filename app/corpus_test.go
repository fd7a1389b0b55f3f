package app_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
)

// TestMalformedRequestCorpus sends a deterministic corpus of malformed and
// hostile requests (KURVE_CORPUS_SIZE, default 10,000) over every write
// route of the web and the API, as several roles: no answer may be 500 or
// above, and no refused request may leave any trace in the prevention or
// enforcement tables (a checksum of every row, taken after each request).
func TestMalformedRequestCorpus(t *testing.T) {
	size := 10000
	if v, err := strconv.Atoi(os.Getenv("KURVE_CORPUS_SIZE")); err == nil && v > 0 {
		size = v
	}
	seed := uint64(20261130)
	if v, err := strconv.ParseUint(os.Getenv("KURVE_CORPUS_SEED"), 10, 64); err == nil {
		seed = v
	}
	key := models.EphemeralDataKey()
	h := newHarness(t, app.Config{DataKey: &key})
	seedDemoCases(t, h.db, key, h.logins, h.now())
	expect(t, h.api("POST", "/api/v1/referrals", h.token(models.RolePoliceLiaison), referralBody("Korpus", "KK-CORPUS-1")), 201).Body.Close()

	// One checksum over every row of every case table.
	var tables []string
	h.db.Gorm.Raw(`SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname IN ('prevention', 'enforcement')
		ORDER BY 1`).Scan(&tables)
	var parts []string
	for _, tb := range tables {
		parts = append(parts, fmt.Sprintf("(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM %s x)", tb))
	}
	checksumSQL := "SELECT md5(" + strings.Join(parts, " || ") + ")"
	checksum := func() string {
		var s string
		if err := h.db.Gorm.Raw(checksumSQL).Scan(&s).Error; err != nil {
			t.Fatal(err)
		}
		return s
	}

	ids := map[string][]string{}
	for name, q := range map[string]string{
		"participants": "SELECT id::text FROM prevention.participants ORDER BY case_number LIMIT 4",
		"families":     "SELECT id::text FROM prevention.families LIMIT 2",
		"consents":     "SELECT id::text FROM prevention.consents LIMIT 3",
		"sessions":     "SELECT id::text FROM prevention.sessions LIMIT 2",
		"goals":        "SELECT id::text FROM prevention.goals LIMIT 2",
		"visits":       "SELECT id::text FROM prevention.visits LIMIT 2",
		"assignments":  "SELECT id::text FROM prevention.assignments LIMIT 2",
		"referrals":    "SELECT id::text FROM enforcement.referrals LIMIT 2",
		"intake":       "SELECT id::text FROM enforcement.referrals LIMIT 2",
		"measures":     "SELECT code FROM prevention.measures LIMIT 2",
		"users":        "SELECT id::text FROM org.users LIMIT 3",
	} {
		var v []string
		h.db.Gorm.Raw(q).Scan(&v)
		ids[name] = v
	}
	r := rand.New(rand.NewPCG(seed, 0x636f72707573))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	strs := []string{"", " ", "a", "Ärger ümlaut", "\x00", "a\x00b", "\xff\xfe", "\xc3\x28", "\u202eRTL", "😀", strings.Repeat("x", 300),
		strings.Repeat("ß", 5000), "1900-01-01", "9999-12-31", "0000-00-00", "2026-02-30", "2026-11-30", "2026-11-30T25:61:00Z",
		"2026-12-01T10:00:00+01:00", "-1", "1e309", "NaN", "null", "true", "<script>alert(1)</script>", "' OR 1=1 --", "%00",
		"../../etc/passwd", "ES", "XX", "de", "ar", "zz", "active", "completed", "given", "participation", "violence", "mother",
		"attended", "follow_up", "social_worker", "language_mediator", "00000000-0000-0000-0000-000000000000", "not-a-uuid"}
	for _, v := range ids {
		strs = append(strs, v...)
	}
	nums := []any{0, -1, 1, 2, 7, 2147483648, -9223372036854775808, 1.5, 1e308, "1", nil, true, []any{}, map[string]any{}}
	var value func(depth int) any
	value = func(depth int) any {
		switch n := r.IntN(10); {
		case n < 5:
			return pick(strs)
		case n < 7:
			return nums[r.IntN(len(nums))]
		case n < 8 && depth < 3:
			a := []any{}
			for range r.IntN(4) {
				a = append(a, value(depth+1))
			}
			return a
		case n < 9 && depth < 3:
			m := map[string]any{}
			for range r.IntN(4) {
				m[pick(fieldNames)] = value(depth + 1)
			}
			return m
		}
		return nil
	}
	raw := func(v any) string {
		b, _ := json.Marshal(v)
		// json.Marshal escapes invalid UTF-8; put some bytes back raw.
		s := string(b)
		if r.IntN(8) == 0 {
			s = strings.Replace(s, `\ufffd`, "\xff", 1)
		}
		return s
	}
	body := func() (string, string) {
		switch n := r.IntN(20); {
		case n == 0:
			return "", "application/json"
		case n == 1:
			return `{"a":`, "application/json"
		case n == 2:
			return strings.Repeat("[", 5000) + strings.Repeat("]", 5000), "application/json"
		case n == 3:
			return "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\x00\r\n--x--", "multipart/form-data; boundary=x"
		case n == 4:
			return "a=1", "text/plain"
		case n == 5:
			return raw(value(0)), "application/json"
		case n == 6:
			return "\ufeff{}", "application/json"
		case n == 7:
			return `{"version":1}{"version":2}`, "application/json"
		}
		m := map[string]any{}
		for range 1 + r.IntN(8) {
			m[pick(fieldNames)] = value(0)
		}
		return raw(m), "application/json"
	}
	form := func(csrf string) string {
		v := url.Values{}
		for range 1 + r.IntN(8) {
			s := pick(strs)
			if x := value(1); r.IntN(3) == 0 {
				s = fmt.Sprint(x)
			}
			v.Add(pick(fieldNames), s)
		}
		if r.IntN(10) != 0 {
			v.Set("_csrf", csrf)
		}
		enc := v.Encode()
		if r.IntN(10) == 0 {
			enc += "&notes=%FF%00&%ZZ=1"
		}
		return enc
	}
	param := regexp.MustCompile(`:[a-z]+`)
	fill := func(path string) string {
		return param.ReplaceAllStringFunc(path, func(p string) string {
			if r.IntN(6) == 0 {
				return pick([]string{"x", "00000000-0000-0000-0000-000000000001", "%00", "..", strings.Repeat("a", 300)})
			}
			seg := strings.Split(strings.TrimPrefix(path, "/api/v1"), "/")[1]
			if v := ids[seg]; len(v) > 0 {
				return url.PathEscape(pick(v))
			}
			return pick([]string{"social_skills", "triggers", "sport"})
		})
	}

	roles := []models.Role{models.RoleCoordinator, models.RoleSocialWorker, models.RoleMediator, models.RolePoliceLiaison, models.RoleEvaluator, models.RoleAdmin}
	tokens, sessions := map[models.Role]string{}, map[models.Role]webSession{}
	for _, role := range roles {
		tokens[role], sessions[role] = h.token(role), h.signIn(role)
	}
	// Routes that end the corpus's own sign-in or cost a password hash
	// each time are left out; their refusals are tested on their own.
	skip := map[string]bool{"/logout": true, "/login": true, "/profile/password": true, "/login/totp": true, "/profile/totp": true}
	type target struct {
		method, path string
		roles        []models.Role
	}
	var targets []target
	for _, rt := range h.srv.Routes() {
		if rt.Method != http.MethodGet && rt.Method != http.MethodHead && !skip[rt.Path] {
			var allowed []models.Role
			for _, role := range roles {
				if rt.Allows(role) {
					allowed = append(allowed, role)
				}
			}
			targets = append(targets, target{rt.Method, rt.Path, allowed})
		}
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i].path+targets[i].method < targets[j].path+targets[j].method })
	if len(targets) < 50 {
		t.Fatalf("only %d write routes", len(targets))
	}

	base := checksum()
	byStatus := map[int]int{}
	failures := 0
	for i := range size {
		tg := targets[i%len(targets)]
		// Mostly a role the route admits, so that the corpus reaches the
		// handlers; sometimes any role, for the refusals.
		role := roles[r.IntN(len(roles))]
		if len(tg.roles) > 0 && r.IntN(5) != 0 {
			role = tg.roles[r.IntN(len(tg.roles))]
		}
		path := fill(tg.path)
		var req *http.Request
		if strings.HasPrefix(tg.path, "/api/") {
			b, ct := body()
			req = httptest.NewRequest(tg.method, path, strings.NewReader(b))
			req.Header.Set("Content-Type", ct)
			if r.IntN(20) != 0 {
				req.Header.Set("Authorization", "Bearer "+tokens[role])
			}
			if k := pick(strs); r.IntN(5) == 0 && len(k) < 1000 {
				req.Header.Set("Idempotency-Key", k)
			}
		} else {
			ws := sessions[role]
			req = httptest.NewRequest(tg.method, path, strings.NewReader(form(ws.csrf)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(ws.cookie)
		}
		resp, err := h.srv.App().Test(req, 30_000)
		if err != nil {
			t.Fatalf("request %d %s %s: %v", i, tg.method, path, err)
		}
		resp.Body.Close()
		byStatus[resp.StatusCode]++
		if resp.StatusCode >= 500 {
			failures++
			if failures <= 10 {
				t.Errorf("request %d (seed %d): %s %s as %s answered %d; the server logged: %s", i, seed, tg.method, tg.path, role,
					resp.StatusCode, lastErrorLog())
			}
		}
		now := checksum()
		switch {
		case resp.StatusCode >= 400 && now != base:
			failures++
			if failures <= 10 {
				t.Errorf("request %d (seed %d): %s %s as %s was refused with %d but changed case data", i, seed, tg.method, tg.path, role, resp.StatusCode)
			}
		case resp.StatusCode < 400:
			base = now
		}
	}
	t.Logf("%d requests over %d write routes (seed %d): %v", size, len(targets), seed, byStatus)
}

// fieldNames are the names of every field the web forms and the API take,
// so that the corpus hits real fields with wrong values.
var fieldNames = []string{"first_name", "last_name", "date_of_birth", "gender", "site", "languages", "notes", "family_id", "version",
	"status", "end_reason", "reason", "confirmed", "guardian_id", "purposes", "form_version", "form_language", "given_on", "expires_on",
	"state", "withdrawn_on", "mediator_id", "user_id", "kind", "from", "until", "participant_ids", "participant_id", "type", "module",
	"started_at", "duration_minutes", "attendance", "staff_ids", "date", "time", "starts_at", "ends_at", "purpose", "social_worker_id",
	"outcome_note", "title", "target_on", "progress", "held_on", "months", "ended_on", "outcome", "handover", "assessment", "goals",
	"code", "name_de", "name_en", "name_tr", "name_ar", "group_format", "active", "sort", "names", "modules", "relationship",
	"has_custody", "phone", "email", "address", "police_reference", "reason_category", "referring_unit", "officer_name",
	"guardian_name", "guardian_phone", "language", "name", "ttl", "current_password", "new_password", "_submission", "_parked", "week"}

// lastErrorLog is the last error line the server logged (synthetic data
// only), so that a 500 of the corpus can be told without running again.
func lastErrorLog() string {
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], `"level":"ERROR"`) {
			return lines[i]
		}
	}
	return "(no error logged)"
}
