package app_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kurve/app"
	"kurve/models"
	"kurve/models/dbtest"
)

// readCSV checks a CSV download's headers, byte order mark and line ends
// for dialect ("excel-de" or "rfc4180") and parses it back with
// encoding/csv (Comma ';' for excel-de): a file that is not well-formed
// fails the test.
func readCSV(t *testing.T, resp *http.Response, dialect, filename string) [][]string {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("csv download: status %d: %s", resp.StatusCode, readAll(t, resp))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8; header=present" {
		t.Errorf("content type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="`+filename+`"` {
		t.Errorf("content disposition %q", cd)
	}
	body := readAll(t, resp)
	rest, bom := strings.CutPrefix(body, "\uFEFF")
	if bom != (dialect == "excel-de") {
		t.Errorf("%s: byte order mark %v", dialect, bom)
	}
	if !strings.HasSuffix(body, "\r\n") || strings.Count(body, "\n") != strings.Count(body, "\r\n") {
		t.Errorf("%s: lines do not all end in CRLF", dialect)
	}
	r := csv.NewReader(strings.NewReader(rest))
	if dialect == "excel-de" {
		r.Comma = ';'
	}
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: not well-formed: %v", dialect, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: empty download", dialect)
	}
	return recs
}

// setLanguage sets the interface language of role's demo user.
func setLanguage(t *testing.T, h *harness, role models.Role, lang string) {
	t.Helper()
	dbtest.Exec(t, h.db.Gorm, "UPDATE org.users SET language = ? WHERE email = ?", lang, h.logins[role])
}

// TestStatsCSVDialects: the outcome table as CSV on the API and the web,
// in the dialect asked for or, without one, in the dialect of the user's
// language: semicolons, decimal commas in the measures only and a byte
// order mark for excel-de, commas and decimal points for rfc4180. Both
// carry the same table as the JSON; dimension codes (quarters, age bands)
// and suppressed cells (empty, named in the last column) are the same in
// both.
func TestStatsCSVDialects(t *testing.T) {
	h := statsHarness(t, app.Config{})
	const by = "by=site,age_band,quarter"
	tok := h.token(models.RoleEvaluator)
	ref := getOutcomes(t, h, tok, by)
	header := slices.Concat(ref.Dimensions, ref.Measures, []string{"suppressed"})
	var first [][]string // the first download, to compare the others with
	cases := []struct {
		name, lang, query, want string
	}{
		{"German user, no dialect", "de", "", "excel-de"},
		{"English user, no dialect", "en", "", "rfc4180"},
		{"Turkish user, no dialect", "tr", "", "rfc4180"},
		{"Arabic user, no dialect", "ar", "", "rfc4180"},
		{"German user asks for RFC 4180", "de", "&dialect=rfc4180", "rfc4180"},
		{"English user asks for excel-de", "en", "&dialect=excel-de", "excel-de"},
		{"Arabic user asks for excel-de", "ar", "&dialect=excel-de", "excel-de"},
	}
	for _, c := range cases {
		setLanguage(t, h, models.RoleEvaluator, c.lang)
		ws := h.signIn(models.RoleEvaluator)
		for _, via := range []string{"api", "web"} {
			t.Run(c.name+" ("+via+")", func(t *testing.T) {
				var resp *http.Response
				if via == "api" {
					resp = h.api("GET", "/api/v1/stats/outcomes.csv?"+by+c.query, tok, "")
				} else {
					resp = h.web("GET", "/stats/outcomes.csv?"+by+c.query, &ws, nil)
				}
				recs := readCSV(t, resp, c.want, "kurve-outcomes.csv")
				if !slices.Equal(recs[0], header) || len(recs) != len(ref.Rows)+1 {
					t.Fatalf("header %q and %d records for %d rows", recs[0], len(recs), len(ref.Rows))
				}
				decimals, suppressed := 0, 0
				for i, row := range ref.Rows {
					rec := recs[i+1]
					measures := row["measures"].(map[string]any)
					for j, m := range ref.Measures {
						cell := rec[len(ref.Dimensions)+j]
						v := measures[m]
						if v == nil {
							if cell != "" {
								t.Errorf("row %d %s: %q for a suppressed or missing value", i, m, cell)
							}
							continue
						}
						num := cell
						if c.want == "excel-de" {
							if strings.Contains(cell, ".") {
								t.Errorf("row %d %s: decimal point %q in excel-de", i, m, cell)
							}
							if strings.Contains(cell, ",") {
								decimals++
							}
							num = strings.Replace(cell, ",", ".", 1)
						} else if strings.Contains(cell, ",") {
							t.Errorf("row %d %s: decimal comma %q in rfc4180", i, m, cell)
						}
						if f, err := strconv.ParseFloat(num, 64); err != nil || f != v.(float64) {
							t.Errorf("row %d %s: %q, JSON %v", i, m, cell, v)
						}
					}
					names := rec[len(rec)-1]
					for _, s := range row["suppressed"].([]any) {
						suppressed++
						if !slices.Contains(strings.Fields(names), s.(string)) {
							t.Errorf("row %d: %s suppressed but not named in %q", i, s, names)
						}
					}
				}
				if c.want == "excel-de" && decimals == 0 {
					t.Error("excel-de: no number with a decimal comma")
				}
				if suppressed == 0 {
					t.Error("no suppressed cell in the synthetic table")
				}
				// Everything but the measures reads the same in both dialects
				// (codes such as 2025-Q1 and 8-9 untouched).
				if first == nil {
					first = recs
					return
				}
				for i := range recs {
					for j := range recs[i] {
						isMeasure := j >= len(ref.Dimensions) && j < len(ref.Dimensions)+len(ref.Measures)
						if !isMeasure && recs[i][j] != first[i][j] {
							t.Errorf("record %d column %s: %q, in the first download %q", i, header[j], recs[i][j], first[i][j])
						}
					}
				}
			})
		}
	}
	quarterCol := slices.Index(header, "quarter")
	if !slices.ContainsFunc(first[1:], func(r []string) bool { return strings.Contains(r[quarterCol], "-Q") }) {
		t.Error("no quarter code in the download")
	}
}

// TestCSVUnknownDialect: an unknown dialect is a localised 422 on the API
// (problem+json naming the field, with the other invalid parameters) and
// on the web (an error page), never a 500, and nothing is read or audited.
func TestCSVUnknownDialect(t *testing.T) {
	h := newHarness(t, app.Config{})
	setLanguage(t, h, models.RoleEvaluator, "de")
	evaluator, dpo := h.token(models.RoleEvaluator), h.token(models.RoleDPO)
	before := h.count("SELECT count(*) FROM audit.events WHERE action IN ('stats.export', 'audit.export')")
	for _, c := range []struct {
		path, tok, lang, want string
	}{
		{"/api/v1/stats/outcomes.csv?dialect=xlsx", evaluator, "de", "CSV-Format"},
		{"/api/v1/stats/outcomes.csv?dialect=excel", evaluator, "en", "CSV format"},
		{"/api/v1/audit.csv?dialect=tsv", dpo, "de", "CSV-Format"},
		{"/api/v1/audit.csv?dialect=excel-fr", dpo, "ar", "صيغة CSV"},
	} {
		setLanguage(t, h, models.RoleEvaluator, c.lang)
		setLanguage(t, h, models.RoleDPO, c.lang)
		resp := h.api("GET", c.path, c.tok, "")
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s (%s): status %d", c.path, c.lang, resp.StatusCode)
			resp.Body.Close()
			continue
		}
		p := problem(t, resp)
		if len(p.Errors) != 1 || p.Errors[0].Field != "dialect" || !strings.Contains(p.Errors[0].Message, c.want) ||
			!strings.Contains(p.Errors[0].Message, "excel-de") || strings.Contains(p.Errors[0].Message, "validation.") {
			t.Errorf("%s (%s): %+v", c.path, c.lang, p)
		}
	}
	// With other invalid parameters, all are named at once.
	setLanguage(t, h, models.RoleEvaluator, "en")
	p := problem(t, expect(t, h.api("GET", "/api/v1/stats/outcomes.csv?dialect=x&year=abc", evaluator, ""), 422))
	if len(p.Errors) != 2 || p.Errors[0].Field != "dialect" || p.Errors[1].Field != "year" {
		t.Errorf("dialect and year: %+v", p.Errors)
	}
	p = problem(t, expect(t, h.api("GET", "/api/v1/audit.csv?dialect=x&from=gestern", dpo, ""), 422))
	if len(p.Errors) != 2 || p.Errors[0].Field != "dialect" || p.Errors[1].Field != "from" {
		t.Errorf("dialect and from: %+v", p.Errors)
	}
	// The web: an error page in the user's language.
	setLanguage(t, h, models.RoleEvaluator, "de")
	setLanguage(t, h, models.RoleDPO, "de")
	for role, path := range map[models.Role]string{models.RoleEvaluator: "/stats/outcomes.csv?dialect=xlsx", models.RoleDPO: "/audit.csv?dialect=xlsx"} {
		ws := h.signIn(role)
		resp := h.web("GET", path, &ws, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			resp.Body.Close()
			continue
		}
		msg := doc(t, resp).Find("main .field-error").Text()
		if !strings.Contains(msg, "CSV-Format") || !strings.Contains(msg, "rfc4180") {
			t.Errorf("%s: message %q", path, msg)
		}
	}
	if n := h.count("SELECT count(*) FROM audit.events WHERE action IN ('stats.export', 'audit.export')"); n != before {
		t.Errorf("refused downloads left %d audit entries", n-before)
	}
}

// TestAuditCSVDialects: the dpo's audit download in both dialects; a value
// with a semicolon and quotes is quoted by RFC 4180's rules, numbers in
// the details JSON stay text (no decimal comma), formulas are neutralised.
func TestAuditCSVDialects(t *testing.T) {
	h := newHarness(t, app.Config{})
	dbtest.Exec(t, h.db.Gorm, `INSERT INTO audit.events (action, object_type, object_id, details)
		VALUES ('test.semicolon', 'thing', 'a;b "c"', '{"note": "x;y", "share": 1.5}')`)
	dpo := h.token(models.RoleDPO)
	query := "?" + url.Values{"action": {"test.semicolon"}}.Encode()
	for _, c := range []struct {
		lang, dialect, want string
	}{
		{"de", "", "excel-de"},
		{"en", "", "rfc4180"},
		{"de", "rfc4180", "rfc4180"},
		{"tr", "excel-de", "excel-de"},
	} {
		setLanguage(t, h, models.RoleDPO, c.lang)
		q := query
		if c.dialect != "" {
			q += "&dialect=" + c.dialect
		}
		ws := h.signIn(models.RoleDPO)
		for via, resp := range map[string]*http.Response{
			"api": h.api("GET", "/api/v1/audit.csv"+q, dpo, ""),
			"web": h.web("GET", "/audit.csv"+q, &ws, nil),
		} {
			recs := readCSV(t, resp, c.want, "kurve-audit.csv")
			if len(recs) != 2 || recs[0][0] != "id" || len(recs[1]) != len(recs[0]) {
				t.Fatalf("%s %s (%s): %d records", via, c.want, c.lang, len(recs))
			}
			row := recs[1]
			if row[7] != `a;b "c"` || row[5] != "test.semicolon" || !strings.Contains(row[10], `"share":1.5`) || !strings.Contains(row[10], `x;y`) {
				t.Errorf("%s %s (%s): row %q", via, c.want, c.lang, row)
			}
			if _, err := strconv.ParseInt(row[0], 10, 64); err != nil {
				t.Errorf("%s %s: id %q", via, c.want, row[0])
			}
		}
	}
}
