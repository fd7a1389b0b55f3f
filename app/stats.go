package app

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Outcome statistics for evaluators (SPEC §6, §11): the dashboard, its CSV
// and JSON downloads, and GET /api/v1/stats/outcomes(.csv). Every request
// runs as kurve_statistics, which can call the aggregate functions of
// schema statistics and read nothing per person.

var siteCodeRE = regexp.MustCompile(`^[A-Z]{2,3}$`)

// statsQuery reads ?by=site,age_band,year&year=2025&quarter=1,2&site=ES
// (lists comma-separated) with the server's k and consent setting.
func (s *Server) statsQuery(c *fiber.Ctx, defaultBy []string) (models.StatsQuery, error) {
	q := models.StatsQuery{By: defaultBy, K: s.cfg.StatsK, Relaxed: s.cfg.StatsRelaxed}
	if _, ok := c.Queries()["by"]; ok {
		q.By = splitList(c.Query("by"))
	} else if _, ok := c.Queries()["by1"]; ok {
		// The dashboard's form: one select per dimension.
		q.By = nil
		for _, slot := range []string{"by1", "by2", "by3"} {
			if d := strings.TrimSpace(c.Query(slot)); d != "" {
				q.By = append(q.By, d)
			}
		}
	}
	var v models.ValidationError
	for _, code := range splitList(c.Query("site")) {
		if !siteCodeRE.MatchString(code) {
			v.Add("site", "stats.error.site", nil)
			break
		}
		q.Sites = append(q.Sites, code)
	}
	for _, field := range []string{"year", "quarter"} {
		for _, x := range splitList(c.Query(field)) {
			n, err := strconv.Atoi(x)
			if err != nil {
				v.Add(field, "stats.error."+field, nil)
				break
			}
			if field == "year" {
				q.Years = append(q.Years, n)
			} else {
				q.Quarters = append(q.Quarters, n)
			}
		}
	}
	if err := v.OrNil(); err != nil {
		return q, err
	}
	return q, q.Validate()
}

// splitList splits a comma-separated query value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// outcomes builds the table for the request and audits the query (the
// dimensions and filters only).
func (s *Server) outcomes(c *fiber.Ctx, q models.StatsQuery, action, format string) (*models.OutcomeTable, error) {
	t, err := s.readOutcomes(c, q)
	if err != nil {
		return nil, err
	}
	details := map[string]any{"by": q.By, "sites": q.Sites, "years": q.Years, "quarters": q.Quarters, "k": t.K, "format": format}
	if err := audit(c, currentUser(c), action, "", "", details); err != nil {
		return nil, err
	}
	return t, nil
}

// readOutcomes reads the table in the request's transaction, or, with a
// replica configured, in a read-only transaction of its own there, under
// the same role and actor (the replica has the same roles and policies).
func (s *Server) readOutcomes(c *fiber.Ctx, q models.StatsQuery) (*models.OutcomeTable, error) {
	if s.cfg.Replica == nil {
		return store(c).Outcomes(q)
	}
	u := currentUser(c)
	actor := models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role, Today: today(c)}
	var t *models.OutcomeTable
	err := models.InTx(c.UserContext(), s.cfg.Replica, u.Role.DBRole(), actor, func(st *models.Store) (err error) {
		t, err = st.Outcomes(q)
		return err
	})
	return t, err
}

// OutcomeDocument is the body of GET /api/v1/stats/outcomes (SPEC §11):
// rows hold one value per dimension (nil in a total), measures and the
// names of the suppressed ones.
type OutcomeDocument struct {
	K                 int              `json:"k"`
	Dimensions        []string         `json:"dimensions"`
	Measures          []string         `json:"measures"`
	EvaluationConsent string           `json:"evaluation_consent"`
	RefreshedAt       string           `json:"refreshed_at"`
	Rows              []map[string]any `json:"rows"`
}

// outcomeHead is the outcome document without its rows.
func outcomeHead(t *models.OutcomeTable) OutcomeDocument {
	doc := OutcomeDocument{K: t.K, Dimensions: t.Dimensions, Measures: models.OutcomeMeasures,
		EvaluationConsent: "required", RefreshedAt: t.RefreshedAt.UTC().Format("2006-01-02T15:04Z")}
	if doc.Dimensions == nil {
		doc.Dimensions = []string{}
	}
	if t.Relaxed {
		doc.EvaluationConsent = "relaxed"
	}
	return doc
}

// outcomeJSON encodes the outcome document: the head through the JSON
// encoder, the rows written here, each a member per dimension, its
// measures in the order of models.OutcomeMeasures and the names of the
// suppressed ones. (Through the encoder, the two maps of each row had
// their keys sorted, a third of the answer's time for a table of a
// thousand rows.)
func outcomeJSON(t *models.OutcomeTable) ([]byte, error) {
	head, err := gojson.Marshal(outcomeHead(t))
	if err != nil {
		return nil, err
	}
	// head ends in "rows":null}; the rows take the null's place.
	b, ok := bytes.CutSuffix(head, []byte(`null}`))
	if !ok {
		return nil, fmt.Errorf("app: outcome document: unexpected head %.40q", head)
	}
	// About 40 bytes per measure.
	b = append(make([]byte, 0, len(b)+len(t.Rows)*(len(models.OutcomeMeasures)+len(t.Dimensions))*40+64), b...)
	b = append(b, '[')
	for i := range t.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendOutcomeRow(b, t.Dimensions, &t.Rows[i]); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}

// appendOutcomeRow appends a row of the outcome document: a member per
// dimension, its measures and the names of those suppressed.
func appendOutcomeRow(b []byte, dims []string, r *models.OutcomeRow) ([]byte, error) {
	b = append(b, '{')
	var err error
	for i, d := range dims {
		if b, err = appendJSONValue(b, d); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = appendJSONValue(b, r.Key[i]); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	b = append(b, `"measures":{`...)
	written := 0
	for _, m := range models.OutcomeMeasures {
		v, ok := r.Measures[m]
		if !ok {
			continue
		}
		if written > 0 {
			b = append(b, ',')
		}
		written++
		b = append(append(append(b, '"'), m...), `":`...) // the names are plain identifiers
		if v == nil {
			b = append(b, "null"...)
		} else if f := *v; math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("app: outcome document: %s is %v", m, f)
		} else if a := math.Abs(f); a < 1e15 && f == math.Trunc(f) {
			b = strconv.AppendInt(b, int64(f), 10) // counts: most of the values
		} else if a != 0 && (a < 1e-6 || a >= 1e21) {
			b = strconv.AppendFloat(b, f, 'e', -1, 64)
		} else {
			b = strconv.AppendFloat(b, f, 'f', -1, 64)
		}
	}
	if written != len(r.Measures) {
		return nil, fmt.Errorf("app: outcome document: a measure outside models.OutcomeMeasures")
	}
	b = append(b, `},"suppressed":`...)
	if len(r.Suppressed) == 0 {
		return append(b, "[]}"...), nil
	}
	v, err := gojson.Marshal(r.Suppressed)
	if err != nil {
		return nil, err
	}
	return append(append(b, v...), '}'), nil
}

// appendJSONValue appends a dimension's name or value: a string of plain
// printable ASCII as it is, nil, a whole number and a yes or no directly,
// anything else through the JSON encoder.
func appendJSONValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		plain := true
		for i := 0; i < len(x) && plain; i++ {
			c := x[i]
			plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
		}
		if plain {
			return append(append(append(b, '"'), x...), '"'), nil
		}
	}
	enc, err := gojson.Marshal(v)
	return append(b, enc...), err
}

// outcomeCSV writes the table as CSV in dialect d: the dimensions (empty
// in a total), every measure (empty when suppressed or not applicable,
// alike in both dialects) and the names of the suppressed measures. Only
// the measures are numeric cells; dimension values are codes (a year, a
// quarter such as 2025-Q1, an age band such as 8-9) and stay as they are.
func outcomeCSV(t *models.OutcomeTable, d csvDialect) ([]byte, error) {
	header := slices.Concat(t.Dimensions, models.OutcomeMeasures, []string{"suppressed"})
	records := make([][]any, 0, len(t.Rows)+1)
	records = append(records, textRecord(header))
	for _, r := range t.Rows {
		rec := make([]any, 0, len(header))
		for _, v := range r.Key {
			rec = append(rec, models.FormatKeyValue(v))
		}
		for _, m := range models.OutcomeMeasures {
			rec = append(rec, r.Measures[m])
		}
		rec = append(rec, strings.Join(r.Suppressed, " "))
		records = append(records, rec)
	}
	return d.write(records)
}

// apiStatsOutcomes is GET /api/v1/stats/outcomes.
func (h *handlers) apiStatsOutcomes(c *fiber.Ctx) error {
	return h.statsJSON(c, nil, models.AuditStatsQuery)
}

// statsJSON answers the outcome table as JSON; as a download (an export)
// it comes as an attachment.
func (h *handlers) statsJSON(c *fiber.Ctx, defaultBy []string, action string) error {
	q, err := h.s.statsQuery(c, defaultBy)
	if err != nil {
		return err
	}
	t, err := h.s.outcomes(c, q, action, "json")
	if err != nil {
		return err
	}
	if action == models.AuditStatsExport {
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="kurve-outcomes.json"`)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	body, err := outcomeJSON(t)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

// apiStatsOutcomesCSV is GET /api/v1/stats/outcomes.csv.
func (h *handlers) apiStatsOutcomesCSV(c *fiber.Ctx) error {
	return h.statsCSV(c, nil)
}

// statsCSV answers the outcome table as CSV in the dialect the request
// asks for (?dialect=), by default the one of the user's language. A bad
// dialect is refused with the query's other errors, before anything is
// read or audited.
func (h *handlers) statsCSV(c *fiber.Ctx, defaultBy []string) error {
	d, derr := csvDialectFor(c, h.s.localizer(c).Lang)
	q, err := h.s.statsQuery(c, defaultBy)
	if err := joinValidation(derr, err); err != nil {
		return err
	}
	t, err := h.s.outcomes(c, q, models.AuditStatsExport, "csv")
	if err != nil {
		return err
	}
	body, err := outcomeCSV(t, d)
	if err != nil {
		return err
	}
	return sendCSV(c, "kurve-outcomes.csv", body)
}

// statsDownloadCSV and statsDownloadJSON are the dashboard's downloads.
func (h *handlers) statsDownloadCSV(c *fiber.Ctx) error { return h.statsCSV(c, dashboardBy) }

func (h *handlers) statsDownloadJSON(c *fiber.Ctx) error {
	return h.statsJSON(c, dashboardBy, models.AuditStatsExport)
}

// statsMeasureFormat says how a measure is shown: a count, a rate (as a
// percentage) or a decimal number.
func statsMeasureFormat(name string) (rate bool, digits int) {
	switch {
	case strings.HasSuffix(name, "_rate"), strings.HasSuffix(name, "_share"):
		return true, 0
	case name == "sessions_per_participant", name == "months_in_program_median":
		return false, 1
	case strings.HasSuffix(name, "_mean"), strings.HasSuffix(name, "_change"):
		return false, 2
	}
	return false, 0
}

// formatStat renders a number for the interface language: a decimal
// comma in German and Turkish.
func formatStat(lang string, v float64, rate bool, digits int) string {
	if rate {
		v *= 100
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if digits > 0 {
		s = strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
	}
	if lang == "de" || lang == "tr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	if rate {
		switch lang {
		case "de":
			return s + " %"
		case "tr":
			return "%" + s
		}
		return s + "%"
	}
	return s
}

// dimensionLabel is the localised label of a dimension value.
func dimensionLabel(l *Localizer, dim string, v any) string {
	if v == nil {
		return l.T("stats.total")
	}
	switch dim {
	case "age_band":
		return l.T("stats.age." + strings.NewReplacer("-", "_", "+", "_plus").Replace(v.(string)))
	case "gender":
		return l.T("gender." + v.(string))
	case "interpreter":
		return l.T(fmt.Sprintf("stats.interpreter.%t", v))
	case "reason":
		if v == "none" {
			return l.T("stats.reason.none")
		}
		return l.T("reason." + v.(string))
	case "quarter":
		year, q, _ := strings.Cut(v.(string), "-Q")
		return l.T("stats.quarter_value", "Year", year, "Quarter", q)
	}
	return models.FormatKeyValue(v)
}
