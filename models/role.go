package models

// Role is a user's role (SPEC §2).
type Role string

// The roles of SPEC §2.
const (
	RoleSocialWorker  Role = "social_worker"
	RoleMediator      Role = "language_mediator"
	RoleCoordinator   Role = "coordinator"
	RoleEvaluator     Role = "evaluator"
	RolePoliceLiaison Role = "police_liaison"
	RoleAdmin         Role = "admin"
	RoleDPO           Role = "dpo"
)

// Roles lists every role in a stable order.
var Roles = []Role{RoleSocialWorker, RoleMediator, RoleCoordinator, RoleEvaluator, RolePoliceLiaison, RoleAdmin, RoleDPO}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// In reports whether r is one of roles.
func (r Role) In(roles []Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// DBRole is the database role a request of this user runs under: the side of
// the wall the role belongs to (SPEC §5).
func (r Role) DBRole() DBRole {
	switch r {
	case RoleSocialWorker, RoleCoordinator:
		return DBPrevention
	case RoleMediator:
		return DBMediation
	case RolePoliceLiaison:
		return DBEnforcement
	case RoleEvaluator:
		return DBStatistics
	case RoleDPO:
		return DBDPO
	default:
		return DBAdmin
	}
}

// Languages are the interface languages (SPEC §7); the first is the default.
var Languages = []string{"de", "en", "tr", "ar"}

// ValidLanguage reports whether lang is an interface language.
func ValidLanguage(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}
