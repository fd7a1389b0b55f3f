package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// participantJSON is a participant in the API. Fields a language mediator
// may not see are absent (nil) for them, not empty.
type participantJSON struct {
	ID              string   `json:"id"`
	CaseNumber      string   `json:"case_number"`
	Site            string   `json:"site"`
	FamilyID        string   `json:"family_id"`
	FirstName       string   `json:"first_name"`
	LastName        string   `json:"last_name"`
	Languages       []string `json:"languages"`
	Status          string   `json:"status"`
	DateOfBirth     *string  `json:"date_of_birth,omitempty"`
	Gender          *string  `json:"gender,omitempty"`
	School          *string  `json:"school,omitempty"`
	Notes           *string  `json:"notes,omitempty"`
	StatusChangedOn *string  `json:"status_changed_on,omitempty"`
	ActivatedOn     *string  `json:"activated_on,omitempty"`
	EndedOn         *string  `json:"ended_on,omitempty"`
	EndReason       *string  `json:"end_reason,omitempty"`
	Version         *int     `json:"version,omitempty"`
}

func participantOut(p *models.Participant, site string) participantJSON {
	out := participantJSON{ID: p.ID, CaseNumber: p.CaseNumber, Site: site, FamilyID: p.FamilyID, FirstName: p.FirstName,
		LastName: p.LastName, Languages: p.Languages, Status: string(p.Status)}
	if out.Languages == nil {
		out.Languages = []string{}
	}
	if p.Limited {
		return out
	}
	dob, changed := formatDate(p.DateOfBirth), p.StatusChangedOn.Format(time.DateOnly)
	out.DateOfBirth, out.Gender, out.School, out.Notes = &dob, &p.Gender, &p.School, &p.Notes
	out.StatusChangedOn, out.Version = &changed, &p.Version
	if p.ActivatedOn != nil {
		s := formatDate(p.ActivatedOn)
		out.ActivatedOn = &s
	}
	if p.EndedOn != nil {
		s := formatDate(p.EndedOn)
		out.EndedOn = &s
	}
	if p.EndReason != "" {
		out.EndReason = &p.EndReason
	}
	return out
}

func siteCode(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil && u.Site != nil {
		return u.Site.Code
	}
	return ""
}

// apiParticipants lists the caller's visible participants by case number,
// a page of limit (default 50, at most 500) with a Link to the next while
// more follow (SPEC §11): a page costs by what it shows, not by the site.
func (h *handlers) apiParticipants(c *fiber.Ctx) error {
	st := models.Status(c.Query("status"))
	if st != "" && !st.Valid() {
		v := &models.ValidationError{}
		v.Add("status", "validation.oneof", nil)
		return v
	}
	search, err := models.ParseSearch(c.Query("q"))
	if err != nil {
		return err
	}
	ps, next, err := readPage(c, func(pg models.Page) ([]models.Participant, error) {
		return store(c).Participants(models.ParticipantFilter{Status: st, After: pg.After, Limit: pg.Limit, Search: search})
	}, (*models.Participant).Cursor)
	if err != nil {
		return err
	}
	linkNext(c, next)
	if err := audit(c, currentUser(c), models.AuditParticipantList, "participant", "", listDetails(len(ps), search)); err != nil {
		return err
	}
	out := make([]participantJSON, 0, len(ps))
	for i := range ps {
		out = append(out, participantOut(&ps[i], siteCode(c)))
	}
	return c.JSON(out)
}

// apiParticipant returns one participant, audited as a read.
func (h *handlers) apiParticipant(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	return c.JSON(participantOut(p, siteCode(c)))
}

// readParticipant loads the :id participant and audits the read (SPEC §9),
// in one statement.
func readParticipant(c *fiber.Ctx) (*models.Participant, error) {
	return readParticipantID(c, c.Params("id"))
}

// readParticipantID is readParticipant for a participant named otherwise.
func readParticipantID(c *fiber.Ctx, id string) (*models.Participant, error) {
	return store(c).ReadParticipant(id, auditEvent(c, currentUser(c), models.AuditParticipantRead, "participant"))
}

type participantCreateJSON struct {
	FirstName   string   `json:"first_name" validate:"required,max=100"`
	LastName    string   `json:"last_name" validate:"required,max=100"`
	DateOfBirth string   `json:"date_of_birth" validate:"required"`
	Gender      string   `json:"gender" validate:"required"`
	Site        string   `json:"site" validate:"required"`
	Languages   []string `json:"languages"`
	FamilyID    string   `json:"family_id"`
	School      string   `json:"school"`
	Notes       string   `json:"notes"`
}

// apiParticipantCreate opens a case at the coordinator's site.
func (h *handlers) apiParticipantCreate(c *fiber.Ctx) error {
	var in participantCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	dob := dp.opt("date_of_birth", in.DateOfBirth)
	if in.Site != "" && in.Site != siteCode(c) {
		dp.v.Add("site", "validation.site_own", nil)
	}
	if err := dp.err(); err != nil {
		return err
	}
	langs := in.Languages
	p, err := store(c).CreateParticipant(models.ParticipantInput{FirstName: &in.FirstName, LastName: &in.LastName,
		DateOfBirth: dob, Gender: &in.Gender, Languages: &langs, School: &in.School, Notes: &in.Notes},
		in.FamilyID, models.FamilyInput{}, today(c))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditParticipantCreate, "participant", p.ID, nil); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(participantOut(p, siteCode(c)))
}

type participantPatchJSON struct {
	Version     *int      `json:"version" validate:"required"`
	FirstName   *string   `json:"first_name"`
	LastName    *string   `json:"last_name"`
	DateOfBirth *string   `json:"date_of_birth"`
	Gender      *string   `json:"gender"`
	Languages   *[]string `json:"languages"`
	School      *string   `json:"school"`
	Notes       *string   `json:"notes"`
	Status      *string   `json:"status"`
	EndReason   *string   `json:"end_reason"`
}

// apiParticipantPatch changes any subset of fields and, optionally, the
// status (SPEC §3). A stale version answers 409 and changes nothing.
func (h *handlers) apiParticipantPatch(c *fiber.Ctx) error {
	var in participantPatchJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	dp := newDateParser()
	var dob *time.Time
	if in.DateOfBirth != nil {
		if dob = dp.opt("date_of_birth", *in.DateOfBirth); dob == nil && *in.DateOfBirth == "" {
			dp.v.Add("date_of_birth", "validation.required", nil)
		}
	}
	if in.Status != nil && !models.Status(*in.Status).Valid() {
		dp.v.Add("status", "validation.oneof", nil)
	}
	if err := dp.err(); err != nil {
		return err
	}
	p, err := changeParticipant(c, c.Params("id"), *in.Version, models.ParticipantInput{FirstName: in.FirstName,
		LastName: in.LastName, DateOfBirth: dob, Gender: in.Gender, Languages: in.Languages, School: in.School, Notes: in.Notes},
		in.Status, deref(in.EndReason))
	if err != nil {
		return err
	}
	return c.JSON(participantOut(p, siteCode(c)))
}

// changeParticipant applies field changes and then a status change, each
// audited; shared by the API and the web forms.
func changeParticipant(c *fiber.Ctx, id string, version int, in models.ParticipantInput, status *string, reason string) (*models.Participant, error) {
	st, u := store(c), currentUser(c)
	p, err := st.ParticipantByID(id)
	if err != nil {
		return nil, err
	}
	if in != (models.ParticipantInput{}) {
		if p, err = st.UpdateParticipant(id, version, in, today(c)); err != nil {
			return nil, err
		}
		if err := audit(c, u, models.AuditParticipantUpdate, "participant", id, nil); err != nil {
			return nil, err
		}
		version = p.Version
	}
	if status != nil && models.Status(*status) != p.Status {
		from := p.Status
		if p, err = st.ChangeStatus(id, version, models.Status(*status), reason, today(c)); err != nil {
			return nil, err
		}
		if err := audit(c, u, models.AuditParticipantStatus, "participant", id,
			map[string]any{"from": string(from), "to": string(p.Status)}); err != nil {
			return nil, err
		}
	} else if p.Version != version {
		return nil, models.ErrConflict
	}
	return p, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// listDetails are the audit details of a list of participants: how many
// were shown and, for a search, that it was one and by what kind of term
// (never the term: it may be a name).
func listDetails(n int, q *models.Search) map[string]any {
	d := map[string]any{"count": n}
	if q != nil {
		var by []string
		if len(q.Words) > 0 {
			by = append(by, "name")
		}
		if q.CasePrefix != "" {
			by = append(by, "case_number")
		}
		if q.BirthDate != nil {
			by = append(by, "date_of_birth")
		}
		d["search"] = by
	}
	return d
}
