package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// eraseJSON is the body of DELETE /api/v1/participants/{id}.
type eraseJSON struct {
	Reason string `json:"reason"`
}

// erasedJSON answers an erasure.
type erasedJSON struct {
	ID         string `json:"id"`
	CaseNumber string `json:"case_number"`
	Erased     bool   `json:"erased"`
}

// apiParticipantErase erases a participant for the data-protection officer
// (GDPR Art. 17, issue 12): personal data destroyed, statistics kept
// (models.EraseParticipant). 409 while the case has not ended; audited with
// who, when, why and the case number.
func (h *handlers) apiParticipantErase(c *fiber.Ctx) error {
	var in eraseJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	caseNumber, err := eraseParticipant(c, c.Params("id"), in.Reason)
	if err != nil {
		return err
	}
	return c.JSON(erasedJSON{ID: c.Params("id"), CaseNumber: caseNumber, Erased: true})
}

// eraseParticipant erases and audits; shared by the API and the web page.
func eraseParticipant(c *fiber.Ctx, id, reason string) (string, error) {
	caseNumber, err := store(c).EraseParticipant(id, reason)
	if err != nil {
		return "", err
	}
	return caseNumber, audit(c, currentUser(c), models.AuditParticipantErase, "participant", id,
		map[string]any{"reason": reason, "case_number": caseNumber})
}
