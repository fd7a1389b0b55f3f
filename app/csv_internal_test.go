package app

import (
	"encoding/csv"
	"math"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// parseDialect reads a download back with encoding/csv in its dialect,
// after checking the byte order mark and that every line ends in CRLF;
// a malformed file fails the test.
func parseDialect(t *testing.T, body string, d csvDialect) [][]string {
	t.Helper()
	rest, hasBOM := strings.CutPrefix(body, "\uFEFF")
	if hasBOM != d.BOM {
		t.Errorf("%s: byte order mark %v, want %v", d.Name, hasBOM, d.BOM)
	}
	if body != "" && (!strings.HasSuffix(body, "\r\n") || strings.Count(body, "\n") != strings.Count(body, "\r\n")) {
		t.Errorf("%s: not every line ends in CRLF: %q", d.Name, body)
	}
	r := csv.NewReader(strings.NewReader(rest))
	r.Comma = d.Comma
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: not well-formed CSV: %v\n%q", d.Name, err, body)
	}
	return recs
}

// TestCSVDialects: separator, decimal mark, byte order mark, line ends
// and quoting per dialect; numbers are numbers only in numeric cells,
// dates and codes stay as they are, text is spreadsheet-safe and a
// missing (suppressed) value is an empty cell in both.
func TestCSVDialects(t *testing.T) {
	records := [][]any{
		textRecord([]string{"site", "quarter", "age_band", "participants", "completion_rate", "assessment_change", "suppressed"}),
		{"ES", "2025-Q1", "8-9", 12.0, 0.625, -0.25, ""},
		{"DU", "2025-Q2", "10-11", nil, (*float64)(nil), ptr(1.5), "participants completion_rate"},
		{"a;b", `say "hi"`, "two\nlines", int64(1234567), math.NaN(), 0.0, "=1+1"},
		{"", "2026-11-30", "1.5", int(7), ptr(-3.0), 1e-7, "-x"},
	}
	cases := []struct {
		d    csvDialect
		want string
		// rows are the records as a spreadsheet reads them back.
		rows [][]string
	}{
		{dialectRFC4180,
			"site,quarter,age_band,participants,completion_rate,assessment_change,suppressed\r\n" +
				"ES,2025-Q1,8-9,12,0.625,-0.25,\r\n" +
				"DU,2025-Q2,10-11,,,1.5,participants completion_rate\r\n" +
				"a;b,\"say \"\"hi\"\"\",\"two\r\nlines\",1234567,,0,'=1+1\r\n" +
				",2026-11-30,1.5,7,-3,0.0000001,'-x\r\n",
			[][]string{
				{"ES", "2025-Q1", "8-9", "12", "0.625", "-0.25", ""},
				{"DU", "2025-Q2", "10-11", "", "", "1.5", "participants completion_rate"},
				{"a;b", `say "hi"`, "two\nlines", "1234567", "", "0", "'=1+1"},
				{"", "2026-11-30", "1.5", "7", "-3", "0.0000001", "'-x"},
			}},
		{dialectExcelDE,
			"\uFEFFsite;quarter;age_band;participants;completion_rate;assessment_change;suppressed\r\n" +
				"ES;2025-Q1;8-9;12;0,625;-0,25;\r\n" +
				"DU;2025-Q2;10-11;;;1,5;participants completion_rate\r\n" +
				"\"a;b\";\"say \"\"hi\"\"\";\"two\r\nlines\";1234567;;0;'=1+1\r\n" +
				";2026-11-30;1.5;7;-3;0,0000001;'-x\r\n",
			[][]string{
				{"ES", "2025-Q1", "8-9", "12", "0,625", "-0,25", ""},
				{"DU", "2025-Q2", "10-11", "", "", "1,5", "participants completion_rate"},
				{"a;b", `say "hi"`, "two\nlines", "1234567", "", "0", "'=1+1"},
				{"", "2026-11-30", "1.5", "7", "-3", "0,0000001", "'-x"},
			}},
	}
	for _, c := range cases {
		t.Run(c.d.Name, func(t *testing.T) {
			b, err := c.d.write(records)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Errorf("got\n%q\nwant\n%q", b, c.want)
			}
			recs := parseDialect(t, string(b), c.d)
			header := []string{"site", "quarter", "age_band", "participants", "completion_rate", "assessment_change", "suppressed"}
			if len(recs) != len(c.rows)+1 || !slices.Equal(recs[0], header) {
				t.Fatalf("read back %d records: %q", len(recs), recs)
			}
			for i, want := range c.rows {
				if !slices.Equal(recs[i+1], want) {
					t.Errorf("record %d read back as %q, want %q", i+1, recs[i+1], want)
				}
			}
		})
	}
	if _, err := dialectRFC4180.write([][]any{{struct{}{}}}); err == nil {
		t.Error("a cell of an unknown type was written")
	}
}

// TestCSVDialectFor: ?dialect= names a dialect (in any case); without
// it German users get excel-de and all others rfc4180; an unknown name is
// a validation error of the field dialect.
func TestCSVDialectFor(t *testing.T) {
	cases := []struct {
		query, lang, want string
		invalid           bool
	}{
		{"", "de", "excel-de", false},
		{"", "en", "rfc4180", false},
		{"", "tr", "rfc4180", false},
		{"", "ar", "rfc4180", false},
		{"dialect=rfc4180", "de", "rfc4180", false},
		{"dialect=excel-de", "en", "excel-de", false},
		{"dialect=Excel-DE", "ar", "excel-de", false},
		{"dialect=%20rfc4180%20", "tr", "rfc4180", false},
		{"dialect=", "de", "excel-de", false},
		{"dialect=excel", "de", "", true},
		{"dialect=tsv", "en", "", true},
		{"dialect=excel-de;drop", "en", "", true},
	}
	for _, c := range cases {
		app := fiber.New()
		app.Get("/t", func(ctx *fiber.Ctx) error {
			d, err := csvDialectFor(ctx, c.lang)
			var ve *models.ValidationError
			switch {
			case c.invalid && (err == nil || !isValidation(err, &ve) || ve.Fields[0].Field != "dialect" || ve.Fields[0].MessageID != "validation.csv_dialect"):
				t.Errorf("%s (%s): %v, want a validation error of dialect", c.query, c.lang, err)
			case !c.invalid && (err != nil || d.Name != c.want):
				t.Errorf("%s (%s): %q %v, want %q", c.query, c.lang, d.Name, err, c.want)
			}
			return nil
		})
		if _, err := app.Test(httptest.NewRequest("GET", "/t?"+c.query, nil)); err != nil {
			t.Fatal(err)
		}
	}
}

func isValidation(err error, ve **models.ValidationError) bool {
	v, ok := err.(*models.ValidationError)
	*ve = v
	return ok && len(v.Fields) > 0
}

// TestJoinValidation: the fields of several validation errors come
// together; any other error wins.
func TestJoinValidation(t *testing.T) {
	a, b := &models.ValidationError{}, &models.ValidationError{}
	a.Add("dialect", "validation.csv_dialect", nil)
	b.Add("year", "stats.error.year", nil)
	err := joinValidation(a, nil, b)
	ve, ok := err.(*models.ValidationError)
	if !ok || len(ve.Fields) != 2 || ve.Fields[0].Field != "dialect" || ve.Fields[1].Field != "year" {
		t.Errorf("joined: %v", err)
	}
	if joinValidation(nil, nil) != nil {
		t.Error("no errors joined into one")
	}
	other := models.ErrNotFound
	if joinValidation(a, other) != other {
		t.Error("another error did not win")
	}
}
