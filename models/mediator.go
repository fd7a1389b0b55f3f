package models

import (
	"fmt"
	"sort"
)

// MediatorLanguages returns the languages a mediator offers.
func (s *Store) MediatorLanguages(userID string) ([]string, error) {
	var out []string
	if err := s.db.Raw("SELECT language FROM org.mediator_languages WHERE user_id = ? ORDER BY language", userID).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("models: mediator languages: %w", err)
	}
	return out, nil
}

// SetMediatorLanguages replaces the languages a mediator offers (the
// mediator themself, or an admin).
func (s *Store) SetMediatorLanguages(userID string, langs []string) error {
	v := &ValidationError{}
	langs = uniqueStrings(langs)
	for _, l := range langs {
		if !languageCodeRE.MatchString(l) {
			v.Add("languages", "validation.language", nil)
			return v
		}
	}
	if err := s.db.Exec("DELETE FROM org.mediator_languages WHERE user_id = ?", userID).Error; err != nil {
		return fmt.Errorf("models: mediator languages: %w", err)
	}
	for _, l := range langs {
		if err := s.db.Exec("INSERT INTO org.mediator_languages (user_id, language) VALUES (?, ?)", userID, l).Error; err != nil {
			return fmt.Errorf("models: mediator languages: %w", err)
		}
	}
	return nil
}

// MediatorMatch is a mediator of the site with the family languages they
// cover.
type MediatorMatch struct {
	Staff
	Languages []string
	Covers    []string
}

// MatchMediators lists the site's mediators, best match first: those who
// offer the languages the family needs an interpreter for (SPEC §2, §3).
// Full reports whether at least one mediator covers every needed language.
func (s *Store) MatchMediators(siteID string, needed []string) (matches []MediatorMatch, full bool, err error) {
	meds, err := s.StaffOfSite(siteID, RoleMediator)
	if err != nil {
		return nil, false, err
	}
	for _, m := range meds {
		langs, err := s.MediatorLanguages(m.ID)
		if err != nil {
			return nil, false, err
		}
		mm := MediatorMatch{Staff: m, Languages: langs}
		for _, n := range needed {
			if contains(langs, n) {
				mm.Covers = append(mm.Covers, n)
			}
		}
		if len(needed) > 0 && len(mm.Covers) == len(needed) {
			full = true
		}
		matches = append(matches, mm)
	}
	sort.SliceStable(matches, func(i, j int) bool { return len(matches[i].Covers) > len(matches[j].Covers) })
	return matches, full || len(needed) == 0, nil
}
