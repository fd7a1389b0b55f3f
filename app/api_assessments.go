package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The assessment API (issue 17, SPEC §11): the site's instrument, and an
// assessment of a case by its social worker or the site's coordinator.

type anchorJSON struct {
	Score int    `json:"score"`
	Text  string `json:"text"`
}

type assessmentItemJSON struct {
	Code     string       `json:"code"`
	Version  int          `json:"version"`
	Name     string       `json:"name"`
	Kind     string       `json:"kind"`
	ScaleMin int          `json:"scale_min"`
	ScaleMax int          `json:"scale_max"`
	Anchors  []anchorJSON `json:"anchors"`
	Retired  bool         `json:"retired"`
}

func assessmentItemOut(it *models.AssessmentItem, lang string) assessmentItemJSON {
	out := assessmentItemJSON{Code: it.Code, Version: it.Version, Name: it.Labels.Name(lang), Kind: it.Kind, ScaleMin: it.ScaleMin,
		ScaleMax: it.ScaleMax, Anchors: []anchorJSON{}, Retired: !it.Current()}
	for _, p := range it.Points() {
		out.Anchors = append(out.Anchors, anchorJSON{Score: p, Text: it.Anchor(p, lang)})
	}
	return out
}

// apiAssessmentItems returns the site's current instrument in the user's
// language; ?all=true gives a coordinator the retired versions too.
func (h *handlers) apiAssessmentItems(c *fiber.Ctx) error {
	all := c.QueryBool("all") && currentUser(c).Role == models.RoleCoordinator
	items, err := store(c).AssessmentItems(all)
	if err != nil {
		return err
	}
	lang := h.s.localizer(c).Lang
	out := make([]assessmentItemJSON, 0, len(items))
	for i := range items {
		out = append(out, assessmentItemOut(&items[i], lang))
	}
	return c.JSON(out)
}

type assessmentCreateJSON struct {
	Occasion   string              `json:"occasion" validate:"required"`
	Scores     map[string]*float64 `json:"scores"`
	Comment    string              `json:"comment"`
	AssessedOn string              `json:"assessed_on"`
}

type assessmentJSON struct {
	ID            string          `json:"id"`
	ParticipantID string          `json:"participant_id"`
	Occasion      string          `json:"occasion"`
	AssessedOn    string          `json:"assessed_on"`
	Scores        map[string]*int `json:"scores"`
	Comment       string          `json:"comment"`
}

// assessmentOut gives an assessment's scores by the code of the items it
// was recorded with.
func assessmentOut(a *models.Assessment, items []models.AssessmentItem) assessmentJSON {
	out := assessmentJSON{ID: a.ID, ParticipantID: a.ParticipantID, Occasion: a.Occasion, AssessedOn: formatDate(&a.AssessedOn),
		Scores: map[string]*int{}, Comment: a.Comment}
	for _, it := range items {
		if s, ok := a.Scores[it.ID]; ok {
			out.Scores[it.Code] = s
		}
	}
	return out
}

// apiAssessmentCreate records an assessment of every current item:
// 201, or 422 naming each missing, unknown or off-scale score.
func (h *handlers) apiAssessmentCreate(c *fiber.Ctx) error {
	var in assessmentCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	on := dp.opt("assessed_on", in.AssessedOn)
	if err := dp.err(); err != nil {
		return err
	}
	input := models.AssessmentInput{Occasion: in.Occasion, Scores: in.Scores, Comment: in.Comment}
	if on != nil {
		input.AssessedOn = *on
	}
	a, items, err := recordAssessment(c, c.Params("id"), input)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(assessmentOut(a, items))
}

// recordAssessment is shared by the API and the assessment form: it
// records and audits (the case as object; occasion and id, no score).
func recordAssessment(c *fiber.Ctx, participantID string, in models.AssessmentInput) (*models.Assessment, []models.AssessmentItem, error) {
	a, items, err := store(c).RecordAssessment(participantID, in, today(c))
	if err != nil {
		return nil, nil, err
	}
	return a, items, audit(c, currentUser(c), models.AuditAssessmentRecord, "participant", a.ParticipantID,
		map[string]any{"assessment_id": a.ID, "occasion": a.Occasion})
}
