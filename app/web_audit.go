package app

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The dpo's audit viewer on the web (issue 12): a GET form with the
// filters, one page of entries newest first, a link to the next page and
// the CSV download of everything the filter selects. The dpo reads ids,
// case numbers, actions, roles and times: names of staff, never a name
// or anything else of a child or family.

type auditView struct {
	// The form as entered.
	Participant, ActorID, Action, From, To string
	Actors                                 []auditActorOption
	Actions                                []string
	Lines                                  []auditLine
	NextURL, FirstURL, CSVURL              string
	Failed                                 bool
}

type auditActorOption struct {
	ID, Label string
	Selected  bool
}

// auditLine is one entry as the page shows it.
type auditLine struct {
	ID                       int64
	Seq                      string
	Time, TimeISO            string
	Actor, Role              string
	Action                   string
	ObjectType, Object, Site string
	CaseNumber               string
	Details                  string
	ParticipantURL, ActorURL string
	Anonymous, HasSeq        bool
}

// auditPage is GET /audit.
func (h *handlers) auditPage(c *fiber.Ctx) error {
	l := h.s.localizer(c)
	v := &auditView{Participant: strings.TrimSpace(c.Query("participant")), ActorID: c.Query("actor_id"),
		Action: strings.TrimSpace(c.Query("action")), From: c.Query("from"), To: c.Query("to"), Actions: models.AuditActions}
	actors, err := store(c).AuditActors()
	if err != nil {
		return err
	}
	for _, a := range actors {
		label := l.T("audit.actor_option", "Name", isolate(a.Name), "Role", roleLabel(l, string(a.Role)), "Site", isolate(a.SiteCode))
		if !a.Active {
			label = l.T("audit.actor_inactive", "Actor", label)
		}
		v.Actors = append(v.Actors, auditActorOption{ID: a.ID, Label: label, Selected: a.ID == v.ActorID})
	}
	f, ferr := auditFilterOf(c, true)
	if ve, ok := asValidation(ferr); ok {
		v.Failed = true
		p := h.s.newPage(c.Status(fiber.StatusUnprocessableEntity), "audit.title", v)
		p.Errors = formErrors(l, ve)
		return h.s.renderPage(c, "audit.html", p)
	} else if ferr != nil {
		return ferr
	}
	page, err := searchAudit(c, f, "html")
	if ve, ok := asValidation(err); ok {
		v.Failed = true
		p := h.s.newPage(c.Status(fiber.StatusUnprocessableEntity), "audit.title", v)
		p.Errors = formErrors(l, ve)
		return h.s.renderPage(c, "audit.html", p)
	} else if err != nil {
		return err
	}
	for _, e := range page.Entries {
		v.Lines = append(v.Lines, auditLineOf(l, e))
	}
	form := auditFormQuery(v)
	v.CSVURL = "/audit.csv?" + form.Encode()
	if f.After != nil {
		v.FirstURL = "/audit?" + form.Encode()
	}
	if page.Next != nil {
		form.Set("cursor", page.Next.String())
		v.NextURL = "/audit?" + form.Encode()
	}
	return h.s.renderPage(c, "audit.html", h.s.newPage(c, "audit.title", v))
}

// auditFormQuery is the form's filter as a query string (no cursor).
func auditFormQuery(v *auditView) url.Values {
	q := url.Values{}
	for k, val := range map[string]string{"participant": v.Participant, "actor_id": v.ActorID, "action": v.Action, "from": v.From, "to": v.To} {
		if val != "" {
			q.Set(k, val)
		}
	}
	return q
}

// auditDownloadCSV is GET /audit.csv, the page's download.
func (h *handlers) auditDownloadCSV(c *fiber.Ctx) error {
	return auditDownload(c, h.s.localizer(c), true)
}

func roleLabel(l *Localizer, role string) string {
	if models.Role(role).Valid() {
		return l.T("role." + role)
	}
	return role
}

func auditLineOf(l *Localizer, e models.AuditEntry) auditLine {
	line := auditLine{ID: e.ID, Time: l.DateTimeSeconds(e.At), TimeISO: auditTimestamp(e.At),
		Action: e.Action, ObjectType: e.ObjectType, Object: e.ObjectID, CaseNumber: e.CaseNumber, Site: e.SiteCode}
	if e.Seq != nil {
		line.Seq, line.HasSeq = fmt.Sprint(*e.Seq), true
	}
	switch {
	case e.ActorID == nil:
		line.Anonymous = true
	case e.ActorName != "":
		line.Actor = e.ActorName
	default:
		line.Actor = *e.ActorID
	}
	if e.ActorRole != "" {
		line.Role = roleLabel(l, e.ActorRole)
	}
	if e.ActorID != nil {
		line.ActorURL = "/audit?" + url.Values{"actor_id": {*e.ActorID}}.Encode()
	}
	if e.CaseNumber != "" {
		line.ParticipantURL = "/audit?" + url.Values{"participant": {e.CaseNumber}}.Encode()
	}
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %v", k, e.Details[k]))
	}
	line.Details = strings.Join(parts, ", ")
	return line
}
