package app

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The audit viewer of the data-protection officer (issue 12, SPEC §9,
// §11): GET /api/v1/audit and its CSV twin, and the web page (web_audit.go).
// Every request runs as kurve_dpo, which reads the log and case numbers
// (through audit.case_numbers()) and no record of either side. Every
// search and every download is itself audited.

// maxAuditExport bounds a download: a larger one asks for a narrower
// filter instead of holding the log in memory.
const maxAuditExport = 50_000

// auditFilterOf reads the search's query parameters: participant_id or
// case_number (on the web page, one field "participant" takes either),
// actor_id, action, from, to (a day, YYYY-MM-DD, counts whole in the
// program's zone; an RFC 3339 time is exact, "to" exclusive), cursor and
// limit.
func auditFilterOf(c *fiber.Ctx, web bool) (models.AuditFilter, error) {
	v := &models.ValidationError{}
	f := models.AuditFilter{
		ParticipantID: strings.TrimSpace(c.Query("participant_id")),
		CaseNumber:    models.NormalizeCaseNumber(c.Query("case_number")),
		ActorID:       strings.TrimSpace(c.Query("actor_id")),
		Action:        strings.TrimSpace(c.Query("action")),
	}
	if web {
		f.ParticipantID, f.CaseNumber = "", ""
		if p := strings.TrimSpace(c.Query("participant")); looksLikeID(p) {
			f.ParticipantID = p
		} else {
			f.CaseNumber = models.NormalizeCaseNumber(p)
		}
	}
	var ok bool
	if f.From, ok = auditTime(c.Query("from"), false); !ok {
		v.Add("from", "validation.time", nil)
	}
	if f.To, ok = auditTime(c.Query("to"), true); !ok {
		v.Add("to", "validation.time", nil)
	}
	if s := c.Query("cursor"); s != "" {
		cur, err := models.ParseAuditCursor(s)
		if err != nil {
			v.Add("cursor", "validation.cursor", nil)
		}
		f.After = cur
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			n = -1
		}
		f.Limit = n
	}
	if err := f.Validate(); err != nil {
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			v.Fields = append(v.Fields, ve.Fields...)
		}
	}
	return f, v.OrNil()
}

// looksLikeID tells an id (a UUID, 36 characters with hyphens) from a case
// number in the web form's one participant field.
func looksLikeID(s string) bool {
	return len(s) == 36 && strings.Count(s, "-") == 4
}

// auditTime parses a bound of the time range; "" is no bound. A day as
// "to" includes that day: the bound is the next midnight.
func auditTime(s string, to bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, programZone); err == nil {
		if to {
			d = d.AddDate(0, 0, 1)
		}
		return d, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// auditDetails is what an audit entry of a search records: the filter,
// never more than ids and codes.
func auditDetails(f models.AuditFilter, format string, count int) map[string]any {
	d := map[string]any{"format": format, "count": count}
	for k, v := range map[string]string{"case_number": f.CaseNumber, "actor_id": f.ActorID, "action": f.Action} {
		if v != "" {
			d[k] = v
		}
	}
	if !f.From.IsZero() {
		d["from"] = f.From.UTC().Format(time.RFC3339Nano)
	}
	if !f.To.IsZero() {
		d["to"] = f.To.UTC().Format(time.RFC3339Nano)
	}
	if f.After != nil {
		d["cursor"] = f.After.String()
	}
	return d
}

// searchAudit runs the search and audits it: about the participant when
// the search was about one, so that looking at a child's trail becomes
// part of that trail.
func searchAudit(c *fiber.Ctx, f models.AuditFilter, format string) (*models.AuditPage, error) {
	page, err := store(c).SearchAudit(f)
	if err != nil {
		return nil, err
	}
	objectType := ""
	if page.ParticipantID != "" {
		objectType = "participant"
	}
	err = audit(c, currentUser(c), models.AuditAuditSearch, objectType, page.ParticipantID, auditDetails(f, format, len(page.Entries)))
	return page, err
}

// exportAudit reads every entry the filter selects, page by page, and
// audits the download.
func exportAudit(c *fiber.Ctx, f models.AuditFilter, format string) ([]models.AuditEntry, error) {
	f.After, f.Limit = nil, models.MaxAuditLimit
	var all []models.AuditEntry
	var participant string
	for {
		page, err := store(c).SearchAudit(f)
		if err != nil {
			return nil, err
		}
		participant = page.ParticipantID
		all = append(all, page.Entries...)
		if len(all) > maxAuditExport {
			v := &models.ValidationError{}
			v.Add("from", "validation.export_too_large", map[string]any{"Max": maxAuditExport})
			return nil, v
		}
		if page.Next == nil {
			break
		}
		f.After = page.Next
	}
	objectType := ""
	if participant != "" {
		objectType = "participant"
	}
	f.After = nil
	return all, audit(c, currentUser(c), models.AuditAuditExport, objectType, participant, auditDetails(f, format, len(all)))
}

// auditEntryJSON is one entry in the API (SPEC §11): seq is null until the
// sealer has linked the entry into the chain (a few seconds).
type auditEntryJSON struct {
	ID         int64          `json:"id"`
	Seq        *int64         `json:"seq"`
	At         string         `json:"at"`
	ActorID    *string        `json:"actor_id"`
	ActorRole  *string        `json:"actor_role"`
	Action     string         `json:"action"`
	ObjectType *string        `json:"object_type"`
	ObjectID   *string        `json:"object_id"`
	CaseNumber *string        `json:"case_number"`
	Site       *string        `json:"site"`
	Details    map[string]any `json:"details"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// auditTimestamp is an entry's time in RFC 3339, UTC, to the microsecond.
func auditTimestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

func auditEntryOut(e models.AuditEntry) auditEntryJSON {
	out := auditEntryJSON{ID: e.ID, Seq: e.Seq, At: auditTimestamp(e.At), ActorID: e.ActorID, ActorRole: nullable(e.ActorRole),
		Action: e.Action, ObjectType: nullable(e.ObjectType), ObjectID: nullable(e.ObjectID), CaseNumber: nullable(e.CaseNumber),
		Site: nullable(e.SiteCode), Details: e.Details}
	if out.Details == nil {
		out.Details = map[string]any{}
	}
	return out
}

// nextLink is the URL of the next page: the request's own query with the
// next cursor (without one: the first page).
func nextLink(c *fiber.Ctx, path, next string) string {
	q := url.Values{}
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		if string(k) != "cursor" {
			q.Add(string(k), string(v))
		}
	})
	if next != "" {
		q.Set("cursor", next)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// apiAudit is GET /api/v1/audit: one page, newest first, with a Link to
// the next while more follow.
func (h *handlers) apiAudit(c *fiber.Ctx) error {
	f, err := auditFilterOf(c, false)
	if err != nil {
		return err
	}
	page, err := searchAudit(c, f, "json")
	if err != nil {
		return err
	}
	out := make([]auditEntryJSON, 0, len(page.Entries))
	for _, e := range page.Entries {
		out = append(out, auditEntryOut(e))
	}
	if page.Next != nil {
		c.Set(fiber.HeaderLink, "<"+nextLink(c, "/api/v1/audit", page.Next.String())+`>; rel="next"`)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// auditCSVHeader are the columns of the download.
var auditCSVHeader = []string{"id", "seq", "at", "actor_id", "actor_role", "action", "object_type", "object_id", "case_number", "site", "details"}

// auditCSV writes entries as spreadsheet-safe CSV in dialect d; details as
// JSON. id and seq are numbers; times, ids and codes are text.
func auditCSV(entries []models.AuditEntry, d csvDialect) ([]byte, error) {
	records := [][]any{textRecord(auditCSVHeader)}
	for _, e := range entries {
		var seq any
		actor, details := "", []byte("{}")
		if e.Seq != nil {
			seq = *e.Seq
		}
		if e.ActorID != nil {
			actor = *e.ActorID
		}
		if len(e.Details) > 0 {
			var err error
			if details, err = json.Marshal(e.Details); err != nil {
				return nil, err
			}
		}
		records = append(records, []any{e.ID, seq, auditTimestamp(e.At), actor, e.ActorRole, e.Action,
			e.ObjectType, e.ObjectID, e.CaseNumber, e.SiteCode, string(details)})
	}
	return d.write(records)
}

// auditDownload answers every entry of the filter as a CSV attachment in
// the dialect the request asks for (?dialect=), by default the one of the
// user's language. A bad dialect is refused with the filter's errors,
// before anything is read or audited.
func auditDownload(c *fiber.Ctx, l *Localizer, web bool) error {
	d, derr := csvDialectFor(c, l.Lang)
	f, err := auditFilterOf(c, web)
	if err := joinValidation(derr, err); err != nil {
		return err
	}
	entries, err := exportAudit(c, f, "csv")
	if err != nil {
		return err
	}
	body, err := auditCSV(entries, d)
	if err != nil {
		return err
	}
	return sendCSV(c, "kurve-audit.csv", body)
}

// apiAuditCSV is GET /api/v1/audit.csv.
func (h *handlers) apiAuditCSV(c *fiber.Ctx) error { return auditDownload(c, h.s.localizer(c), false) }
