package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Police see their own referral (issue 16, SPEC §5, §11): GET
// /api/v1/referrals/{id} answers its liaison the feedback as before plus
// the fields they submitted and the version; PATCH corrects it while intake
// has not decided (409 once decided or on a stale version, 422 on invalid
// input). Nothing of the prevention side but the feedback and whether
// intake decided.

// policeReferralJSON is a referral as its police liaison sees it: the
// stable {id, police_reference, status} of the feedback crossing (with its
// month), their own fields as submitted, the version to correct it with,
// and whether it may still be corrected.
type policeReferralJSON struct {
	feedbackJSON
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	DateOfBirth    string `json:"date_of_birth,omitempty"`
	Gender         string `json:"gender"`
	Site           string `json:"site"`
	ReasonCategory string `json:"reason_category"`
	ReferringUnit  string `json:"referring_unit"`
	OfficerName    string `json:"officer_name"`
	GuardianName   string `json:"guardian_name"`
	GuardianPhone  string `json:"guardian_phone"`
	Notes          string `json:"notes"`
	Version        int    `json:"version"`
	Editable       bool   `json:"editable"`
}

func policeReferralOut(r *models.Referral, f *models.Feedback) policeReferralJSON {
	out := policeReferralJSON{feedbackJSON: feedbackOut(f), FirstName: r.FirstName, LastName: r.LastName, Gender: r.Gender,
		Site: r.SiteCode, ReasonCategory: r.ReasonCategory, ReferringUnit: r.ReferringUnit, OfficerName: r.OfficerName,
		GuardianName: r.GuardianName, GuardianPhone: r.GuardianPhone, Notes: r.Notes, Version: r.Version, Editable: r.Open}
	// The reference is the referral's own, as the liaison sees it now.
	out.PoliceReference = r.PoliceReference
	if !r.DateOfBirth.IsZero() {
		out.DateOfBirth = r.DateOfBirth.Format(time.DateOnly)
	}
	return out
}

// readOwnReferral loads the liaison's own referral :id with its feedback
// and audits the read (it shows names): not found for anyone else's.
func readOwnReferral(c *fiber.Ctx, id string) (*models.Referral, *models.Feedback, error) {
	st := store(c)
	r, err := st.ReferralByID(id)
	if err != nil {
		return nil, nil, err
	}
	f, err := st.FeedbackFor(r.ID)
	if err != nil {
		return nil, nil, err
	}
	return r, f, audit(c, currentUser(c), models.AuditReferralRead, "referral", r.ID, nil)
}

// referralPatchJSON is a correction: any subset of the submitted fields,
// and the version it is based on.
type referralPatchJSON struct {
	Version         *int    `json:"version" validate:"required"`
	FirstName       *string `json:"first_name"`
	LastName        *string `json:"last_name"`
	DateOfBirth     *string `json:"date_of_birth"`
	Gender          *string `json:"gender"`
	Site            *string `json:"site"`
	ReasonCategory  *string `json:"reason_category"`
	PoliceReference *string `json:"police_reference"`
	ReferringUnit   *string `json:"referring_unit"`
	OfficerName     *string `json:"officer_name"`
	GuardianName    *string `json:"guardian_name"`
	GuardianPhone   *string `json:"guardian_phone"`
	Notes           *string `json:"notes"`
}

// apiReferralPatch corrects the liaison's own referral: the fields sent
// replace the stored ones, the result is validated like a new referral.
func (h *handlers) apiReferralPatch(c *fiber.Ctx) error {
	var in referralPatchJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	st := store(c)
	r, err := st.ReferralByID(c.Params("id"))
	if err != nil {
		return err
	}
	next := r.Input()
	dp := newDateParser()
	if in.DateOfBirth != nil {
		if next.DateOfBirth = dp.opt("date_of_birth", *in.DateOfBirth); next.DateOfBirth == nil && *in.DateOfBirth == "" {
			dp.v.Add("date_of_birth", "validation.required", nil)
		}
	}
	if err := dp.err(); err != nil {
		return err
	}
	for dst, src := range map[*string]*string{&next.FirstName: in.FirstName, &next.LastName: in.LastName, &next.Gender: in.Gender,
		&next.SiteCode: in.Site, &next.ReasonCategory: in.ReasonCategory, &next.PoliceReference: in.PoliceReference,
		&next.ReferringUnit: in.ReferringUnit, &next.OfficerName: in.OfficerName, &next.GuardianName: in.GuardianName,
		&next.GuardianPhone: in.GuardianPhone, &next.Notes: in.Notes} {
		if src != nil {
			*dst = *src
		}
	}
	updated, err := correctReferral(c, r, *in.Version, next)
	if err != nil {
		return err
	}
	f, err := st.FeedbackFor(updated.ID)
	if err != nil {
		return err
	}
	return c.JSON(policeReferralOut(updated, f))
}

// correctReferral saves a correction of r and audits it, naming the fields
// changed (never their values); shared by the API and the web form.
func correctReferral(c *fiber.Ctx, r *models.Referral, version int, in models.ReferralInput) (*models.Referral, error) {
	updated, err := store(c).UpdateReferral(r.ID, version, in, today(c))
	if err != nil {
		return nil, err
	}
	return updated, audit(c, currentUser(c), models.AuditReferralUpdate, "referral", r.ID,
		map[string]any{"fields": in.ChangedFields(r.Input()), "version": updated.Version})
}
