package app

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Administration (issue 13): the steps the admin's API and pages share.
// Each writes through models as kurve_admin and audits ids and codes only.

// admins may manage users and sites.
var admins = []models.Role{models.RoleAdmin}

// passwordLinkURL is the absolute set-password URL for token, built from
// KURVE_BASE_URL like every link that leaves the application.
func (s *Server) passwordLinkURL(token string) string {
	return s.cfg.BaseURL + "/password/" + token
}

// issuedLink is a set-password link as shown once to the admin.
type issuedLink struct {
	URL       string
	ExpiresAt time.Time
}

// createUser creates an account without a password and its first
// set-password link.
func (s *Server) createUser(c *fiber.Ctx, in models.NewUserInput) (*models.User, *issuedLink, error) {
	in.Password = ""
	st, admin := store(c), currentUser(c)
	u, err := st.CreateUser(in)
	if err != nil {
		return nil, nil, err
	}
	link, err := s.issueLink(c, u.ID)
	if err != nil {
		return nil, nil, err
	}
	return u, link, audit(c, admin, models.AuditUserCreate, "user", u.ID, map[string]any{"role": u.Role, "site": u.Site.Code})
}

// issueLink makes a new set-password link for the user (earlier ones stop
// working) and audits it.
func (s *Server) issueLink(c *fiber.Ctx, userID string) (*issuedLink, error) {
	token, expires, err := store(c).IssuePasswordLink(userID, currentUser(c).ID, now(c))
	if err != nil {
		return nil, err
	}
	if err := audit(c, currentUser(c), models.AuditUserPasswordLink, "user", userID, nil); err != nil {
		return nil, err
	}
	return &issuedLink{URL: s.passwordLinkURL(token), ExpiresAt: expires}, nil
}

// newPasswordLink issues a link for an existing, active user.
func (s *Server) newPasswordLink(c *fiber.Ctx, userID string) (*models.User, *issuedLink, error) {
	u, err := store(c).UserForAdmin(userID)
	if err != nil {
		return nil, nil, err
	}
	if !u.Active {
		v := &models.ValidationError{}
		v.Add("active", "validation.user_inactive", nil)
		return nil, nil, v
	}
	link, err := s.issueLink(c, u.ID)
	return u, link, err
}

// updateUser applies an admin's change and audits what changed (field
// names and codes, never a name or an address).
func updateUser(c *fiber.Ctx, id string, ch models.UserChange) (*models.UserUpdate, error) {
	res, err := store(c).UpdateUser(id, ch)
	if err != nil {
		return nil, err
	}
	if len(res.Changed) == 0 {
		return res, nil
	}
	slices.Sort(res.Changed)
	details := map[string]any{"changed": res.Changed, "role": res.User.Role, "site": res.User.Site.Code, "active": res.User.Active}
	if res.AssignmentsEnded > 0 {
		details["assignments_ended"] = res.AssignmentsEnded
	}
	return res, audit(c, currentUser(c), models.AuditUserUpdate, "user", id, details)
}

// resetTOTP removes a user's second factor and audits it.
func resetTOTP(c *fiber.Ctx, id string) (*models.User, error) {
	u, err := store(c).UserForAdmin(id)
	if err != nil {
		return nil, err
	}
	if err := store(c).ResetTOTP(u.ID); err != nil {
		return nil, err
	}
	return u, audit(c, currentUser(c), models.AuditUserTOTPReset, "user", u.ID, nil)
}

// createSite creates a site and audits it.
func createSite(c *fiber.Ctx, site *models.Site) error {
	if err := store(c).CreateSite(site); err != nil {
		return err
	}
	return audit(c, currentUser(c), models.AuditSiteCreate, "site", site.ID, map[string]any{"site": site.Code})
}

// updateSite applies an admin's change to a site and audits it.
func updateSite(c *fiber.Ctx, code string, ch models.SiteChange) (*models.Site, error) {
	site, err := store(c).UpdateSite(code, ch)
	if err != nil {
		return nil, err
	}
	return site, audit(c, currentUser(c), models.AuditSiteUpdate, "site", site.ID,
		map[string]any{"site": site.Code, "active": site.Active, "version": site.Version})
}
