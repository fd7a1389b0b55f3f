package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// feedbackJSON is all a police liaison gets about a referral (crossing 2):
// no names of staff, no session data, no date finer than the month.
type feedbackJSON struct {
	ID              string `json:"id"`
	PoliceReference string `json:"police_reference"`
	Status          string `json:"status"`
	Since           string `json:"since"`
}

func feedbackOut(f *models.Feedback) feedbackJSON {
	return feedbackJSON{ID: f.ID, PoliceReference: f.PoliceReference, Status: f.Status, Since: f.Since.Format("2006-01")}
}

// intakeJSON is a referral as the intake crossing shows it to a
// coordinator: never police notes, officer, unit or reference.
type intakeJSON struct {
	ID             string `json:"id"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	DateOfBirth    string `json:"date_of_birth"`
	Gender         string `json:"gender"`
	GuardianName   string `json:"guardian_name"`
	GuardianPhone  string `json:"guardian_phone"`
	ReasonCategory string `json:"reason_category"`
	ReceivedOn     string `json:"received_on"`
}

func intakeOut(r *models.IntakeReferral) intakeJSON {
	return intakeJSON{ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, DateOfBirth: r.DateOfBirth.Format(time.DateOnly),
		Gender: r.Gender, GuardianName: r.GuardianName, GuardianPhone: r.GuardianPhone, ReasonCategory: r.ReasonCategory,
		ReceivedOn: r.ReceivedOn.Format(time.DateOnly)}
}

type referralCreateJSON struct {
	FirstName       string `json:"first_name" validate:"required,max=100"`
	LastName        string `json:"last_name" validate:"required,max=100"`
	DateOfBirth     string `json:"date_of_birth" validate:"required"`
	Gender          string `json:"gender" validate:"required"`
	Site            string `json:"site" validate:"required"`
	ReasonCategory  string `json:"reason_category" validate:"required"`
	PoliceReference string `json:"police_reference" validate:"required,max=60"`
	ReferringUnit   string `json:"referring_unit"`
	OfficerName     string `json:"officer_name"`
	GuardianName    string `json:"guardian_name"`
	GuardianPhone   string `json:"guardian_phone"`
	Notes           string `json:"notes"`
}

// apiReferralCreate stores a police referral (police liaisons).
func (h *handlers) apiReferralCreate(c *fiber.Ctx) error {
	var in referralCreateJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	dob := dp.opt("date_of_birth", in.DateOfBirth)
	if err := dp.err(); err != nil {
		return err
	}
	r, err := store(c).CreateReferral(models.ReferralInput{FirstName: in.FirstName, LastName: in.LastName, DateOfBirth: dob,
		Gender: in.Gender, SiteCode: in.Site, ReasonCategory: in.ReasonCategory, PoliceReference: in.PoliceReference,
		ReferringUnit: in.ReferringUnit, OfficerName: in.OfficerName, GuardianName: in.GuardianName,
		GuardianPhone: in.GuardianPhone, Notes: in.Notes}, today(c))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditReferralCreate, "referral", r.ID, nil); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": r.ID, "status": models.FeedbackReceived})
}

// apiReferrals lists referrals in pages: for a police liaison their own,
// as feedback, newest first; for a coordinator the site's intake queue,
// oldest first, of one reason category with ?reason=.
func (h *handlers) apiReferrals(c *fiber.Ctx) error {
	if currentUser(c).Role == models.RolePoliceLiaison {
		fs, next, err := readPage(c, store(c).FeedbackPage, (*models.Feedback).Cursor)
		if err != nil {
			return err
		}
		linkNext(c, next)
		out := make([]feedbackJSON, 0, len(fs))
		for i := range fs {
			out = append(out, feedbackOut(&fs[i]))
		}
		return c.JSON(out)
	}
	q, next, err := intakePage(c, c.Query("reason"))
	if err != nil {
		return err
	}
	linkNext(c, next)
	if err := audit(c, currentUser(c), models.AuditReferralRead, "referral", "", map[string]any{"count": len(q)}); err != nil {
		return err
	}
	out := make([]intakeJSON, 0, len(q))
	for i := range q {
		out = append(out, intakeOut(&q[i]))
	}
	return c.JSON(out)
}

// apiReferral returns one referral in the caller's view of it: to its
// police liaison their own fields with the feedback, to a coordinator the
// intake fields.
func (h *handlers) apiReferral(c *fiber.Ctx) error {
	id := c.Params("id")
	if currentUser(c).Role == models.RolePoliceLiaison {
		r, f, err := readOwnReferral(c, id)
		if err != nil {
			return err
		}
		return c.JSON(policeReferralOut(r, f))
	}
	r, err := store(c).IntakeReferralByID(id)
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditReferralRead, "referral", r.ID, nil); err != nil {
		return err
	}
	return c.JSON(intakeOut(r))
}

// referralAcceptJSON says where an accepted referral goes (both empty: a
// new case in a new family).
type referralAcceptJSON struct {
	ParticipantID string `json:"participant_id"`
	FamilyID      string `json:"family_id"`
}

// apiReferralAccept takes a referral into the program (coordinators): a
// new case, a sibling in an existing family (family_id) or a second
// referral of an existing case (participant_id). The body is optional.
func (h *handlers) apiReferralAccept(c *fiber.Ctx) error {
	var in referralAcceptJSON
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	p, kind, err := acceptReferral(c, c.Params("id"), models.AcceptInput{ParticipantID: in.ParticipantID, FamilyID: in.FamilyID})
	if err != nil {
		return err
	}
	out := participantOut(p, siteCode(c))
	return c.Status(fiber.StatusCreated).JSON(struct {
		participantJSON
		Intake string `json:"intake"`
	}{out, kind})
}

// acceptReferral is shared by the API and the intake page: the decision,
// and its audit entries (a new case is also a created participant).
func acceptReferral(c *fiber.Ctx, id string, in models.AcceptInput) (*models.Participant, string, error) {
	p, kind, err := store(c).AcceptReferral(id, in, today(c))
	if err != nil {
		return nil, "", err
	}
	u := currentUser(c)
	if err := audit(c, u, models.AuditReferralAccept, "referral", id, map[string]any{"participant_id": p.ID, "intake": kind}); err != nil {
		return nil, "", err
	}
	if kind == models.IntakeReReferral {
		return p, kind, nil
	}
	return p, kind, audit(c, u, models.AuditParticipantCreate, "participant", p.ID, map[string]any{"referral_id": id})
}

// referralMatches reads the cases and families that may be a referral's
// child or family; showing them is a read of those cases' names, audited
// like a list.
func referralMatches(c *fiber.Ctx, id string) ([]models.CaseMatch, []models.FamilyMatch, error) {
	cases, families, err := store(c).ReferralMatches(id)
	if err != nil {
		return nil, nil, err
	}
	n := len(cases)
	for _, f := range families {
		n += len(f.Children)
	}
	if n > 0 {
		err = audit(c, currentUser(c), models.AuditParticipantList, "participant", "", map[string]any{"count": n, "referral_id": id})
	}
	return cases, families, err
}

// matchJSON is an existing case that may be the referred child.
type matchJSON struct {
	ID          string   `json:"id"`
	CaseNumber  string   `json:"case_number"`
	FirstName   string   `json:"first_name"`
	LastName    string   `json:"last_name"`
	DateOfBirth string   `json:"date_of_birth"`
	Status      string   `json:"status"`
	FamilyID    string   `json:"family_id"`
	Reasons     []string `json:"reasons"`
}

// familyMatchJSON is an existing family the referred child may belong to.
type familyMatchJSON struct {
	ID        string      `json:"id"`
	Guardians []string    `json:"guardians"`
	Children  []matchJSON `json:"children"`
	Reasons   []string    `json:"reasons"`
}

func matchOut(p *models.Participant, reasons []string) matchJSON {
	m := matchJSON{ID: p.ID, CaseNumber: p.CaseNumber, FirstName: p.FirstName, LastName: p.LastName, Status: string(p.Status),
		FamilyID: p.FamilyID, Reasons: reasons}
	if p.DateOfBirth != nil {
		m.DateOfBirth = p.DateOfBirth.Format(time.DateOnly)
	}
	if m.Reasons == nil {
		m.Reasons = []string{}
	}
	return m
}

// apiReferralMatches lists the existing cases and families that may be a
// referral's child or family (coordinators, issue 16).
func (h *handlers) apiReferralMatches(c *fiber.Ctx) error {
	cases, families, err := referralMatches(c, c.Params("id"))
	if err != nil {
		return err
	}
	out := struct {
		Participants []matchJSON       `json:"participants"`
		Families     []familyMatchJSON `json:"families"`
	}{[]matchJSON{}, []familyMatchJSON{}}
	for i := range cases {
		out.Participants = append(out.Participants, matchOut(&cases[i].Participant, cases[i].Reasons))
	}
	for _, f := range families {
		fj := familyMatchJSON{ID: f.ID, Guardians: f.Guardians, Children: []matchJSON{}, Reasons: f.Reasons}
		if fj.Guardians == nil {
			fj.Guardians = []string{}
		}
		for i := range f.Children {
			fj.Children = append(fj.Children, matchOut(&f.Children[i], nil))
		}
		out.Families = append(out.Families, fj)
	}
	return c.JSON(out)
}

type referralDeclineJSON struct {
	Reason string `json:"reason" validate:"required"`
}

// apiReferralDecline declines a referral with a reason (coordinators).
func (h *handlers) apiReferralDecline(c *fiber.Ctx) error {
	var in referralDeclineJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := declineReferral(c, c.Params("id"), in.Reason); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"id": c.Params("id"), "decision": "declined"})
}

func declineReferral(c *fiber.Ctx, id, reason string) error {
	if err := store(c).DeclineReferral(id, reason); err != nil {
		return err
	}
	return audit(c, currentUser(c), models.AuditReferralDecline, "referral", id, map[string]any{"reason": reason})
}
