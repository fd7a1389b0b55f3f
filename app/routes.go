package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Access says how a route is entered.
type Access int

const (
	// Public routes run without session, user or database transaction
	// (health, metrics, static files, the API description).
	Public Access = iota + 1
	// Guest routes are open before login; they run as kurve_auth with an
	// optional session (login page, language switch).
	Guest
	// Account routes need a signed-in user of one of Roles and run as
	// kurve_auth: the user's own account (profile, tokens, logout, /me).
	Account
	// Side routes need a signed-in user of one of Roles and run under the
	// database role of that user's side of the wall.
	Side
)

// Route is one entry of the route table: the single source of truth for
// paths, handlers and who may call them. Anything not listed is 404; a
// listed route with no role is refused to everybody (deny by default).
type Route struct {
	Method string
	Path   string
	Access Access
	Roles  []models.Role
	API    bool
	// PreMFA routes are open to a user who passed the password but not yet
	// the second factor (the TOTP pages, logout).
	PreMFA bool
	// Heavy routes (the statistics tables) run a few at a time
	// (heavyGate), before their transaction begins.
	Heavy   bool
	Handler fiber.Handler
}

// Allows reports whether role may call the route.
func (r Route) Allows(role models.Role) bool {
	for _, x := range r.Roles {
		if x == role {
			return true
		}
	}
	return false
}

var (
	allRoles = models.Roles
	// caseStaff do casework: full access to their (assigned or site) cases.
	caseStaff = []models.Role{models.RoleSocialWorker, models.RoleCoordinator}
	// caseReaders also include mediators, who see the limited view.
	caseReaders  = []models.Role{models.RoleSocialWorker, models.RoleCoordinator, models.RoleMediator}
	coordinators = []models.Role{models.RoleCoordinator}
	evaluators   = []models.Role{models.RoleEvaluator}
	dpos         = []models.Role{models.RoleDPO}
	// policeLiaisons submit referrals; referralReaders see them, each
	// through their own crossing.
	policeLiaisons    = []models.Role{models.RolePoliceLiaison}
	referralReaders   = []models.Role{models.RolePoliceLiaison, models.RoleCoordinator}
	totpOptionalRoles = []models.Role{models.RoleSocialWorker, models.RoleMediator, models.RoleCoordinator,
		models.RoleEvaluator, models.RolePoliceLiaison}
)

func (s *Server) routeTable() []Route {
	h := &handlers{s: s}
	return []Route{
		// Operations: probes, metrics and the API description.
		{Method: "GET", Path: "/healthz", Access: Public, Handler: h.healthz},
		{Method: "GET", Path: "/readyz", Access: Public, Handler: h.readyz},
		{Method: "GET", Path: "/metrics", Access: Public, Handler: s.metrics.handler(s.cfg.MetricsToken)},
		{Method: "GET", Path: "/api/v1/openapi.json", Access: Public, API: true, Handler: h.openAPI},
		{Method: "GET", Path: "/static/*", Access: Public, Handler: staticHandler()},
		// Browsers ask for /favicon.ico whatever the page links.
		{Method: "GET", Path: "/favicon.ico", Access: Public, Handler: h.favicon},
		// The secret calendar feed: the token in the URL is the credential.
		{Method: "GET", Path: "/calendar/:file", Access: Public, Handler: h.calendarFeed},

		// Sign-in and language before login.
		{Method: "GET", Path: "/login", Access: Guest, Handler: h.loginForm},
		// What was typed when the session expired, to check and save.
		{Method: "GET", Path: "/resume", Access: Account, Roles: allRoles, Handler: h.resume},
		// "Stay signed in" of the timeout warning (keeps the session alive).
		{Method: "GET", Path: "/session/ping", Access: Account, Roles: allRoles, Handler: h.sessionPing},
		{Method: "POST", Path: "/login", Access: Guest, Handler: h.login},
		{Method: "POST", Path: "/language", Access: Guest, Handler: h.setLanguage},
		{Method: "GET", Path: "/login/totp", Access: Account, Roles: allRoles, PreMFA: true, Handler: h.totpForm},
		{Method: "POST", Path: "/login/totp", Access: Account, Roles: allRoles, PreMFA: true, Handler: h.totpLogin},

		// The user's own account.
		{Method: "POST", Path: "/logout", Access: Account, Roles: allRoles, PreMFA: true, Handler: h.logout},
		{Method: "GET", Path: "/profile", Access: Account, Roles: allRoles, Handler: h.profile},
		{Method: "POST", Path: "/profile/password", Access: Account, Roles: allRoles, Handler: h.passwordChange},
		{Method: "POST", Path: "/profile/calendar", Access: Account, Roles: calendarRoles, Handler: h.calendarReset},
		{Method: "POST", Path: "/profile/tokens", Access: Account, Roles: allRoles, Handler: h.tokenCreate},
		{Method: "POST", Path: "/profile/tokens/:id/delete", Access: Account, Roles: allRoles, Handler: h.tokenDelete},
		{Method: "GET", Path: "/profile/totp", Access: Account, Roles: allRoles, PreMFA: true, Handler: h.totpSetup},
		{Method: "POST", Path: "/profile/totp", Access: Account, Roles: allRoles, PreMFA: true, Handler: h.totpConfirm},
		// Admin and dpo must keep their second factor (SPEC §9).
		{Method: "POST", Path: "/profile/totp/disable", Access: Account, Roles: totpOptionalRoles, Handler: h.totpDisable},

		// Start page, on the user's side of the wall.
		{Method: "GET", Path: "/", Access: Side, Roles: allRoles, Handler: h.home},

		// Printable family documents (SPEC §4, §7) in the eight document
		// languages, ?lang= or the family's: the consent form and the visit
		// notice for case staff and for the mediators of the family, whose
		// copy of the form holds only what their role reads.
		{Method: "GET", Path: "/participants/:id/documents/consent", Access: Side, Roles: caseReaders, Handler: h.consentDocument},
		{Method: "GET", Path: "/visits/:id/notice", Access: Side, Roles: caseReaders, Handler: h.visitNotice},

		// Case pages (web): caseload, participant, family, guardians,
		// consent, assignments. Mediators read the limited view only;
		// /participants/new stays before /participants/:id.
		{Method: "GET", Path: "/participants", Access: Side, Roles: caseReaders, Handler: h.participantList},
		{Method: "GET", Path: "/participants/new", Access: Side, Roles: coordinators, Handler: h.participantNew},
		{Method: "POST", Path: "/participants", Access: Side, Roles: coordinators, Handler: h.participantCreate},
		{Method: "GET", Path: "/participants/:id", Access: Side, Roles: caseReaders, Handler: h.participantShow},
		{Method: "GET", Path: "/participants/:id/edit", Access: Side, Roles: caseStaff, Handler: h.participantEdit},
		{Method: "GET", Path: "/participants/:id/sessions", Access: Side, Roles: caseStaff, Handler: h.participantSessions},
		{Method: "POST", Path: "/participants/:id", Access: Side, Roles: caseStaff, Handler: h.participantUpdate},
		{Method: "POST", Path: "/participants/:id/status", Access: Side, Roles: caseStaff, Handler: h.participantStatus},
		{Method: "GET", Path: "/participants/:id/status/:to", Access: Side, Roles: caseStaff, Handler: h.statusConfirm},
		{Method: "POST", Path: "/participants/:id/reopen", Access: Side, Roles: coordinators, Handler: h.participantReopen},
		{Method: "GET", Path: "/participants/:id/guardians/new", Access: Side, Roles: caseStaff, Handler: h.guardianNew},
		{Method: "POST", Path: "/participants/:id/guardians", Access: Side, Roles: caseStaff, Handler: h.guardianCreate},
		{Method: "POST", Path: "/participants/:id/guardians/:gid/custody", Access: Side, Roles: caseStaff, Handler: h.guardianCustody},
		{Method: "GET", Path: "/participants/:id/consents/new", Access: Side, Roles: caseStaff, Handler: h.consentNew},
		{Method: "POST", Path: "/participants/:id/consents", Access: Side, Roles: caseStaff, Handler: h.consentCreate},
		{Method: "POST", Path: "/consents/:id/answer", Access: Side, Roles: caseStaff, Handler: h.consentAnswer},
		{Method: "POST", Path: "/consents/:id/withdraw", Access: Side, Roles: caseStaff, Handler: h.consentWithdraw},
		{Method: "POST", Path: "/participants/:id/assignments", Access: Side, Roles: coordinators, Handler: h.assignmentCreate},
		{Method: "POST", Path: "/assignments/:id/end", Access: Side, Roles: coordinators, Handler: h.assignmentEnd},
		{Method: "GET", Path: "/families/:id/edit", Access: Side, Roles: caseStaff, Handler: h.familyEdit},
		{Method: "POST", Path: "/families/:id", Access: Side, Roles: caseStaff, Handler: h.familyUpdate},

		// Referral pages (web, SPEC §5): police liaisons submit referrals
		// and read their feedback (enforcement side); coordinators work
		// the intake queue of their site (prevention side).
		{Method: "GET", Path: "/referrals", Access: Side, Roles: policeLiaisons, Handler: h.referralList},
		{Method: "GET", Path: "/referrals/new", Access: Side, Roles: policeLiaisons, Handler: h.referralNew},
		{Method: "POST", Path: "/referrals", Access: Side, Roles: policeLiaisons, Handler: h.referralCreate},
		// A liaison's own referral (issue 16): as submitted, with its
		// feedback; corrected while intake has not decided. Another
		// liaison's is not found (row security, enforcement.referrals).
		{Method: "GET", Path: "/referrals/:id", Access: Side, Roles: policeLiaisons, Handler: h.referralShow},
		{Method: "GET", Path: "/referrals/:id/edit", Access: Side, Roles: policeLiaisons, Handler: h.referralEdit},
		{Method: "POST", Path: "/referrals/:id", Access: Side, Roles: policeLiaisons, Handler: h.referralUpdate},
		// Later police contacts of the child, recorded on the liaison's own
		// referral page (issue 17); enforcement data, counted only by
		// crossing 3.
		{Method: "POST", Path: "/referrals/:id/contacts", Access: Side, Roles: policeLiaisons, Handler: h.policeContactCreate},
		{Method: "GET", Path: "/intake", Access: Side, Roles: coordinators, Handler: h.intakeList},
		{Method: "GET", Path: "/intake/:id", Access: Side, Roles: coordinators, Handler: h.intakeShow},
		{Method: "POST", Path: "/intake/:id/accept", Access: Side, Roles: coordinators, Handler: h.intakeAccept},
		{Method: "POST", Path: "/intake/:id/decline", Access: Side, Roles: coordinators, Handler: h.intakeDecline},

		// Sessions and casework over time (web): the quick session form
		// (the start page is the case staff's dashboard), goals, reviews,
		// program extensions, the closing interview and the measure
		// catalogue. Mediators and evaluators never.
		{Method: "GET", Path: "/sessions/new", Access: Side, Roles: caseStaff, Handler: h.sessionNew},
		{Method: "POST", Path: "/sessions", Access: Side, Roles: caseStaff, Handler: h.sessionCreate},
		{Method: "GET", Path: "/sessions/:id", Access: Side, Roles: caseStaff, Handler: h.sessionShow},
		{Method: "POST", Path: "/sessions/:id", Access: Side, Roles: caseStaff, Handler: h.sessionUpdate},
		{Method: "POST", Path: "/participants/:id/goals", Access: Side, Roles: caseStaff, Handler: h.goalCreate},
		{Method: "POST", Path: "/goals/:id", Access: Side, Roles: caseStaff, Handler: h.goalUpdate},
		{Method: "POST", Path: "/participants/:id/reviews", Access: Side, Roles: caseStaff, Handler: h.reviewCreate},
		{Method: "POST", Path: "/participants/:id/extensions", Access: Side, Roles: caseStaff, Handler: h.extensionCreate},
		{Method: "GET", Path: "/participants/:id/closing", Access: Side, Roles: caseStaff, Handler: h.closingNew},
		{Method: "POST", Path: "/participants/:id/closing", Access: Side, Roles: caseStaff, Handler: h.closingCreate},
		// Groups for sessions (issue 15): named groups of children of the
		// site, kept by coordinators and social workers; members follow
		// their children's visibility. The session form offers them.
		{Method: "GET", Path: "/groups", Access: Side, Roles: caseStaff, Handler: h.groupList},
		{Method: "POST", Path: "/groups", Access: Side, Roles: caseStaff, Handler: h.groupCreate},
		{Method: "GET", Path: "/groups/:id", Access: Side, Roles: caseStaff, Handler: h.groupShow},
		{Method: "POST", Path: "/groups/:id", Access: Side, Roles: caseStaff, Handler: h.groupUpdate},
		{Method: "POST", Path: "/groups/:id/archive", Access: Side, Roles: caseStaff, Handler: h.groupArchive},
		{Method: "POST", Path: "/groups/:id/members", Access: Side, Roles: caseStaff, Handler: h.groupMembersAdd},
		{Method: "POST", Path: "/groups/:id/members/:pid/remove", Access: Side, Roles: caseStaff, Handler: h.groupMemberRemove},
		{Method: "GET", Path: "/measures", Access: Side, Roles: coordinators, Handler: h.measureList},
		{Method: "POST", Path: "/measures", Access: Side, Roles: coordinators, Handler: h.measureCreate},
		{Method: "POST", Path: "/measures/:code", Access: Side, Roles: coordinators, Handler: h.measureUpdate},
		{Method: "POST", Path: "/measures/:code/modules", Access: Side, Roles: coordinators, Handler: h.moduleCreate},
		{Method: "POST", Path: "/measures/:code/modules/:module", Access: Side, Roles: coordinators, Handler: h.moduleUpdate},
		// Assessments (issue 17): the site's instrument, kept by its
		// coordinators; the form of a case's assessment (its course is a
		// section of the case page). /assessments/new is a form page like
		// /closing.
		{Method: "GET", Path: "/assessment-items", Access: Side, Roles: coordinators, Handler: h.assessmentItemList},
		{Method: "POST", Path: "/assessment-items", Access: Side, Roles: coordinators, Handler: h.assessmentItemCreate},
		{Method: "POST", Path: "/assessment-items/:code", Access: Side, Roles: coordinators, Handler: h.assessmentItemRevise},
		{Method: "POST", Path: "/assessment-items/:code/retire", Access: Side, Roles: coordinators, Handler: h.assessmentItemRetire},
		{Method: "GET", Path: "/participants/:id/assessments/new", Access: Side, Roles: caseStaff, Handler: h.assessmentNew},
		{Method: "POST", Path: "/participants/:id/assessments", Access: Side, Roles: caseStaff, Handler: h.assessmentCreate},

		// Family visits (web): the visits section of the case page, the
		// week agenda, one-tap outcomes; and the languages a mediator
		// offers, a side route because the account role cannot write them.
		// Mediators see neither outcome notes nor any casework.
		{Method: "GET", Path: "/visits", Access: Side, Roles: caseReaders, Handler: h.visitAgenda},
		{Method: "POST", Path: "/participants/:id/visits", Access: Side, Roles: caseReaders, Handler: h.visitCreate},
		{Method: "POST", Path: "/visits/:id", Access: Side, Roles: caseReaders, Handler: h.visitUpdate},
		{Method: "GET", Path: "/profile/languages", Access: Side, Roles: []models.Role{models.RoleMediator}, Handler: h.mediatorLanguages},
		{Method: "POST", Path: "/profile/languages", Access: Side, Roles: []models.Role{models.RoleMediator}, Handler: h.mediatorLanguagesSave},

		// Outcome statistics (SPEC §6): evaluators only, as kurve_statistics.
		{Method: "GET", Path: "/stats", Access: Side, Roles: evaluators, Heavy: true, Handler: h.statsDashboard},
		{Method: "GET", Path: "/stats/outcomes.csv", Access: Side, Roles: evaluators, Heavy: true, Handler: h.statsDownloadCSV},
		{Method: "GET", Path: "/stats/outcomes.json", Access: Side, Roles: evaluators, Heavy: true, Handler: h.statsDownloadJSON},

		// The audit log (SPEC §9, issue 12): the data-protection officer
		// only, as kurve_dpo, which reads the log and case numbers and no
		// record of either side. Every search and download is audited.
		{Method: "GET", Path: "/audit", Access: Side, Roles: dpos, Handler: h.auditPage},
		{Method: "GET", Path: "/audit.csv", Access: Side, Roles: dpos, Handler: h.auditDownloadCSV},
		// Erasure (GDPR Art. 17, issue 12): the dpo names the case by its
		// number and a reason, confirms on a page of its own, and only the
		// confirmation erases (audited), as DELETE /api/v1/participants/:id.
		{Method: "GET", Path: "/erasure", Access: Side, Roles: dpos, Handler: h.erasureForm},
		{Method: "POST", Path: "/erasure", Access: Side, Roles: dpos, Handler: h.erasureCheck},
		{Method: "POST", Path: "/erasure/confirm", Access: Side, Roles: dpos, Handler: h.erasureConfirm},
		// Export (GDPR Art. 15, issue 12): the dpo names the case by its
		// number and gets a printable page of the same content as
		// GET /api/v1/participants/:id/export (audited).
		{Method: "GET", Path: "/export", Access: Side, Roles: dpos, Handler: h.exportForm},
		{Method: "POST", Path: "/export", Access: Side, Roles: dpos, Handler: h.exportShow},

		// Administration pages (issue 13, web): users and sites for the
		// admin, who reads no case content; the set-password page of a
		// one-time link (the token in the URL is the credential).
		// /admin/users/new stays before /admin/users/:id.
		{Method: "GET", Path: "/admin/users", Access: Side, Roles: admins, Handler: h.adminUsers},
		{Method: "GET", Path: "/admin/users/new", Access: Side, Roles: admins, Handler: h.adminUserNew},
		{Method: "POST", Path: "/admin/users", Access: Side, Roles: admins, Handler: h.adminUserCreate},
		{Method: "GET", Path: "/admin/users/:id", Access: Side, Roles: admins, Handler: h.adminUser},
		{Method: "POST", Path: "/admin/users/:id", Access: Side, Roles: admins, Handler: h.adminUserUpdate},
		{Method: "POST", Path: "/admin/users/:id/active", Access: Side, Roles: admins, Handler: h.adminUserActive},
		{Method: "POST", Path: "/admin/users/:id/password-link", Access: Side, Roles: admins, Handler: h.adminUserPasswordLink},
		{Method: "POST", Path: "/admin/users/:id/totp-reset", Access: Side, Roles: admins, Handler: h.adminUserTOTPReset},
		{Method: "GET", Path: "/admin/sites", Access: Side, Roles: admins, Handler: h.adminSites},
		{Method: "POST", Path: "/admin/sites", Access: Side, Roles: admins, Handler: h.adminSiteCreate},
		{Method: "GET", Path: "/admin/sites/:code", Access: Side, Roles: admins, Handler: h.adminSite},
		{Method: "POST", Path: "/admin/sites/:code", Access: Side, Roles: admins, Handler: h.adminSiteUpdate},
		{Method: "GET", Path: "/password/:token", Access: Guest, Handler: h.passwordSetForm},
		{Method: "POST", Path: "/password/:token", Access: Guest, Handler: h.passwordSet},

		// JSON API (SPEC §11).
		{Method: "GET", Path: "/api/v1/me", Access: Account, Roles: allRoles, API: true, Handler: h.apiMe},
		{Method: "PATCH", Path: "/api/v1/me", Access: Account, Roles: allRoles, API: true, Handler: h.apiMeUpdate},

		// Case core API (SPEC §11): participants, families, guardians,
		// consent, assignments. Admin, dpo, evaluators and police never.
		{Method: "GET", Path: "/api/v1/participants", Access: Side, Roles: caseReaders, API: true, Handler: h.apiParticipants},
		{Method: "POST", Path: "/api/v1/participants", Access: Side, Roles: coordinators, API: true, Handler: h.apiParticipantCreate},
		{Method: "GET", Path: "/api/v1/participants/:id", Access: Side, Roles: caseReaders, API: true, Handler: h.apiParticipant},
		{Method: "PATCH", Path: "/api/v1/participants/:id", Access: Side, Roles: caseStaff, API: true, Handler: h.apiParticipantPatch},
		// Erasure (GDPR Art. 17): the data-protection officer only, through
		// one database function (migration 00017).
		{Method: "DELETE", Path: "/api/v1/participants/:id", Access: Side, Roles: dpos, API: true, Handler: h.apiParticipantErase},
		// Export (GDPR Art. 15): the dpo only, through one database function
		// (migration 00019).
		{Method: "GET", Path: "/api/v1/participants/:id/export", Access: Side, Roles: dpos, API: true, Handler: h.apiParticipantExport},
		{Method: "GET", Path: "/api/v1/participants/:id/guardians", Access: Side, Roles: caseReaders, API: true, Handler: h.apiGuardians},
		{Method: "POST", Path: "/api/v1/participants/:id/guardians", Access: Side, Roles: caseStaff, API: true, Handler: h.apiGuardianCreate},
		{Method: "POST", Path: "/api/v1/participants/:id/guardians/:gid/custody", Access: Side, Roles: caseStaff, API: true, Handler: h.apiGuardianCustody},
		{Method: "GET", Path: "/api/v1/participants/:id/consents", Access: Side, Roles: caseStaff, API: true, Handler: h.apiConsents},
		{Method: "POST", Path: "/api/v1/participants/:id/consents", Access: Side, Roles: caseStaff, API: true, Handler: h.apiConsentCreate},
		{Method: "PATCH", Path: "/api/v1/consents/:id", Access: Side, Roles: caseStaff, API: true, Handler: h.apiConsentAnswer},
		{Method: "POST", Path: "/api/v1/consents/:id/withdraw", Access: Side, Roles: caseStaff, API: true, Handler: h.apiConsentWithdraw},
		{Method: "GET", Path: "/api/v1/participants/:id/assignments", Access: Side, Roles: caseStaff, API: true, Handler: h.apiAssignments},
		{Method: "POST", Path: "/api/v1/participants/:id/assignments", Access: Side, Roles: coordinators, API: true, Handler: h.apiAssignmentCreate},
		{Method: "POST", Path: "/api/v1/assignments/:id/end", Access: Side, Roles: coordinators, API: true, Handler: h.apiAssignmentEnd},
		{Method: "GET", Path: "/api/v1/families/:id", Access: Side, Roles: caseReaders, API: true, Handler: h.apiFamily},
		{Method: "PATCH", Path: "/api/v1/families/:id", Access: Side, Roles: caseStaff, API: true, Handler: h.apiFamilyPatch},

		// Sessions and casework over time (SPEC §11). Mediators and
		// evaluators never: their database roles have no grant on any of it.
		{Method: "GET", Path: "/api/v1/measures", Access: Side, Roles: caseStaff, API: true, Handler: h.apiMeasures},
		{Method: "PUT", Path: "/api/v1/measures/:code", Access: Side, Roles: coordinators, API: true, Handler: h.apiMeasurePut},
		{Method: "POST", Path: "/api/v1/sessions", Access: Side, Roles: caseStaff, API: true, Handler: h.apiSessionCreate},
		{Method: "GET", Path: "/api/v1/sessions/:id", Access: Side, Roles: caseStaff, API: true, Handler: h.apiSession},
		{Method: "PATCH", Path: "/api/v1/sessions/:id", Access: Side, Roles: caseStaff, API: true, Handler: h.apiSessionPatch},
		{Method: "GET", Path: "/api/v1/participants/:id/sessions", Access: Side, Roles: caseStaff, API: true, Handler: h.apiParticipantSessions},
		{Method: "GET", Path: "/api/v1/participants/:id/goals", Access: Side, Roles: caseStaff, API: true, Handler: h.apiGoals},
		{Method: "POST", Path: "/api/v1/participants/:id/goals", Access: Side, Roles: caseStaff, API: true, Handler: h.apiGoalCreate},
		{Method: "PATCH", Path: "/api/v1/goals/:id", Access: Side, Roles: caseStaff, API: true, Handler: h.apiGoalPatch},
		{Method: "GET", Path: "/api/v1/participants/:id/reviews", Access: Side, Roles: caseStaff, API: true, Handler: h.apiReviews},
		{Method: "POST", Path: "/api/v1/participants/:id/reviews", Access: Side, Roles: caseStaff, API: true, Handler: h.apiReviewCreate},
		{Method: "POST", Path: "/api/v1/participants/:id/extensions", Access: Side, Roles: caseStaff, API: true, Handler: h.apiExtensionCreate},
		{Method: "POST", Path: "/api/v1/participants/:id/closing", Access: Side, Roles: caseStaff, API: true, Handler: h.apiClosing},
		{Method: "POST", Path: "/api/v1/participants/:id/reopen", Access: Side, Roles: coordinators, API: true, Handler: h.apiParticipantReopen},
		// Assessments (issue 17): the site's instrument for its staff; an
		// assessment by the case's social worker or the coordinator.
		{Method: "GET", Path: "/api/v1/assessment-items", Access: Side, Roles: caseStaff, API: true, Handler: h.apiAssessmentItems},
		{Method: "POST", Path: "/api/v1/participants/:id/assessments", Access: Side, Roles: caseStaff, API: true, Handler: h.apiAssessmentCreate},

		// Family visits (SPEC §3, §11): mediators plan and move the visits of
		// their families; social workers and coordinators too.
		{Method: "POST", Path: "/api/v1/visits", Access: Side, Roles: caseReaders, API: true, Handler: h.apiVisitCreate},
		{Method: "GET", Path: "/api/v1/visits", Access: Side, Roles: caseReaders, API: true, Handler: h.apiVisits},
		{Method: "PATCH", Path: "/api/v1/visits/:id", Access: Side, Roles: caseReaders, API: true, Handler: h.apiVisitPatch},

		// Referrals (SPEC §5): police liaisons submit, read their own with
		// its feedback and correct it; coordinators read the intake
		// crossing and decide.
		{Method: "POST", Path: "/api/v1/referrals", Access: Side, Roles: policeLiaisons, API: true, Handler: h.apiReferralCreate},
		{Method: "GET", Path: "/api/v1/referrals", Access: Side, Roles: referralReaders, API: true, Handler: h.apiReferrals},
		{Method: "GET", Path: "/api/v1/referrals/:id", Access: Side, Roles: referralReaders, API: true, Handler: h.apiReferral},
		{Method: "GET", Path: "/api/v1/referrals/:id/matches", Access: Side, Roles: coordinators, API: true, Handler: h.apiReferralMatches},
		// The liaison corrects their own referral until intake decides.
		{Method: "PATCH", Path: "/api/v1/referrals/:id", Access: Side, Roles: policeLiaisons, API: true, Handler: h.apiReferralPatch},
		// The liaison records and lists later police contacts on their own
		// referral (issue 17).
		{Method: "POST", Path: "/api/v1/referrals/:id/contacts", Access: Side, Roles: policeLiaisons, API: true, Handler: h.apiPoliceContactCreate},
		{Method: "GET", Path: "/api/v1/referrals/:id/contacts", Access: Side, Roles: policeLiaisons, API: true, Handler: h.apiPoliceContacts},
		{Method: "POST", Path: "/api/v1/referrals/:id/accept", Access: Side, Roles: coordinators, API: true, Handler: h.apiReferralAccept},
		{Method: "POST", Path: "/api/v1/referrals/:id/decline", Access: Side, Roles: coordinators, API: true, Handler: h.apiReferralDecline},

		// Outcome statistics (SPEC §6, §11).
		{Method: "GET", Path: "/api/v1/stats/outcomes", Access: Side, Roles: evaluators, API: true, Heavy: true, Handler: h.apiStatsOutcomes},
		{Method: "GET", Path: "/api/v1/stats/outcomes.csv", Access: Side, Roles: evaluators, API: true, Heavy: true, Handler: h.apiStatsOutcomesCSV},
		// The assessments per item (issue 17), the dashboard's table.
		{Method: "GET", Path: "/api/v1/stats/assessments", Access: Side, Roles: evaluators, API: true, Heavy: true, Handler: h.apiStatsAssessments},

		// Administration (issue 13, SPEC §11): users and sites, the admin
		// only (as kurve_admin); every signed-in user reads the sites.
		{Method: "GET", Path: "/api/v1/users", Access: Side, Roles: admins, API: true, Handler: h.apiUsers},
		{Method: "POST", Path: "/api/v1/users", Access: Side, Roles: admins, API: true, Handler: h.apiUserCreate},
		{Method: "GET", Path: "/api/v1/users/:id", Access: Side, Roles: admins, API: true, Handler: h.apiUser},
		{Method: "PATCH", Path: "/api/v1/users/:id", Access: Side, Roles: admins, API: true, Handler: h.apiUserPatch},
		{Method: "POST", Path: "/api/v1/users/:id/password-link", Access: Side, Roles: admins, API: true, Handler: h.apiUserPasswordLink},
		{Method: "POST", Path: "/api/v1/users/:id/totp-reset", Access: Side, Roles: admins, API: true, Handler: h.apiUserTOTPReset},
		{Method: "GET", Path: "/api/v1/sites", Access: Account, Roles: allRoles, API: true, Handler: h.apiSites},
		{Method: "POST", Path: "/api/v1/sites", Access: Side, Roles: admins, API: true, Handler: h.apiSiteCreate},
		{Method: "PATCH", Path: "/api/v1/sites/:code", Access: Side, Roles: admins, API: true, Handler: h.apiSitePatch},

		// The audit log (SPEC §11): newest first, keyset pages, CSV.
		{Method: "GET", Path: "/api/v1/audit", Access: Side, Roles: dpos, API: true, Handler: h.apiAudit},
		{Method: "GET", Path: "/api/v1/audit.csv", Access: Side, Roles: dpos, API: true, Handler: h.apiAuditCSV},
	}
}
