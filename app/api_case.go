package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// guardianJSON is a guardian as linked to a child; custody is absent for
// language mediators.
type guardianJSON struct {
	ID           string   `json:"id"`
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	Relationship string   `json:"relationship"`
	Phone        string   `json:"phone"`
	Email        string   `json:"email"`
	Languages    []string `json:"languages"`
	HasCustody   *bool    `json:"has_custody,omitempty"`
	// CustodyConfirmed is false for a guardian carried over from a
	// referral until staff confirm relationship and custody.
	CustodyConfirmed *bool `json:"custody_confirmed,omitempty"`
}

func guardianOut(g *models.Guardian, limited bool) guardianJSON {
	out := guardianJSON{ID: g.ID, FirstName: g.FirstName, LastName: g.LastName, Relationship: g.Relationship,
		Phone: g.Phone, Email: g.Email, Languages: g.Languages}
	if out.Languages == nil {
		out.Languages = []string{}
	}
	if !limited {
		out.HasCustody, out.CustodyConfirmed = &g.HasCustody, &g.CustodyConfirmed
	}
	return out
}

type custodyJSON struct {
	Relationship string `json:"relationship" validate:"required"`
	HasCustody   *bool  `json:"has_custody" validate:"required"`
}

// apiGuardianCustody confirms relationship and custody of a guardian of
// the child, for instance one carried over from a referral.
func (h *handlers) apiGuardianCustody(c *fiber.Ctx) error {
	var in custodyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	id, gid := c.Params("id"), c.Params("gid")
	if err := confirmCustody(c, id, gid, models.CustodyInput{Relationship: in.Relationship, HasCustody: *in.HasCustody}); err != nil {
		return err
	}
	gs, err := store(c).GuardiansOf(id)
	if err != nil {
		return err
	}
	for i := range gs {
		if gs[i].ID == gid {
			return c.JSON(guardianOut(&gs[i], false))
		}
	}
	return models.ErrNotFound
}

// confirmCustody is shared by the API and the case page.
func confirmCustody(c *fiber.Ctx, participantID, guardianID string, in models.CustodyInput) error {
	if err := store(c).ConfirmCustody(participantID, guardianID, in); err != nil {
		return err
	}
	return audit(c, currentUser(c), models.AuditGuardianCustody, "participant", participantID,
		map[string]any{"guardian_id": guardianID, "has_custody": in.HasCustody})
}

// apiGuardians lists a participant's guardians.
func (h *handlers) apiGuardians(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	gs, err := store(c).GuardiansOf(p.ID)
	if err != nil {
		return err
	}
	out := make([]guardianJSON, 0, len(gs))
	for i := range gs {
		out = append(out, guardianOut(&gs[i], p.Limited))
	}
	return c.JSON(out)
}

type guardianCreateJSON struct {
	GuardianID   string   `json:"guardian_id"`
	FirstName    string   `json:"first_name"`
	LastName     string   `json:"last_name"`
	Relationship string   `json:"relationship" validate:"required"`
	HasCustody   *bool    `json:"has_custody" validate:"required"`
	Phone        string   `json:"phone"`
	Email        string   `json:"email"`
	Languages    []string `json:"languages"`
}

// apiGuardianCreate adds a guardian to a participant.
func (h *handlers) apiGuardianCreate(c *fiber.Ctx) error {
	var in guardianCreateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	g, err := addGuardian(c, c.Params("id"), models.GuardianInput{GuardianID: in.GuardianID, FirstName: in.FirstName,
		LastName: in.LastName, Phone: in.Phone, Email: in.Email, Languages: in.Languages, Relationship: in.Relationship,
		HasCustody: *in.HasCustody})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(guardianOut(g, false))
}

func addGuardian(c *fiber.Ctx, participantID string, in models.GuardianInput) (*models.Guardian, error) {
	g, err := store(c).AddGuardian(participantID, in)
	if err != nil {
		return nil, err
	}
	return g, audit(c, currentUser(c), models.AuditGuardianAdd, "participant", participantID, map[string]any{"guardian_id": g.ID})
}

// consentJSON is a consent with its state.
type consentJSON struct {
	ID           string   `json:"id"`
	GuardianID   *string  `json:"guardian_id"`
	Purposes     []string `json:"purposes"`
	FormVersion  string   `json:"form_version"`
	FormLanguage string   `json:"form_language"`
	State        string   `json:"state"`
	GivenOn      *string  `json:"given_on"`
	ExpiresOn    *string  `json:"expires_on"`
	WithdrawnOn  *string  `json:"withdrawn_on"`
	RecordedBy   string   `json:"recorded_by"`
	MediatorID   *string  `json:"mediator_id"`
	Version      int      `json:"version"`
}

func optDate(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func consentOut(k *models.Consent) consentJSON {
	out := consentJSON{ID: k.ID, GuardianID: optString(k.GuardianID), FormVersion: k.FormVersion, FormLanguage: k.FormLanguage,
		State: string(k.State), GivenOn: optDate(formatDate(k.GivenOn)), ExpiresOn: optDate(formatDate(k.ExpiresOn)),
		WithdrawnOn: optDate(formatDate(k.WithdrawnOn)), RecordedBy: k.RecordedBy, MediatorID: optString(k.MediatorID), Version: k.Version}
	for _, p := range k.Purposes {
		out.Purposes = append(out.Purposes, string(p))
	}
	return out
}

type missingJSON struct {
	GuardianID  *string `json:"guardian_id,omitempty"`
	Assent      bool    `json:"assent,omitempty"`
	NoCustodian bool    `json:"no_custodian,omitempty"`
	Purpose     string  `json:"purpose,omitempty"`
	Message     string  `json:"message"`
}

// apiConsents lists a participant's consents with the verdict of the
// consent rule: valid, or what is missing.
func (h *handlers) apiConsents(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	cs, err := store(c).ConsentsOf(p.ID)
	if err != nil {
		return err
	}
	missing, err := store(c).MissingConsent(p, today(c))
	if err != nil {
		return err
	}
	l := h.s.localizer(c)
	out := struct {
		Valid    bool          `json:"valid"`
		Missing  []missingJSON `json:"missing"`
		Consents []consentJSON `json:"consents"`
	}{Valid: len(missing) == 0, Missing: []missingJSON{}, Consents: []consentJSON{}}
	for _, m := range missing {
		out.Missing = append(out.Missing, missingJSON{GuardianID: optString(m.GuardianID), Assent: m.Assent,
			NoCustodian: m.NoCustodian, Purpose: string(m.Purpose), Message: missingText(l, m)})
	}
	for i := range cs {
		out.Consents = append(out.Consents, consentOut(&cs[i]))
	}
	return c.JSON(out)
}

type consentCreateJSON struct {
	GuardianID   string   `json:"guardian_id"`
	Purposes     []string `json:"purposes" validate:"required,min=1"`
	FormVersion  string   `json:"form_version" validate:"required,max=40"`
	FormLanguage string   `json:"form_language" validate:"required"`
	State        string   `json:"state"`
	GivenOn      string   `json:"given_on"`
	ExpiresOn    string   `json:"expires_on"`
	MediatorID   string   `json:"mediator_id"`
}

// apiConsentCreate records a consent (or the young person's assent when
// guardian_id is empty).
func (h *handlers) apiConsentCreate(c *fiber.Ctx) error {
	var in consentCreateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	dp := newDateParser()
	input := models.ConsentInput{GuardianID: in.GuardianID, FormVersion: in.FormVersion, FormLanguage: in.FormLanguage,
		State: models.ConsentState(in.State), GivenOn: dp.opt("given_on", in.GivenOn), ExpiresOn: dp.opt("expires_on", in.ExpiresOn),
		MediatorID: in.MediatorID}
	if err := dp.err(); err != nil {
		return err
	}
	for _, p := range in.Purposes {
		input.Purposes = append(input.Purposes, models.Purpose(p))
	}
	k, err := recordConsent(c, c.Params("id"), input)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(consentOut(k))
}

func recordConsent(c *fiber.Ctx, participantID string, in models.ConsentInput) (*models.Consent, error) {
	k, err := store(c).RecordConsent(participantID, in, today(c))
	if err != nil {
		return nil, err
	}
	return k, audit(c, currentUser(c), models.AuditConsentRecord, "participant", participantID,
		map[string]any{"consent_id": k.ID, "state": string(k.State)})
}

type consentAnswerJSON struct {
	Version *int   `json:"version" validate:"required"`
	State   string `json:"state" validate:"required,oneof=given refused"`
	GivenOn string `json:"given_on"`
}

// apiConsentAnswer records the answer to a requested consent.
func (h *handlers) apiConsentAnswer(c *fiber.Ctx) error {
	var in consentAnswerJSON
	dp, err := decodeForm(c, &in)
	if err != nil {
		return err
	}
	on := dp.opt("given_on", in.GivenOn)
	if err := dp.err(); err != nil {
		return err
	}
	k, err := answerConsent(c, c.Params("id"), *in.Version, models.ConsentState(in.State), on)
	if err != nil {
		return err
	}
	return c.JSON(consentOut(k))
}

func answerConsent(c *fiber.Ctx, id string, version int, state models.ConsentState, on *time.Time) (*models.Consent, error) {
	k, err := store(c).AnswerConsent(id, version, state, on, today(c))
	if err != nil {
		return nil, err
	}
	return k, audit(c, currentUser(c), models.AuditConsentAnswer, "participant", k.ParticipantID,
		map[string]any{"consent_id": k.ID, "state": string(k.State)})
}

type consentWithdrawJSON struct {
	WithdrawnOn string `json:"withdrawn_on" validate:"required"`
}

// apiConsentWithdraw withdraws a consent as of a date (SPEC §4).
func (h *handlers) apiConsentWithdraw(c *fiber.Ctx) error {
	var in consentWithdrawJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	dp := newDateParser()
	on := dp.opt("withdrawn_on", in.WithdrawnOn)
	if err := dp.err(); err != nil {
		return err
	}
	k, err := withdrawConsent(c, c.Params("id"), *on)
	if err != nil {
		return err
	}
	return c.JSON(consentOut(k))
}

func withdrawConsent(c *fiber.Ctx, id string, on time.Time) (*models.Consent, error) {
	k, err := store(c).WithdrawConsent(id, on, today(c))
	if err != nil {
		return nil, err
	}
	return k, audit(c, currentUser(c), models.AuditConsentWithdraw, "participant", k.ParticipantID, map[string]any{"consent_id": k.ID})
}

// assignmentJSON is one assignment, current or past.
type assignmentJSON struct {
	ID       string  `json:"id"`
	UserID   string  `json:"user_id"`
	UserName string  `json:"user_name"`
	Kind     string  `json:"kind"`
	From     string  `json:"from"`
	Until    *string `json:"until"`
	Current  bool    `json:"current"`
}

func assignmentOut(a *models.Assignment, day time.Time) assignmentJSON {
	return assignmentJSON{ID: a.ID, UserID: a.UserID, UserName: a.UserName, Kind: a.Kind, From: formatDate(&a.FromOn),
		Until: optDate(formatDate(a.UntilOn)), Current: a.CurrentOn(day)}
}

// apiAssignments lists a participant's assignments with their history.
func (h *handlers) apiAssignments(c *fiber.Ctx) error {
	p, err := readParticipant(c)
	if err != nil {
		return err
	}
	as, err := store(c).AssignmentsOf(p.ID)
	if err != nil {
		return err
	}
	out := make([]assignmentJSON, 0, len(as))
	for i := range as {
		out = append(out, assignmentOut(&as[i], today(c)))
	}
	return c.JSON(out)
}

type assignmentCreateJSON struct {
	UserID string `json:"user_id" validate:"required"`
	Kind   string `json:"kind" validate:"required"`
	From   string `json:"from"`
	Until  string `json:"until"`
}

// apiAssignmentCreate assigns a social worker or mediator (coordinators).
func (h *handlers) apiAssignmentCreate(c *fiber.Ctx) error {
	var in assignmentCreateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	dp := newDateParser()
	input := models.AssignmentInput{UserID: in.UserID, Kind: in.Kind, FromOn: dp.opt("from", in.From), UntilOn: dp.opt("until", in.Until)}
	if err := dp.err(); err != nil {
		return err
	}
	a, err := assign(c, c.Params("id"), input)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(assignmentOut(a, today(c)))
}

func assign(c *fiber.Ctx, participantID string, in models.AssignmentInput) (*models.Assignment, error) {
	a, err := store(c).Assign(participantID, in, today(c))
	if err != nil {
		return nil, err
	}
	return a, audit(c, currentUser(c), models.AuditAssignmentCreate, "participant", participantID,
		map[string]any{"assignment_id": a.ID, "user_id": a.UserID, "kind": a.Kind})
}

type assignmentEndJSON struct {
	Until string `json:"until" validate:"required"`
}

// apiAssignmentEnd ends an assignment on a date; history stays.
func (h *handlers) apiAssignmentEnd(c *fiber.Ctx) error {
	var in assignmentEndJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	dp := newDateParser()
	until := dp.opt("until", in.Until)
	if err := dp.err(); err != nil {
		return err
	}
	a, err := endAssignment(c, c.Params("id"), *until)
	if err != nil {
		return err
	}
	return c.JSON(assignmentOut(a, today(c)))
}

func endAssignment(c *fiber.Ctx, id string, until time.Time) (*models.Assignment, error) {
	a, err := store(c).EndAssignment(id, until)
	if err != nil {
		return nil, err
	}
	return a, audit(c, currentUser(c), models.AuditAssignmentEnd, "participant", a.ParticipantID, map[string]any{"assignment_id": a.ID})
}

// familyJSON is a household with its languages.
type familyJSON struct {
	ID        string                  `json:"id"`
	Address   string                  `json:"address"`
	Phone     string                  `json:"phone"`
	Email     string                  `json:"email"`
	Languages []models.FamilyLanguage `json:"languages"`
	Version   int                     `json:"version"`
}

func familyOut(f *models.Family) familyJSON {
	out := familyJSON{ID: f.ID, Address: f.Address, Phone: f.Phone, Email: f.Email, Languages: f.Languages, Version: f.Version}
	if out.Languages == nil {
		out.Languages = []models.FamilyLanguage{}
	}
	return out
}

// apiFamily returns a visible family, audited as a read.
func (h *handlers) apiFamily(c *fiber.Ctx) error {
	f, err := store(c).FamilyByID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditFamilyRead, "family", f.ID, nil); err != nil {
		return err
	}
	return c.JSON(familyOut(f))
}

type familyPatchJSON struct {
	Version   *int                     `json:"version" validate:"required"`
	Address   *string                  `json:"address"`
	Phone     *string                  `json:"phone"`
	Email     *string                  `json:"email"`
	Languages *[]models.FamilyLanguage `json:"languages"`
}

// apiFamilyPatch changes a family (optimistic locking by version).
func (h *handlers) apiFamilyPatch(c *fiber.Ctx) error {
	var in familyPatchJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	f, err := updateFamily(c, c.Params("id"), *in.Version, models.FamilyInput{Address: in.Address, Phone: in.Phone, Email: in.Email, Languages: in.Languages})
	if err != nil {
		return err
	}
	return c.JSON(familyOut(f))
}

func updateFamily(c *fiber.Ctx, id string, version int, in models.FamilyInput) (*models.Family, error) {
	f, err := store(c).UpdateFamily(id, version, in)
	if err != nil {
		return nil, err
	}
	return f, audit(c, currentUser(c), models.AuditFamilyUpdate, "family", id, nil)
}
