package models

import (
	"fmt"

	"github.com/google/uuid"
)

// Staff is a colleague as the prevention side sees them: no e-mail-based
// login data, no password hash, no second factor (the database grants
// only these columns to kurve_prevention and kurve_mediation).
type Staff struct {
	ID       string
	SiteID   string
	Name     string
	Role     Role
	Language string
}

// TableName implements gorm's Tabler.
func (Staff) TableName() string { return "org.users" }

var staffColumns = "id, site_id, name, role, language"

// StaffByID returns an active colleague.
func (s *Store) StaffByID(id string) (*Staff, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("models: staff %s: %w", id, ErrNotFound)
	}
	var st Staff
	if err := s.db.Select(staffColumns).Where("id = ? AND active", id).Take(&st).Error; err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: staff %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("models: staff %s: %w", id, err)
	}
	return &st, nil
}

// StaffOfSite lists the active colleagues of a site with one of roles.
func (s *Store) StaffOfSite(siteID string, roles ...Role) ([]Staff, error) {
	var out []Staff
	q := s.db.Select(staffColumns).Where("site_id = ? AND active", siteID).Order("name")
	if len(roles) > 0 {
		q = q.Where("role IN ?", roles)
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("models: staff: %w", err)
	}
	return out, nil
}
