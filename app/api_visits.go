package app

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// visitJSON is a visit; the outcome note is absent for mediators.
type visitJSON struct {
	ID             string  `json:"id"`
	ParticipantID  string  `json:"participant_id"`
	CaseNumber     string  `json:"case_number"`
	StartsAt       string  `json:"starts_at"`
	EndsAt         string  `json:"ends_at"`
	Purpose        string  `json:"purpose"`
	MediatorID     *string `json:"mediator_id"`
	SocialWorkerID *string `json:"social_worker_id"`
	Status         string  `json:"status"`
	OutcomeNote    *string `json:"outcome_note,omitempty"`
	Version        int     `json:"version"`
}

func visitOut(v *models.Visit, limited bool) visitJSON {
	out := visitJSON{ID: v.ID, ParticipantID: v.ParticipantID, CaseNumber: v.CaseNumber, StartsAt: v.StartsAt.UTC().Format(time.RFC3339),
		EndsAt: v.EndsAt.UTC().Format(time.RFC3339), Purpose: v.Purpose, MediatorID: optString(v.MediatorID),
		SocialWorkerID: optString(v.SocialWorkerID), Status: v.Status, Version: v.Version}
	if !limited {
		out.OutcomeNote = &v.OutcomeNote
	}
	return out
}

type visitCreateJSON struct {
	ParticipantID  string `json:"participant_id" validate:"required"`
	StartsAt       string `json:"starts_at" validate:"required"`
	EndsAt         string `json:"ends_at" validate:"required"`
	Purpose        string `json:"purpose" validate:"required"`
	MediatorID     string `json:"mediator_id"`
	SocialWorkerID string `json:"social_worker_id"`
}

// parseTimes reads RFC 3339 fields into the date parser's errors.
func parseTimes(dp *dateParser, fields map[string]string) map[string]time.Time {
	out := map[string]time.Time{}
	for field, s := range fields {
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			dp.v.Add(field, "validation.datetime", nil)
			continue
		}
		out[field] = t
	}
	return out
}

// apiVisitCreate plans a visit: 409 when a person is double-booked, 422
// without valid consent.
func (h *handlers) apiVisitCreate(c *fiber.Ctx) error {
	var in visitCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	ts := parseTimes(dp, map[string]string{"starts_at": in.StartsAt, "ends_at": in.EndsAt})
	if err := dp.err(); err != nil {
		return err
	}
	v, err := store(c).CreateVisit(models.VisitInput{ParticipantID: in.ParticipantID, StartsAt: ts["starts_at"], EndsAt: ts["ends_at"],
		Purpose: in.Purpose, MediatorID: in.MediatorID, SocialWorkerID: in.SocialWorkerID}, today(c))
	if err != nil {
		return visitError(err)
	}
	if err := audit(c, currentUser(c), models.AuditVisitCreate, "participant", v.ParticipantID, map[string]any{"visit_id": v.ID}); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(visitOut(v, currentUser(c).Role == models.RoleMediator))
}

// visitConflict is the 409 of a double booking; handleError names the
// other visit by time and case number only.
type visitConflict struct{ *models.ConflictError }

func visitError(err error) error {
	var ce *models.ConflictError
	if errors.As(err, &ce) {
		return visitConflict{ce}
	}
	return err
}

// apiVisits lists the caller's visits between from and to (dates; default
// this week and the next three), of one status with ?status=, by start in
// pages.
func (h *handlers) apiVisits(c *fiber.Ctx) error {
	dp := newDateParser()
	from, to := dp.opt("from", c.Query("from")), dp.opt("to", c.Query("to"))
	if err := dp.err(); err != nil {
		return err
	}
	start := today(c).AddDate(0, 0, -7)
	if from != nil {
		start = *from
	}
	end := start.AddDate(0, 0, 35)
	if to != nil {
		end = to.AddDate(0, 0, 1)
	}
	if !end.After(start) || end.Sub(start) > 400*24*time.Hour {
		v := &models.ValidationError{}
		v.Add("to", "validation.after_from", nil)
		return v
	}
	vs, next, err := readPage(c, func(pg models.Page) ([]models.Visit, error) {
		return store(c).VisitsPage(models.VisitFilter{From: start, To: end, Status: c.Query("status"), Page: pg})
	}, (*models.Visit).Cursor)
	if err != nil {
		return err
	}
	linkNext(c, next)
	limited := currentUser(c).Role == models.RoleMediator
	out := make([]visitJSON, 0, len(vs))
	for i := range vs {
		out = append(out, visitOut(&vs[i], limited))
	}
	return c.JSON(out)
}

type visitPatchJSON struct {
	Version     *int    `json:"version" validate:"required"`
	StartsAt    *string `json:"starts_at"`
	EndsAt      *string `json:"ends_at"`
	Status      *string `json:"status"`
	OutcomeNote *string `json:"outcome_note"`
}

// apiVisitPatch moves a visit or records what happened (mediators: status
// only; notes are for social workers).
func (h *handlers) apiVisitPatch(c *fiber.Ctx) error {
	var in visitPatchJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	if in.StartsAt != nil {
		fields["starts_at"] = *in.StartsAt
	}
	if in.EndsAt != nil {
		fields["ends_at"] = *in.EndsAt
	}
	ts := parseTimes(dp, fields)
	if err := dp.err(); err != nil {
		return err
	}
	patch := models.VisitPatch{Status: in.Status, OutcomeNote: in.OutcomeNote}
	if t, ok := ts["starts_at"]; ok {
		patch.StartsAt = &t
	}
	if t, ok := ts["ends_at"]; ok {
		patch.EndsAt = &t
	}
	v, err := store(c).UpdateVisit(c.Params("id"), *in.Version, patch, now(c))
	if err != nil {
		return visitError(err)
	}
	if err := audit(c, currentUser(c), models.AuditVisitUpdate, "participant", v.ParticipantID, map[string]any{"visit_id": v.ID}); err != nil {
		return err
	}
	return c.JSON(visitOut(v, currentUser(c).Role == models.RoleMediator))
}
