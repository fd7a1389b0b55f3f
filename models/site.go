package models

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Site is a municipality or police district where the program runs.
type Site struct {
	ID     string `gorm:"primaryKey;default:gen_random_uuid()"`
	Code   string
	Name   string
	Active bool `gorm:"default:true"`
	// The provider's GDPR details, printed on the consent form (SPEC §11).
	ControllerName    string
	ControllerAddress string
	PrivacyContact    string
	Version           int       `gorm:"default:1"`
	CreatedAt         time.Time `gorm:"->"`
	UpdatedAt         time.Time
}

// TableName implements gorm's Tabler.
func (Site) TableName() string { return "org.sites" }

var siteCodeRE = regexp.MustCompile(`^[A-Z]{2,3}$`)

// Validate checks a new site.
func (s *Site) Validate() error {
	v := &ValidationError{}
	if !siteCodeRE.MatchString(s.Code) {
		v.Add("code", "validation.site_code", nil)
	}
	if n := len([]rune(strings.TrimSpace(s.Name))); n < 1 || n > 100 {
		v.Add("name", "validation.required", nil)
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{{"controller_name", s.ControllerName, 200}, {"controller_address", s.ControllerAddress, 500}, {"privacy_contact", s.PrivacyContact, 200}} {
		if len([]rune(f.value)) > f.max {
			v.Add(f.field, "validation.max", map[string]any{"Param": f.max})
		}
	}
	return v.OrNil()
}

// CreateSite inserts an active site.
func (s *Store) CreateSite(site *Site) error {
	site.Name = strings.TrimSpace(site.Name)
	site.Active, site.Version, site.UpdatedAt = true, 1, time.Now()
	if err := site.Validate(); err != nil {
		return err
	}
	if err := s.db.Create(site).Error; err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("models: site %s: %w", site.Code, ErrConflict)
		}
		return fmt.Errorf("models: create site: %w", err)
	}
	return nil
}

// SiteByCode returns the site with code.
func (s *Store) SiteByCode(code string) (*Site, error) {
	var site Site
	if err := s.db.Where("code = ?", code).Take(&site).Error; err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: site %s: %w", code, ErrNotFound)
		}
		return nil, fmt.Errorf("models: site %s: %w", code, err)
	}
	return &site, nil
}

// SiteByID returns the site with id.
func (s *Store) SiteByID(id string) (*Site, error) {
	var site Site
	if err := s.db.Where("id = ?", id).Take(&site).Error; err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("models: site %s: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("models: site %s: %w", id, err)
	}
	return &site, nil
}

// Sites lists all sites by code.
func (s *Store) Sites() ([]Site, error) {
	var sites []Site
	if err := s.db.Order("code").Find(&sites).Error; err != nil {
		return nil, fmt.Errorf("models: sites: %w", err)
	}
	return sites, nil
}

// ErrPrivacyDetailsMissing refuses a family document of a site whose
// controller, address or data-protection contact is not recorded: the
// consent form must name them (GDPR Art. 13).
var ErrPrivacyDetailsMissing = errors.New("site privacy details missing")

// PrivacyDetailsComplete reports whether the consent form can name who is
// responsible for the data and how to reach their data-protection contact.
func (s *Site) PrivacyDetailsComplete() bool {
	return strings.TrimSpace(s.ControllerName) != "" && strings.TrimSpace(s.ControllerAddress) != "" &&
		strings.TrimSpace(s.PrivacyContact) != ""
}
