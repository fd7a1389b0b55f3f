package models

import (
	"fmt"
	"regexp"
	"strings"
)

var measureCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// Measure is one session type of a site's catalogue, with its modules.
type Measure struct {
	ID          string
	SiteID      string
	Code        string
	NameDE      string `gorm:"column:name_de"`
	NameEN      string `gorm:"column:name_en"`
	NameTR      string `gorm:"column:name_tr"`
	NameAR      string `gorm:"column:name_ar"`
	GroupFormat bool
	Active      bool
	Sort        int
	Version     int
	Modules     []MeasureModule `gorm:"foreignKey:MeasureID"`
}

// TableName implements gorm's Tabler.
func (Measure) TableName() string { return "prevention.measures" }

// MeasureModule is a module or topic of a measure.
type MeasureModule struct {
	ID        string
	MeasureID string
	Code      string
	NameDE    string `gorm:"column:name_de"`
	NameEN    string `gorm:"column:name_en"`
	NameTR    string `gorm:"column:name_tr"`
	NameAR    string `gorm:"column:name_ar"`
	Active    bool
	Sort      int
}

// TableName implements gorm's Tabler.
func (MeasureModule) TableName() string { return "prevention.measure_modules" }

// Labels are the names of a catalogue entry in the interface languages.
type Labels struct{ DE, EN, TR, AR string }

// Name returns the label in lang, German when lang is unknown.
func (l Labels) Name(lang string) string {
	switch lang {
	case "en":
		return l.EN
	case "tr":
		return l.TR
	case "ar":
		return l.AR
	}
	return l.DE
}

// Labels returns the measure's names.
func (m *Measure) Labels() Labels { return Labels{m.NameDE, m.NameEN, m.NameTR, m.NameAR} }

// Labels returns the module's names.
func (m *MeasureModule) Labels() Labels { return Labels{m.NameDE, m.NameEN, m.NameTR, m.NameAR} }

// Module returns the active module with code, if any.
func (m *Measure) Module(code string) *MeasureModule {
	for i := range m.Modules {
		if m.Modules[i].Code == code && m.Modules[i].Active {
			return &m.Modules[i]
		}
	}
	return nil
}

// Measures lists the catalogue of the actor's site (active entries only,
// unless all), in catalogue order.
func (s *Store) Measures(all bool) ([]Measure, error) {
	var out []Measure
	q := s.db.Order("sort, code")
	if !all {
		q = q.Where("active")
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: measures: %w", err)
	}
	// The modules by an array of the measures' ids: GORM's Preload wrote
	// a list whose text changed with the catalogue's length.
	ids := make([]string, len(out))
	byID := make(map[string]*Measure, len(out))
	for i := range out {
		ids[i], byID[out[i].ID] = out[i].ID, &out[i]
	}
	var mods []MeasureModule
	if err := s.db.Where("measure_id = ANY (?::uuid[])", idArray(ids)).Order("sort, code").Find(&mods).Error; err != nil {
		return nil, fmt.Errorf("models: measure modules: %w", err)
	}
	for _, m := range mods {
		if o := byID[m.MeasureID]; o != nil {
			o.Modules = append(o.Modules, m)
		}
	}
	if !all {
		for i := range out {
			mods := out[i].Modules[:0]
			for _, m := range out[i].Modules {
				if m.Active {
					mods = append(mods, m)
				}
			}
			out[i].Modules = mods
		}
	}
	return out, nil
}

// MeasureByCode returns an active measure of the actor's site.
func (s *Store) MeasureByCode(code string) (*Measure, error) { return s.measureByCode(code, false) }

// MeasureByCodeAny returns a measure of the actor's site, active or not,
// with all its modules.
func (s *Store) MeasureByCodeAny(code string) (*Measure, error) { return s.measureByCode(code, true) }

func (s *Store) measureByCode(code string, all bool) (*Measure, error) {
	ms, err := s.Measures(all)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].Code == code {
			return &ms[i], nil
		}
	}
	return nil, fmt.Errorf("models: measure %s: %w", code, ErrNotFound)
}

// MeasureInput adds or changes a catalogue entry (coordinators).
type MeasureInput struct {
	Code        string
	Labels      Labels
	GroupFormat bool
	Active      bool
	Sort        int
}

func (in *MeasureInput) validate() error {
	v := &ValidationError{}
	if !measureCodeRE.MatchString(in.Code) {
		v.Add("code", "validation.measure_code", nil)
	}
	for field, name := range map[string]string{"name_de": in.Labels.DE, "name_en": in.Labels.EN, "name_tr": in.Labels.TR, "name_ar": in.Labels.AR} {
		if n := len([]rune(strings.TrimSpace(name))); n < 1 || n > 120 {
			v.Add(field, "validation.required", nil)
		}
	}
	return v.OrNil()
}

// codeTaken is the refusal of a create whose key exists already: 422 on
// the code field, naming the existing entry. Creating never overwrites.
func codeTaken(code, name string) error {
	v := &ValidationError{}
	v.Add("code", "validation.code_taken", map[string]any{"Code": code, "Name": name})
	return v
}

// CreateMeasure adds a measure to the site's catalogue; a code the site
// has already is refused (see codeTaken), whatever the letter case of the
// names.
func (s *Store) CreateMeasure(in MeasureInput) (*Measure, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var ids []string
	err := s.db.Raw(`INSERT INTO prevention.measures (site_id, code, name_de, name_en, name_tr, name_ar, group_format, active, sort)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, code) DO NOTHING RETURNING id`,
		s.actor.SiteID, in.Code, strings.TrimSpace(in.Labels.DE), strings.TrimSpace(in.Labels.EN), strings.TrimSpace(in.Labels.TR),
		strings.TrimSpace(in.Labels.AR), in.GroupFormat, in.Active, in.Sort).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("models: create measure: %w", err)
	}
	if len(ids) == 0 {
		old, err := s.MeasureByCodeAny(in.Code)
		if err != nil {
			return nil, err
		}
		return nil, codeTaken(in.Code, old.NameDE)
	}
	return s.MeasureByCodeAny(in.Code)
}

// UpdateMeasure changes the names, format, state and place of the site's
// measure code (the code itself never changes).
func (s *Store) UpdateMeasure(code string, in MeasureInput) (*Measure, error) {
	in.Code = code
	if err := in.validate(); err != nil {
		return nil, err
	}
	res := s.db.Exec(`UPDATE prevention.measures SET name_de = ?, name_en = ?, name_tr = ?, name_ar = ?, group_format = ?,
		active = ?, sort = ?, version = version + 1 WHERE site_id = ? AND code = ?`,
		strings.TrimSpace(in.Labels.DE), strings.TrimSpace(in.Labels.EN), strings.TrimSpace(in.Labels.TR), strings.TrimSpace(in.Labels.AR),
		in.GroupFormat, in.Active, in.Sort, s.actor.SiteID, code)
	if res.Error != nil {
		return nil, fmt.Errorf("models: update measure: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("models: measure %s: %w", code, ErrNotFound)
	}
	return s.MeasureByCodeAny(code)
}

// CreateModule adds a module to one of the site's measures; a module code
// the measure has already is refused (see codeTaken).
func (s *Store) CreateModule(measureCode string, in MeasureInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	m, err := s.MeasureByCodeAny(measureCode)
	if err != nil {
		return err
	}
	for _, mod := range m.Modules {
		if mod.Code == in.Code {
			return codeTaken(in.Code, mod.NameDE)
		}
	}
	var ids []string
	err = s.db.Raw(`INSERT INTO prevention.measure_modules (measure_id, code, name_de, name_en, name_tr, name_ar, active, sort)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (measure_id, code) DO NOTHING RETURNING id`,
		m.ID, in.Code, strings.TrimSpace(in.Labels.DE), strings.TrimSpace(in.Labels.EN), strings.TrimSpace(in.Labels.TR),
		strings.TrimSpace(in.Labels.AR), in.Active, in.Sort).Scan(&ids).Error
	if err != nil {
		return fmt.Errorf("models: create module: %w", err)
	}
	if len(ids) == 0 { // added by another request meanwhile
		return codeTaken(in.Code, "")
	}
	return nil
}

// UpdateModule changes the names, state and place of a module.
func (s *Store) UpdateModule(measureCode, moduleCode string, in MeasureInput) error {
	in.Code = moduleCode
	if err := in.validate(); err != nil {
		return err
	}
	m, err := s.MeasureByCodeAny(measureCode)
	if err != nil {
		return err
	}
	res := s.db.Exec(`UPDATE prevention.measure_modules SET name_de = ?, name_en = ?, name_tr = ?, name_ar = ?, active = ?, sort = ?
		WHERE measure_id = ? AND code = ?`, strings.TrimSpace(in.Labels.DE), strings.TrimSpace(in.Labels.EN),
		strings.TrimSpace(in.Labels.TR), strings.TrimSpace(in.Labels.AR), in.Active, in.Sort, m.ID, moduleCode)
	if res.Error != nil {
		return fmt.Errorf("models: update module: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("models: module %s/%s: %w", measureCode, moduleCode, ErrNotFound)
	}
	return nil
}

// SaveMeasure creates a measure, or replaces the one with the same code:
// the API's PUT, whose meaning is "this entry shall read so".
func (s *Store) SaveMeasure(in MeasureInput) (*Measure, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	row := map[string]any{"site_id": s.actor.SiteID, "code": in.Code, "name_de": strings.TrimSpace(in.Labels.DE),
		"name_en": strings.TrimSpace(in.Labels.EN), "name_tr": strings.TrimSpace(in.Labels.TR), "name_ar": strings.TrimSpace(in.Labels.AR),
		"group_format": in.GroupFormat, "active": in.Active, "sort": in.Sort}
	err := s.db.Exec(`INSERT INTO prevention.measures (site_id, code, name_de, name_en, name_tr, name_ar, group_format, active, sort)
		VALUES (@site_id, @code, @name_de, @name_en, @name_tr, @name_ar, @group_format, @active, @sort)
		ON CONFLICT (site_id, code) DO UPDATE SET name_de = EXCLUDED.name_de, name_en = EXCLUDED.name_en, name_tr = EXCLUDED.name_tr,
		  name_ar = EXCLUDED.name_ar, group_format = EXCLUDED.group_format, active = EXCLUDED.active, sort = EXCLUDED.sort,
		  version = prevention.measures.version + 1`, row).Error
	if err != nil {
		return nil, fmt.Errorf("models: save measure: %w", err)
	}
	var m Measure
	if err := s.db.Preload("Modules").Where("site_id = ? AND code = ?", s.actor.SiteID, in.Code).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("models: measure %s: %w", in.Code, err)
	}
	return &m, nil
}

// SaveModule creates or replaces a module of one of the site's measures
// (the API's PUT).
func (s *Store) SaveModule(measureCode string, in MeasureInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	var m Measure
	if err := s.db.Where("code = ?", measureCode).Take(&m).Error; err != nil {
		if notFound(err) {
			return fmt.Errorf("models: measure %s: %w", measureCode, ErrNotFound)
		}
		return fmt.Errorf("models: measure %s: %w", measureCode, err)
	}
	err := s.db.Exec(`INSERT INTO prevention.measure_modules (measure_id, code, name_de, name_en, name_tr, name_ar, active, sort)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (measure_id, code) DO UPDATE SET name_de = EXCLUDED.name_de, name_en = EXCLUDED.name_en,
		  name_tr = EXCLUDED.name_tr, name_ar = EXCLUDED.name_ar, active = EXCLUDED.active, sort = EXCLUDED.sort`,
		m.ID, in.Code, strings.TrimSpace(in.Labels.DE), strings.TrimSpace(in.Labels.EN), strings.TrimSpace(in.Labels.TR),
		strings.TrimSpace(in.Labels.AR), in.Active, in.Sort).Error
	if err != nil {
		return fmt.Errorf("models: save module: %w", err)
	}
	return nil
}
