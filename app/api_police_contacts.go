package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Police contacts after a referral (issue 17, SPEC §11): the liaison who
// submitted a referral records the child's later police contacts on it
// (POST /api/v1/referrals/{id}/contacts) and lists them (GET). Another
// liaison's referral is not found; nothing of it reaches the prevention
// side, the evaluators count it only (crossing 3).

// policeContactJSON is one contact as its liaison sees it.
type policeContactJSON struct {
	ID         string `json:"id"`
	ReferralID string `json:"referral_id"`
	OccurredOn string `json:"occurred_on"`
	Category   string `json:"category"`
	RecordedAt string `json:"recorded_at"`
}

func policeContactOut(pc *models.PoliceContact) policeContactJSON {
	return policeContactJSON{ID: pc.ID, ReferralID: pc.ReferralID, OccurredOn: pc.OccurredOn.Format(time.DateOnly),
		Category: pc.Category, RecordedAt: pc.CreatedAt.UTC().Format(time.RFC3339)}
}

type policeContactCreateJSON struct {
	OccurredOn string `json:"occurred_on" validate:"required"`
	Category   string `json:"category" validate:"required"`
}

// apiPoliceContactCreate records a contact: 201, 404 for a referral not
// the liaison's own (before anything else is checked), 422 for an invalid
// day or category.
func (h *handlers) apiPoliceContactCreate(c *fiber.Ctx) error {
	var in policeContactCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	st := store(c)
	if err := st.CheckOwnReferral(c.Params("id")); err != nil {
		return err
	}
	on := dp.opt("occurred_on", in.OccurredOn)
	if err := dp.err(); err != nil {
		return err
	}
	pc, err := recordPoliceContact(c, c.Params("id"), models.PoliceContactInput{OccurredOn: on, Category: in.Category})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderLocation, "/api/v1/referrals/"+pc.ReferralID+"/contacts")
	return c.Status(fiber.StatusCreated).JSON(policeContactOut(pc))
}

// recordPoliceContact stores a contact and audits it by ids only (never
// its day or category); shared by the API and the web form.
func recordPoliceContact(c *fiber.Ctx, referralID string, in models.PoliceContactInput) (*models.PoliceContact, error) {
	pc, err := store(c).CreatePoliceContact(referralID, in, today(c))
	if err != nil {
		return nil, err
	}
	return pc, audit(c, currentUser(c), models.AuditPoliceContactCreate, "referral", pc.ReferralID,
		map[string]any{"contact_id": pc.ID})
}

// apiPoliceContacts lists the contacts of the liaison's own referral,
// newest first, in pages; the read is audited with the count.
func (h *handlers) apiPoliceContacts(c *fiber.Ctx) error {
	id := c.Params("id")
	st := store(c)
	if err := st.CheckOwnReferral(id); err != nil {
		return err
	}
	pcs, next, err := readPage(c, func(pg models.Page) ([]models.PoliceContact, error) { return st.PoliceContactsPage(id, pg) },
		(*models.PoliceContact).Cursor)
	if err != nil {
		return err
	}
	linkNext(c, next)
	if err := audit(c, currentUser(c), models.AuditPoliceContactRead, "referral", id, map[string]any{"count": len(pcs)}); err != nil {
		return err
	}
	out := make([]policeContactJSON, 0, len(pcs))
	for i := range pcs {
		out = append(out, policeContactOut(&pcs[i]))
	}
	return c.JSON(out)
}
