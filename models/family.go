package models

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Language modes of a family language (SPEC §3).
const (
	ModeFluent      = "fluent"
	ModeBasic       = "basic"
	ModeInterpreter = "interpreter"
)

// LanguageModes lists the modes.
var LanguageModes = []string{ModeFluent, ModeBasic, ModeInterpreter}

var languageCodeRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// FamilyLanguage is a language spoken at home with its mode.
type FamilyLanguage struct {
	Language string `json:"language"`
	Mode     string `json:"mode"`
}

// Family is a household (SPEC §3). Address, phone and e-mail are stored
// encrypted.
type Family struct {
	ID        string
	SiteID    string
	Address   string
	Phone     string
	Email     string
	Languages []FamilyLanguage
	Version   int
	UpdatedAt time.Time
}

// InterpreterLanguages are the languages for which the family needs an
// interpreter.
func (f *Family) InterpreterLanguages() []string {
	var out []string
	for _, l := range f.Languages {
		if l.Mode == ModeInterpreter {
			out = append(out, l.Language)
		}
	}
	return out
}

type familyRow struct {
	ID         string
	SiteID     string
	AddressEnc *string
	PhoneEnc   *string
	EmailEnc   *string
	Version    int
	CreatedBy  *string
	CreatedAt  time.Time `gorm:"->"`
	UpdatedAt  time.Time
}

func (familyRow) TableName() string { return "prevention.families" }

type familyLanguageRow struct {
	FamilyID string
	Language string
	Mode     string
}

func (familyLanguageRow) TableName() string { return "prevention.family_languages" }

const familiesTable = "prevention.families"

// FamilyInput is what a family form or API call may set.
type FamilyInput struct {
	Address   *string
	Phone     *string
	Email     *string
	Languages *[]FamilyLanguage
}

func validateFamily(in FamilyInput, v *ValidationError) {
	if in.Address != nil && len(*in.Address) > 500 {
		v.Add("address", "validation.max", map[string]any{"Param": 500})
	}
	if in.Phone != nil && len(*in.Phone) > 40 {
		v.Add("phone", "validation.max", map[string]any{"Param": 40})
	}
	if in.Email != nil && *in.Email != "" && !strings.Contains(*in.Email, "@") {
		v.Add("email", "validation.email", nil)
	}
	if in.Languages != nil {
		seen := map[string]bool{}
		for _, l := range *in.Languages {
			if !languageCodeRE.MatchString(l.Language) || seen[l.Language] {
				v.Add("languages", "validation.language", nil)
				break
			}
			seen[l.Language] = true
			if !contains(LanguageModes, l.Mode) {
				v.Add("languages", "validation.oneof", nil)
				break
			}
		}
	}
}

// createFamily inserts an (empty) family of the actor's site.
func (s *Store) createFamily(siteID string, in FamilyInput) (*Family, error) {
	v := &ValidationError{}
	validateFamily(in, v)
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	id := uuid.NewString()
	w := &sealer{s: s, table: familiesTable, id: id}
	row := familyRow{ID: id, SiteID: siteID, AddressEnc: w.opt("address", deref(in.Address)),
		PhoneEnc: w.opt("phone", deref(in.Phone)), EmailEnc: w.opt("email", deref(in.Email)),
		Version: 1, CreatedBy: nilIfEmpty(s.actor.UserID), UpdatedAt: time.Now()}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.db.Create(&row).Error; err != nil {
		return nil, fmt.Errorf("models: create family: %w", err)
	}
	if err := s.index(ownerFamily, id, phoneTokens(deref(in.Phone))); err != nil {
		return nil, err
	}
	if in.Languages != nil {
		if err := s.replaceFamilyLanguages(id, *in.Languages); err != nil {
			return nil, err
		}
	}
	return s.FamilyByID(id)
}

func (s *Store) replaceFamilyLanguages(familyID string, langs []FamilyLanguage) error {
	if err := s.db.Where("family_id = ?", familyID).Delete(&familyLanguageRow{}).Error; err != nil {
		return fmt.Errorf("models: family languages: %w", err)
	}
	for _, l := range langs {
		if err := s.db.Create(&familyLanguageRow{FamilyID: familyID, Language: l.Language, Mode: l.Mode}).Error; err != nil {
			return fmt.Errorf("models: family languages: %w", err)
		}
	}
	return nil
}

// FamilyByID returns a visible family with its languages.
func (s *Store) FamilyByID(id string) (*Family, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: family %s: %w", id, ErrNotFound)
	}
	// The family and its languages in one statement (one round trip of
	// the case page's).
	var rows []struct {
		Family    familyRow `gorm:"embedded"`
		Languages TextArray
	}
	if err := s.db.Raw(`SELECT f.*, `+familyLanguagesColumn+` FROM prevention.families f WHERE f.id = ?`, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: family %s: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("models: family %s: %w", id, ErrNotFound)
	}
	f, err := s.openFamily(&rows[0].Family)
	if err != nil {
		return nil, err
	}
	f.Languages = familyLanguages(rows[0].Languages)
	return f, nil
}

// familyLanguagesColumn reads the languages of family f as one text array
// of "language:mode", by language (familyLanguages parses it).
const familyLanguagesColumn = `array(SELECT l.language || ':' || l.mode FROM prevention.family_languages l WHERE l.family_id = f.id ORDER BY l.language) AS languages`

// familyLanguages parses familyLanguagesColumn.
func familyLanguages(a TextArray) []FamilyLanguage {
	var out []FamilyLanguage
	for _, l := range a {
		if lang, mode, ok := strings.Cut(l, ":"); ok {
			out = append(out, FamilyLanguage{Language: lang, Mode: mode})
		}
	}
	return out
}

// openFamily decrypts a family's contact details (no languages).
func (s *Store) openFamily(r *familyRow) (*Family, error) {
	o := &opener{s: s, table: familiesTable, id: r.ID}
	f := &Family{ID: r.ID, SiteID: r.SiteID, Address: o.str("address", r.AddressEnc),
		Phone: o.str("phone", r.PhoneEnc), Email: o.str("email", r.EmailEnc), Version: r.Version, UpdatedAt: r.UpdatedAt}
	if o.err != nil {
		return nil, o.err
	}
	return f, nil
}

// VisitFamily is what the one going on a visit needs of a child's
// family: its name, contact and languages.
type VisitFamily struct {
	Family
	// Name is the family name: the visited child's last name, which every
	// role that sees visits may read (SPEC §2: names).
	Name string
}

// VisitFamilies returns the families of the given participants (family
// name, address, phone, e-mail and languages), by participant id, in one
// statement, however many visits a page shows. A participant the actor
// cannot see has no entry (row-level security decides).
func (s *Store) VisitFamilies(participantIDs []string) (map[string]*VisitFamily, error) {
	out := make(map[string]*VisitFamily, len(participantIDs))
	if len(participantIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID, SiteID, ParticipantID      string
		LastNameEnc                    string
		AddressEnc, PhoneEnc, EmailEnc *string
		Version                        int
		UpdatedAt                      time.Time
		Languages                      TextArray
	}
	if err := s.db.Raw(`SELECT f.id, f.site_id, f.address_enc, f.phone_enc, f.email_enc, f.version, f.updated_at,
		p.id AS participant_id, p.last_name_enc, `+familyLanguagesColumn+`
		FROM prevention.participants p
		JOIN prevention.families f ON f.id = p.family_id WHERE p.id = ANY (?::uuid[])`, idArray(participantIDs)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("models: families of participants: %w", err)
	}
	for i := range rows {
		r := &rows[i]
		f, err := s.openFamily(&familyRow{ID: r.ID, SiteID: r.SiteID, AddressEnc: r.AddressEnc, PhoneEnc: r.PhoneEnc,
			EmailEnc: r.EmailEnc, Version: r.Version, UpdatedAt: r.UpdatedAt})
		if err != nil {
			return nil, err
		}
		f.Languages = familyLanguages(r.Languages)
		name, err := s.open(participantsTable, "last_name", r.ParticipantID, &r.LastNameEnc)
		if err != nil {
			return nil, err
		}
		out[r.ParticipantID] = &VisitFamily{Family: *f, Name: name}
	}
	return out, nil
}

// UpdateFamily changes the given fields when version is current.
func (s *Store) UpdateFamily(id string, version int, in FamilyInput) (*Family, error) {
	f, err := s.FamilyByID(id)
	if err != nil {
		return nil, err
	}
	v := &ValidationError{}
	validateFamily(in, v)
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	w := &sealer{s: s, table: familiesTable, id: id}
	upd := map[string]any{"version": gormExpr("version + 1"), "updated_at": time.Now()}
	if in.Address != nil {
		upd["address_enc"] = w.opt("address", *in.Address)
	}
	if in.Phone != nil {
		upd["phone_enc"] = w.opt("phone", *in.Phone)
	}
	if in.Email != nil {
		upd["email_enc"] = w.opt("email", *in.Email)
	}
	if w.err != nil {
		return nil, w.err
	}
	if err := s.updateVersioned(&familyRow{}, id, version, f.Version, upd); err != nil {
		return nil, fmt.Errorf("models: family %s: %w", id, err)
	}
	if in.Phone != nil {
		if err := s.index(ownerFamily, id, phoneTokens(*in.Phone)); err != nil {
			return nil, err
		}
	}
	if in.Languages != nil {
		if err := s.replaceFamilyLanguages(id, *in.Languages); err != nil {
			return nil, err
		}
	}
	return s.FamilyByID(id)
}

// updateVersioned applies upd to the row with id only when its version is
// still the one the caller saw (optimistic locking): otherwise ErrConflict.
func (s *Store) updateVersioned(model any, id string, sent, current int, upd map[string]any) error {
	if sent != current {
		return ErrConflict
	}
	res := s.db.Model(model).Where("id = ? AND version = ?", id, sent).Updates(upd)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrConflict
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// FamilyLanguageCodes are the languages offered in forms (ISO 639), the
// ones "Kurve kriegen" families speak most; others can be typed as codes.
var FamilyLanguageCodes = []string{"de", "ar", "ku", "tr", "ru", "ro", "bg", "pl", "fa", "ps", "sq", "sr", "uk", "en", "fr", "so", "ti"}
