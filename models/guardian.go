package models

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Relationships a guardian may have to a child.
var Relationships = []string{"mother", "father", "step_parent", "grandparent", "sibling", "aunt_uncle", "foster_parent", "legal_guardian", "other"}

// Guardian is a parent or other legal guardian, as linked to one child.
type Guardian struct {
	ID           string
	FamilyID     string
	FirstName    string
	LastName     string
	Phone        string
	Email        string
	Languages    []string
	Relationship string
	HasCustody   bool
	// CustodyConfirmed is false for a guardian carried over from a police
	// referral until staff confirm relationship and custody (ConfirmCustody).
	CustodyConfirmed bool
	Version          int
}

type guardianRow struct {
	ID           string
	FamilyID     string
	FirstNameEnc string
	LastNameEnc  string
	PhoneEnc     *string
	EmailEnc     *string
	Languages    TextArray
	Version      int
	UpdatedAt    time.Time
}

func (guardianRow) TableName() string { return "prevention.guardians" }

type participantGuardianRow struct {
	ParticipantID    string
	GuardianID       string
	Relationship     string
	HasCustody       bool
	CustodyConfirmed bool
}

func (participantGuardianRow) TableName() string { return "prevention.participant_guardians" }

const guardiansTable = "prevention.guardians"

// GuardianInput adds a guardian to a child: a new person, or (GuardianID)
// one of the family already recorded for a sibling.
type GuardianInput struct {
	GuardianID   string
	FirstName    string
	LastName     string
	Phone        string
	Email        string
	Languages    []string
	Relationship string
	HasCustody   bool
}

func (in *GuardianInput) validate() error {
	v := &ValidationError{}
	if in.GuardianID == "" {
		for field, val := range map[string]string{"first_name": in.FirstName, "last_name": in.LastName} {
			if n := len([]rune(strings.TrimSpace(val))); n < 1 || n > 100 {
				v.Add(field, "validation.required", nil)
			}
		}
		if len(in.Phone) > 40 {
			v.Add("phone", "validation.max", map[string]any{"Param": 40})
		}
		if in.Email != "" && !strings.Contains(in.Email, "@") {
			v.Add("email", "validation.email", nil)
		}
		for _, l := range in.Languages {
			if !languageCodeRE.MatchString(l) {
				v.Add("languages", "validation.language", nil)
				break
			}
		}
	}
	if !contains(Relationships, in.Relationship) {
		v.Add("relationship", "validation.oneof", nil)
	}
	return v.OrNil()
}

// AddGuardian links a guardian to a visible participant.
func (s *Store) AddGuardian(participantID string, in GuardianInput) (*Guardian, error) {
	p, err := s.ParticipantByID(participantID)
	if err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	id := in.GuardianID
	if id != "" {
		var n int64
		if _, perr := uuid.Parse(id); perr != nil ||
			s.db.Model(&guardianRow{}).Where("id = ? AND family_id = ?", id, p.FamilyID).Count(&n).Error != nil || n == 0 {
			v := &ValidationError{}
			v.Add("guardian_id", "validation.guardian_unknown", nil)
			return nil, v
		}
	} else {
		id = uuid.NewString()
		w := &sealer{s: s, table: guardiansTable, id: id}
		langs := in.Languages
		if langs == nil {
			langs = []string{}
		}
		row := guardianRow{ID: id, FamilyID: p.FamilyID, FirstNameEnc: w.req("first_name", in.FirstName),
			LastNameEnc: w.req("last_name", in.LastName), PhoneEnc: w.opt("phone", in.Phone), EmailEnc: w.opt("email", in.Email),
			Languages: langs, Version: 1, UpdatedAt: time.Now()}
		if w.err != nil {
			return nil, w.err
		}
		if err := s.db.Create(&row).Error; err != nil {
			return nil, fmt.Errorf("models: create guardian: %w", err)
		}
		if err := s.index(ownerGuardian, id, guardianTokens(in.FirstName, in.LastName, in.Phone)); err != nil {
			return nil, err
		}
	}
	link := participantGuardianRow{ParticipantID: participantID, GuardianID: id, Relationship: in.Relationship, HasCustody: in.HasCustody,
		CustodyConfirmed: true}
	if err := s.db.Create(&link).Error; err != nil {
		if isUniqueViolation(err) {
			return nil, fmt.Errorf("models: guardian linked twice: %w", ErrConflict)
		}
		return nil, fmt.Errorf("models: link guardian: %w", err)
	}
	gs, err := s.GuardiansOf(participantID)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		if gs[i].ID == id {
			return &gs[i], nil
		}
	}
	return nil, fmt.Errorf("models: guardian %s: %w", id, ErrNotFound)
}

func (s *Store) decryptGuardian(r *guardianRow) (Guardian, error) {
	o := &opener{s: s, table: guardiansTable, id: r.ID}
	g := Guardian{ID: r.ID, FamilyID: r.FamilyID, FirstName: o.str("first_name", &r.FirstNameEnc),
		LastName: o.str("last_name", &r.LastNameEnc), Phone: o.str("phone", r.PhoneEnc), Email: o.str("email", r.EmailEnc),
		Languages: []string(r.Languages), Version: r.Version}
	return g, o.err
}

// guardianColumns are what both roles of the prevention side may read.
const guardianColumns = "g.id, g.family_id, g.first_name_enc, g.last_name_enc, g.phone_enc, g.email_enc, g.languages"

// GuardiansOf lists the guardians of a visible participant, with the
// relationship (and, except for mediators, custody) for that child.
func (s *Store) GuardiansOf(participantID string) ([]Guardian, error) {
	type row struct {
		Guardian         guardianRow `gorm:"embedded"`
		Relationship     string
		HasCustody       bool
		CustodyConfirmed bool
	}
	cols := guardianColumns + ", pg.relationship"
	if !s.limited() {
		cols += ", g.version, pg.has_custody, pg.custody_confirmed"
	}
	var rows []row
	err := s.db.Table("prevention.guardians g").Select(cols).
		Joins("JOIN prevention.participant_guardians pg ON pg.guardian_id = g.id").
		Where("pg.participant_id = ?", participantID).Order("g.created_at").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: guardians: %w", err)
	}
	out := make([]Guardian, 0, len(rows))
	for i := range rows {
		g, err := s.decryptGuardian(&rows[i].Guardian)
		if err != nil {
			return nil, err
		}
		g.Relationship, g.HasCustody, g.CustodyConfirmed = rows[i].Relationship, rows[i].HasCustody, rows[i].CustodyConfirmed
		out = append(out, g)
	}
	return out, nil
}

// FamilyGuardians lists every guardian recorded in a family (to link an
// existing guardian to a sibling).
func (s *Store) FamilyGuardians(familyID string) ([]Guardian, error) {
	cols := guardianColumns
	if !s.limited() {
		cols += ", g.version"
	}
	var rows []guardianRow
	err := s.db.Table("prevention.guardians g").Select(cols).Where("g.family_id = ?", familyID).Order("g.created_at").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: family guardians: %w", err)
	}
	out := make([]Guardian, 0, len(rows))
	for i := range rows {
		g, err := s.decryptGuardian(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// CustodyInput is what staff confirm of a guardian carried over from a
// referral: the relationship to the child and whether they hold custody.
type CustodyInput struct {
	Relationship string
	HasCustody   bool
}

// ConfirmCustody records relationship and custody of a guardian of a
// visible participant as confirmed by staff. Row-level security decides
// who may (the case's social worker, the site's coordinator); a guardian
// not linked to the child is ErrNotFound.
func (s *Store) ConfirmCustody(participantID, guardianID string, in CustodyInput) error {
	if _, err := s.ParticipantByID(participantID); err != nil {
		return err
	}
	if _, err := uuid.Parse(guardianID); err != nil {
		return fmt.Errorf("models: guardian %s: %w", guardianID, ErrNotFound)
	}
	if !contains(Relationships, in.Relationship) {
		v := &ValidationError{}
		v.Add("relationship", "validation.oneof", nil)
		return v
	}
	res := s.db.Model(&participantGuardianRow{}).Where("participant_id = ? AND guardian_id = ?", participantID, guardianID).
		Updates(map[string]any{"relationship": in.Relationship, "has_custody": in.HasCustody, "custody_confirmed": true})
	if res.Error != nil {
		return fmt.Errorf("models: confirm custody: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: guardian %s of %s: %w", guardianID, participantID, ErrNotFound)
	}
	return nil
}

// carryGuardian links the guardian a referral names to the child: a
// guardian of the family recorded under the same name (every word equal
// after folding) when there is one, else a new guardian with the
// referral's name and phone. Either way the link is marked as not yet
// confirmed: the police named the person; relationship and custody are
// for staff to confirm. Until then the guardian counts as having custody,
// so the consent rule asks for their consent too. A referral without a
// guardian name, or one already linked, changes nothing.
func (s *Store) carryGuardian(p *Participant, name, phone string) error {
	words := NameWords(name)
	if len(words) == 0 {
		return nil
	}
	same := func(g *Guardian) bool { return slices.Equal(NameWords(g.FirstName+" "+g.LastName), words) }
	linked, err := s.GuardiansOf(p.ID)
	if err != nil {
		return err
	}
	for i := range linked {
		if same(&linked[i]) {
			return nil
		}
	}
	family, err := s.FamilyGuardians(p.FamilyID)
	if err != nil {
		return err
	}
	id := ""
	for i := range family {
		if same(&family[i]) {
			id = family[i].ID
		}
	}
	if id == "" {
		id = uuid.NewString()
		first, last := splitName(name)
		w := &sealer{s: s, table: guardiansTable, id: id}
		row := guardianRow{ID: id, FamilyID: p.FamilyID, FirstNameEnc: w.req("first_name", first), LastNameEnc: w.req("last_name", last),
			PhoneEnc: w.opt("phone", phone), Languages: TextArray{}, Version: 1, UpdatedAt: time.Now()}
		if w.err != nil {
			return w.err
		}
		if err := s.db.Create(&row).Error; err != nil {
			return fmt.Errorf("models: guardian from referral: %w", err)
		}
		if err := s.index(ownerGuardian, id, guardianTokens(first, last, phone)); err != nil {
			return err
		}
	}
	link := participantGuardianRow{ParticipantID: p.ID, GuardianID: id, Relationship: "legal_guardian", HasCustody: true}
	if err := s.db.Create(&link).Error; err != nil {
		return fmt.Errorf("models: link guardian from referral: %w", err)
	}
	return nil
}

// splitName splits a name as the police typed it into first and last
// name: the last word is the last name. A single word is a last name.
func splitName(name string) (first, last string) {
	f := strings.Fields(name)
	if len(f) == 0 {
		return "", ""
	}
	return strings.Join(f[:len(f)-1], " "), f[len(f)-1]
}
