package app

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// userJSON is a user as the admin sees it: no password hash, no second
// factor secret, no caseload.
type userJSON struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	Site        string `json:"site"`
	Language    string `json:"language"`
	Active      bool   `json:"active"`
	PasswordSet bool   `json:"password_set"`
	TOTPEnabled bool   `json:"totp_enabled"`
	Version     int    `json:"version"`
	CreatedAt   string `json:"created_at"`
}

func userOut(u *models.User) userJSON {
	out := userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Language: u.Language, Active: u.Active,
		PasswordSet: u.PasswordHash != "", TOTPEnabled: u.TOTPEnabled(), Version: u.Version,
		CreatedAt: u.CreatedAt.UTC().Format(time.RFC3339)}
	if u.Site != nil {
		out.Site = u.Site.Code
	}
	return out
}

// userCreatedJSON answers POST /api/v1/users: the user and the one-time
// link, shown this once.
type userCreatedJSON struct {
	userJSON
	SetPasswordURL       string `json:"set_password_url"`
	SetPasswordExpiresAt string `json:"set_password_expires_at"`
}

type userCreateJSON struct {
	Email    string `json:"email" validate:"required,max=254"`
	Name     string `json:"name" validate:"required,max=200"`
	Role     string `json:"role" validate:"required"`
	Site     string `json:"site" validate:"required"`
	Language string `json:"language"`
}

type userPatchJSON struct {
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Site     *string `json:"site"`
	Language *string `json:"language"`
	Active   *bool   `json:"active"`
	Version  *int    `json:"version"`
	// EndAssignments confirms that the user's open assignments end with a
	// deactivation, role or site change (else 409 naming how many).
	EndAssignments bool `json:"end_assignments"`
}

type passwordLinkJSON struct {
	URL       string `json:"url"`
	ExpiresAt string `json:"expires_at"`
}

// listLimit is the page size of a list: limit, default 50, at most 500
// (SPEC §11).
func listLimit(c *fiber.Ctx) (int, error) {
	s := c.Query("limit")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		v := &models.ValidationError{}
		v.Add("limit", "validation.limit", map[string]any{"Max": 500})
		return 0, v
	}
	return n, nil
}

// userFilterOf reads the list filters shared by the API and the page.
func userFilterOf(c *fiber.Ctx) (models.UserFilter, error) {
	f := models.UserFilter{Query: c.Query("q"), Role: models.Role(c.Query("role")), SiteCode: strings.ToUpper(c.Query("site")),
		After: c.Query("cursor")}
	v := &models.ValidationError{}
	if f.Role != "" && !f.Role.Valid() {
		v.Add("role", "validation.oneof", nil)
	}
	if len([]rune(f.Query)) > 200 {
		v.Add("q", "validation.max", map[string]any{"Param": 200})
	}
	switch c.Query("active") {
	case "":
	case "true":
		f.Active = ptr(true)
	case "false":
		f.Active = ptr(false)
	default:
		v.Add("active", "validation.oneof", nil)
	}
	return f, v.OrNil()
}

// apiUsers is GET /api/v1/users?q=&role=&site=&active=: by e-mail
// address, a Link to the next page while more follow.
func (h *handlers) apiUsers(c *fiber.Ctx) error {
	us, next, err := usersPage(c)
	if err != nil {
		return err
	}
	linkNext(c, next)
	out := make([]userJSON, 0, len(us))
	for i := range us {
		out = append(out, userOut(&us[i]))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// apiUser is GET /api/v1/users/{id}, with the count of the user's open
// assignments (what the admin must decide on, never the cases).
func (h *handlers) apiUser(c *fiber.Ctx) error {
	u, err := store(c).UserForAdmin(c.Params("id"))
	if err != nil {
		return err
	}
	n, err := store(c).OpenAssignmentsOf(u.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(struct {
		userJSON
		OpenAssignments int `json:"open_assignments"`
	}{userOut(u), n})
}

// apiUserCreate is POST /api/v1/users: 201 with the set-password link.
func (h *handlers) apiUserCreate(c *fiber.Ctx) error {
	var in userCreateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, link, err := h.s.createUser(c, models.NewUserInput{Email: in.Email, Name: in.Name, Role: models.Role(in.Role),
		SiteCode: strings.ToUpper(in.Site), Language: in.Language})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(userCreatedJSON{userJSON: userOut(u), SetPasswordURL: link.URL,
		SetPasswordExpiresAt: link.ExpiresAt.UTC().Format(time.RFC3339)})
}

// apiUserPatch is PATCH /api/v1/users/{id}: any subset of name, role,
// site, language and active, with version (stale: 409).
func (h *handlers) apiUserPatch(c *fiber.Ctx) error {
	var in userPatchJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Version == nil {
		v := &models.ValidationError{}
		v.Add("version", "validation.required", nil)
		return v
	}
	ch := models.UserChange{Name: in.Name, SiteCode: in.Site, Language: in.Language, Active: in.Active,
		Version: *in.Version, EndAssignments: in.EndAssignments}
	if in.Role != nil {
		ch.Role = ptr(models.Role(*in.Role))
	}
	if ch.SiteCode != nil {
		ch.SiteCode = ptr(strings.ToUpper(*ch.SiteCode))
	}
	res, err := updateUser(c, c.Params("id"), ch)
	if err != nil {
		return err
	}
	return c.JSON(struct {
		userJSON
		AssignmentsEnded int `json:"assignments_ended"`
	}{userOut(res.User), res.AssignmentsEnded})
}

// apiUserPasswordLink is POST /api/v1/users/{id}/password-link.
func (h *handlers) apiUserPasswordLink(c *fiber.Ctx) error {
	_, link, err := h.s.newPasswordLink(c, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(passwordLinkJSON{URL: link.URL, ExpiresAt: link.ExpiresAt.UTC().Format(time.RFC3339)})
}

// apiUserTOTPReset is POST /api/v1/users/{id}/totp-reset.
func (h *handlers) apiUserTOTPReset(c *fiber.Ctx) error {
	if _, err := resetTOTP(c, c.Params("id")); err != nil {
		return err
	}
	u, err := store(c).UserForAdmin(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(userOut(u))
}

// siteJSON is a site (SPEC §11).
type siteJSON struct {
	Code              string `json:"code"`
	Name              string `json:"name"`
	Active            bool   `json:"active"`
	ControllerName    string `json:"controller_name"`
	ControllerAddress string `json:"controller_address"`
	PrivacyContact    string `json:"privacy_contact"`
	Version           int    `json:"version"`
}

func siteOut(s *models.Site) siteJSON {
	return siteJSON{Code: s.Code, Name: s.Name, Active: s.Active, ControllerName: s.ControllerName,
		ControllerAddress: s.ControllerAddress, PrivacyContact: s.PrivacyContact, Version: s.Version}
}

type siteCreateJSON struct {
	Code              string `json:"code" validate:"required"`
	Name              string `json:"name" validate:"required"`
	ControllerName    string `json:"controller_name"`
	ControllerAddress string `json:"controller_address"`
	PrivacyContact    string `json:"privacy_contact"`
}

type sitePatchJSON struct {
	Name              *string `json:"name"`
	Active            *bool   `json:"active"`
	ControllerName    *string `json:"controller_name"`
	ControllerAddress *string `json:"controller_address"`
	PrivacyContact    *string `json:"privacy_contact"`
	Version           *int    `json:"version"`
}

// apiSites is GET /api/v1/sites: every site, for any signed-in user.
func (h *handlers) apiSites(c *fiber.Ctx) error {
	sites, err := store(c).Sites()
	if err != nil {
		return err
	}
	out := make([]siteJSON, 0, len(sites))
	for i := range sites {
		out = append(out, siteOut(&sites[i]))
	}
	return c.JSON(out)
}

// apiSiteCreate is POST /api/v1/sites → 201.
func (h *handlers) apiSiteCreate(c *fiber.Ctx) error {
	var in siteCreateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	site := &models.Site{Code: strings.ToUpper(strings.TrimSpace(in.Code)), Name: in.Name, ControllerName: in.ControllerName,
		ControllerAddress: in.ControllerAddress, PrivacyContact: in.PrivacyContact}
	if err := createSite(c, site); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(siteOut(site))
}

// apiSitePatch is PATCH /api/v1/sites/{code} with version (stale: 409).
func (h *handlers) apiSitePatch(c *fiber.Ctx) error {
	var in sitePatchJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Version == nil {
		v := &models.ValidationError{}
		v.Add("version", "validation.required", nil)
		return v
	}
	site, err := updateSite(c, strings.ToUpper(c.Params("code")), models.SiteChange{Name: in.Name, Active: in.Active,
		ControllerName: in.ControllerName, ControllerAddress: in.ControllerAddress, PrivacyContact: in.PrivacyContact,
		Version: *in.Version})
	if err != nil {
		return err
	}
	return c.JSON(siteOut(site))
}
