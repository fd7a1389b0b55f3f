package models

import (
	"errors"
	"fmt"
)

// DemoPassword is the password of every demo user. Demo data is synthetic
// and refused in production.
const DemoPassword = "kurve-demo-2026"

// DemoLogin is one seeded demo account.
type DemoLogin struct {
	Role  Role
	Email string
}

var demoSites = []Site{
	{Code: "ES", Name: "Essen", ControllerName: "Stadt Essen, Jugendamt (Demo)", ControllerAddress: "Demostraße 1, 45121 Essen",
		PrivacyContact: "Datenschutzbeauftragte der Stadt Essen (Demo), datenschutz@es.kurve.example"},
	{Code: "DU", Name: "Duisburg", ControllerName: "Stadt Duisburg, Jugendamt (Demo)", ControllerAddress: "Demoplatz 2, 47049 Duisburg",
		PrivacyContact: "Datenschutzbeauftragter der Stadt Duisburg (Demo), datenschutz@du.kurve.example"},
	{Code: "DO", Name: "Dortmund", ControllerName: "Stadt Dortmund, Jugendamt (Demo)", ControllerAddress: "Demoweg 3, 44122 Dortmund",
		PrivacyContact: "Datenschutz der Stadt Dortmund (Demo), datenschutz@do.kurve.example"},
}

// demoUsers are synthetic staff of the Essen site, one per role.
var demoUsers = []struct {
	role       Role
	local      string
	name, lang string
}{
	{RoleSocialWorker, "fachkraft", "Demo Fachkraft", "de"},
	{RoleMediator, "sprachmittlung", "Demo Sprachmittlung", "tr"},
	{RoleCoordinator, "koordination", "Demo Koordination", "de"},
	{RoleEvaluator, "evaluation", "Demo Evaluation", "en"},
	{RolePoliceLiaison, "polizei", "Demo Polizei", "de"},
	{RoleAdmin, "admin", "Demo Administration", "de"},
	{RoleDPO, "datenschutz", "Demo Datenschutz", "de"},
}

// SeedDemo creates the demo sites and users where missing; running it twice
// changes nothing. It runs as kurve_admin.
func (s *Store) SeedDemo() ([]DemoLogin, error) {
	for _, site := range demoSites {
		if _, err := s.SiteByCode(site.Code); err == nil {
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		site := site
		if err := s.CreateSite(&site); err != nil {
			return nil, fmt.Errorf("models: seed site %s: %w", site.Code, err)
		}
	}
	logins := make([]DemoLogin, 0, len(demoUsers))
	for _, du := range demoUsers {
		email := du.local + "@es.kurve.example"
		logins = append(logins, DemoLogin{Role: du.role, Email: email})
		if _, err := s.UserByEmail(email); err == nil {
			continue
		} else if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		u, err := s.CreateUser(NewUserInput{Email: email, Name: du.name, Role: du.role, SiteCode: "ES", Language: du.lang})
		if err != nil {
			return nil, fmt.Errorf("models: seed user %s: %w", du.role, err)
		}
		// The published demo password is refused to every real account
		// (CheckNewPassword); the demo accounts alone have it.
		if err := s.setPassword(u, DemoPassword); err != nil {
			return nil, err
		}
		if du.role == RoleMediator {
			// The demo mediator interprets for the Arabic-, Kurdish- and
			// Turkish-speaking families.
			if err := s.SetMediatorLanguages(u.ID, []string{"ar", "ku", "tr"}); err != nil {
				return nil, err
			}
		}
	}
	return logins, nil
}
