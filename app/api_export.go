package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// apiParticipantExport is GET /api/v1/participants/{id}/export: everything
// stored about a participant and its family, for the data-protection
// officer (GDPR Art. 15, issue 12; models.ExportParticipant). Notes and
// place of group sessions are withheld and listed as such. An unknown or
// erased participant is 404. Audited.
func (h *handlers) apiParticipantExport(c *fiber.Ctx) error {
	e, err := exportParticipant(c, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(e)
}

// exportParticipant exports and audits; shared by the API and the web page.
// The audit entry holds the case number and the counts handed out and
// withheld, never content.
func exportParticipant(c *fiber.Ctx, id string) (*models.Export, error) {
	e, err := store(c).ExportParticipant(id)
	if err != nil {
		return nil, err
	}
	return e, audit(c, currentUser(c), models.AuditParticipantExport, "participant", id,
		map[string]any{"case_number": e.Participant.CaseNumber, "sessions": len(e.Sessions), "withheld": len(e.Withheld)})
}
