package app

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The admin's pages (issue 13): users and sites, through the steps the
// JSON API uses (app/admin.go). The admin sees the staff directory and a
// count of each user's open assignments, never a case. New accounts get
// no password from the admin: a one-time set-password link, shown once,
// which the user opens on the set-password page (a guest page: the token
// in the URL is the credential).

// adminUsersView is the user list with its filter form.
type adminUsersView struct {
	// The filter as entered.
	Query, Role, Site, Active string
	Roles                     []models.Role
	Sites                     []models.Site
	Users                     []models.User
	NextURL, FirstURL         string
	Failed                    bool
}

// adminUserView is the form of a new user and the page of one user.
type adminUserView struct {
	// User is nil on the form of a new user.
	User *models.User
	// Open counts the user's open assignments (never which cases).
	Open int
	// The form as entered.
	Email, Name, Role, Site, Language string
	Roles                             []models.Role
	Sites                             []adminSiteOption
	Languages                         []LanguageOption
	allSites                          []models.Site
}

// adminSiteOption is one site of the user form's choice: active sites,
// and the user's own site even when it is deactivated.
type adminSiteOption struct {
	Code, Name       string
	Active, Selected bool
}

// adminLinkView shows a set-password link once.
type adminLinkView struct {
	User    *models.User
	URL     string
	Expires time.Time
}

// adminConfirmView asks before a change ends a user's open assignments:
// the same change again, with end_assignments=1.
type adminConfirmView struct {
	User   *models.User
	Count  int
	Action string
	Fields []formField
}

// formField is one hidden field of a form posted again.
type formField struct{ Name, Value string }

// adminSitesView is the site list with the form of a new site.
type adminSitesView struct {
	Sites []models.Site
	New   models.Site
}

// userForm is the posted user form: the fields, kept as entered.
type userForm struct{ Email, Name, Role, Site, Language string }

func readUserForm(c *fiber.Ctx) userForm {
	return userForm{Email: strings.TrimSpace(c.FormValue("email")), Name: c.FormValue("name"), Role: c.FormValue("role"),
		Site: strings.ToUpper(strings.TrimSpace(c.FormValue("site"))), Language: c.FormValue("language")}
}

// adminUsers is GET /admin/users?q=&role=&site=&active=&cursor=: one page
// of users by e-mail address, with a link to the next.
func (h *handlers) adminUsers(c *fiber.Ctx) error {
	v := &adminUsersView{Query: c.Query("q"), Role: c.Query("role"), Site: strings.ToUpper(c.Query("site")),
		Active: c.Query("active"), Roles: models.Roles}
	sites, err := store(c).Sites()
	if err != nil {
		return err
	}
	v.Sites = sites
	us, next, err := usersPage(c)
	if ve, ok := asValidation(err); ok {
		v.Failed = true
		p := h.s.newPage(c.Status(fiber.StatusUnprocessableEntity), "admin.users_title", v)
		p.Errors = formErrors(h.s.localizer(c), ve)
		return h.s.renderPage(c, "admin_users.html", p)
	} else if err != nil {
		return err
	}
	v.Users = us
	if next != "" {
		v.NextURL = nextLink(c, "/admin/users", next)
	}
	if c.Query("cursor") != "" {
		q := url.Values{}
		for k, val := range map[string]string{"q": v.Query, "role": v.Role, "site": v.Site, "active": v.Active} {
			if val != "" {
				q.Set(k, val)
			}
		}
		v.FirstURL = "/admin/users?" + q.Encode()
	}
	return h.s.render(c, "admin_users.html", "admin.users_title", v)
}

// usersPage reads the user list's filter and page size (as the API does)
// and returns one page, with the cursor of the next page while more
// follow.
func usersPage(c *fiber.Ctx) ([]models.User, string, error) {
	f, err := userFilterOf(c)
	if err != nil {
		return nil, "", err
	}
	return readPage(c, func(pg models.Page) ([]models.User, error) {
		f.Limit = pg.Limit
		return store(c).Users(f)
	}, (*models.User).Cursor)
}

// A write the database refuses (a unique address, the rules of migration
// 00020's triggers) aborts the request's transaction: the pages that show
// a form again therefore load what they show before they write.

// userPage loads the page of the user with id ("": the form of a new
// user): the user, the count of their open assignments and the sites.
func (h *handlers) userPage(c *fiber.Ctx, id string) (*adminUserView, error) {
	v := &adminUserView{Roles: models.Roles}
	sites, err := store(c).Sites()
	if err != nil {
		return nil, err
	}
	v.allSites = sites
	if id == "" {
		return v, nil
	}
	if v.User, err = store(c).UserForAdmin(id); err != nil {
		return nil, err
	}
	if v.Open, err = store(c).OpenAssignmentsOf(v.User.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// adminUserNew is GET /admin/users/new.
func (h *handlers) adminUserNew(c *fiber.Ctx) error {
	v, err := h.userPage(c, "")
	if err != nil {
		return err
	}
	return h.renderUser(c, v, userForm{Language: models.Languages[0]}, nil)
}

// adminUserCreate is POST /admin/users: the account without a password,
// and the page with its set-password link.
func (h *handlers) adminUserCreate(c *fiber.Ctx) error {
	f := readUserForm(c)
	v, err := h.userPage(c, "")
	if err != nil {
		return err
	}
	u, link, err := h.s.createUser(c, models.NewUserInput{Email: f.Email, Name: f.Name, Role: models.Role(f.Role),
		SiteCode: f.Site, Language: f.Language})
	if errors.Is(err, models.ErrConflict) {
		ve := &models.ValidationError{}
		ve.Add("email", "admin.email_taken", nil)
		err = ve
	}
	if ve, ok := asValidation(err); ok {
		return h.renderUser(c.Status(fiber.StatusUnprocessableEntity), v, f, formErrors(h.s.localizer(c), ve))
	} else if err != nil {
		return err
	}
	return h.renderLink(c.Status(fiber.StatusCreated), u, link)
}

// adminUser is GET /admin/users/:id.
func (h *handlers) adminUser(c *fiber.Ctx) error {
	v, err := h.userPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	return h.renderUser(c, v, userFormOf(v.User), nil)
}

func userFormOf(u *models.User) userForm {
	f := userForm{Email: u.Email, Name: u.Name, Role: string(u.Role), Language: u.Language}
	if u.Site != nil {
		f.Site = u.Site.Code
	}
	return f
}

// adminUserUpdate is POST /admin/users/:id: name, role, site and
// language, with version.
func (h *handlers) adminUserUpdate(c *fiber.Ctx) error {
	f := readUserForm(c)
	ch := models.UserChange{Name: &f.Name, Role: ptr(models.Role(f.Role)), SiteCode: &f.Site, Language: &f.Language}
	return h.changeUser(c, ch, &f, "name", "role", "site", "language")
}

// adminUserActive is POST /admin/users/:id/active with active=true|false
// and version: deactivation ends every session, token and link of the
// user at once (migration 00020).
func (h *handlers) adminUserActive(c *fiber.Ctx) error {
	var ch models.UserChange
	switch c.FormValue("active") {
	case "true":
		ch.Active = ptr(true)
	case "false":
		ch.Active = ptr(false)
	default:
		v, err := h.userPage(c, c.Params("id"))
		if err != nil {
			return err
		}
		ve := &models.ValidationError{}
		ve.Add("active", "validation.oneof", nil)
		return h.renderUserError(c, v, ve, nil)
	}
	return h.changeUser(c, ch, nil, "active")
}

// changeUser applies ch (with the form's version and confirmation) to the
// user of the path. A change that would end open assignments asks first:
// the confirmation page posts the same fields again with
// end_assignments=1. Form errors come back on the user's page; a stale
// version is the 409 error page. f is the edit form as entered (nil: the
// form of another button).
func (h *handlers) changeUser(c *fiber.Ctx, ch models.UserChange, f *userForm, fields ...string) error {
	v, err := h.userPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	ch.Version, ch.EndAssignments = formVersion(c), c.FormValue("end_assignments") == "1"
	res, err := updateUser(c, v.User.ID, ch)
	var oa *models.OpenAssignmentsError
	switch {
	case errors.As(err, &oa):
		cv := &adminConfirmView{User: v.User, Count: oa.Count, Action: c.Path()}
		if cv.Count == 0 {
			// Refused by the database's own check (assigned meanwhile):
			// the count loaded before, and nothing of this request kept.
			cv.Count = max(v.Open, 1)
			c.Status(fiber.StatusConflict)
		}
		for _, name := range append(fields, "version") {
			cv.Fields = append(cv.Fields, formField{Name: name, Value: c.FormValue(name)})
		}
		return h.s.render(c, "admin_user_confirm.html", "admin.confirm_title", cv)
	case err != nil:
		if ve, ok := asValidation(err); ok {
			return h.renderUserError(c, v, ve, f)
		}
		return err
	}
	msg := "admin.user_saved"
	if res.AssignmentsEnded > 0 {
		msg = "admin.user_saved_assignments_ended"
	}
	if err := setFlash(c, msg); err != nil {
		return err
	}
	return c.Redirect("/admin/users/"+res.User.ID, fiber.StatusSeeOther)
}

// renderUserError shows the user's page again with the form errors (422),
// the edit form as entered when it was the one posted.
func (h *handlers) renderUserError(c *fiber.Ctx, v *adminUserView, ve *models.ValidationError, f *userForm) error {
	form := userFormOf(v.User)
	if f != nil {
		form = *f
		form.Email = v.User.Email
	}
	return h.renderUser(c.Status(fiber.StatusUnprocessableEntity), v, form, formErrors(h.s.localizer(c), ve))
}

// adminUserPasswordLink is POST /admin/users/:id/password-link: a new
// link (earlier ones stop working), shown once.
func (h *handlers) adminUserPasswordLink(c *fiber.Ctx) error {
	v, err := h.userPage(c, c.Params("id"))
	if err != nil {
		return err
	}
	u, link, err := h.s.newPasswordLink(c, v.User.ID)
	if ve, ok := asValidation(err); ok {
		return h.renderUserError(c, v, ve, nil)
	} else if err != nil {
		return err
	}
	return h.renderLink(c.Status(fiber.StatusCreated), u, link)
}

// adminUserTOTPReset is POST /admin/users/:id/totp-reset: the second
// factor is gone and the user's sessions end.
func (h *handlers) adminUserTOTPReset(c *fiber.Ctx) error {
	u, err := resetTOTP(c, c.Params("id"))
	if err != nil {
		return err
	}
	if err := setFlash(c, "admin.totp_reset_done"); err != nil {
		return err
	}
	return c.Redirect("/admin/users/"+u.ID, fiber.StatusSeeOther)
}

// renderUser renders the form of a new user or the page of v.User, with
// the form f as entered.
func (h *handlers) renderUser(c *fiber.Ctx, v *adminUserView, f userForm, errs map[string]string) error {
	v.Email, v.Name, v.Role, v.Site, v.Language = f.Email, f.Name, f.Role, f.Site, f.Language
	v.Languages = languageOptions(f.Language)
	own, title := "", "admin.user_new_title"
	if v.User != nil {
		title = "admin.user_title"
		if v.User.Site != nil {
			own = v.User.Site.Code
		}
	}
	for _, s := range v.allSites {
		if s.Active || s.Code == own {
			v.Sites = append(v.Sites, adminSiteOption{Code: s.Code, Name: s.Name, Active: s.Active, Selected: s.Code == f.Site})
		}
	}
	p := h.s.newPage(c, title, v)
	p.Errors = errs
	return h.s.renderPage(c, "admin_user.html", p)
}

// renderLink shows a set-password link, this once.
func (h *handlers) renderLink(c *fiber.Ctx, u *models.User, link *issuedLink) error {
	noStore(c)
	return h.s.render(c, "admin_user_link.html", "admin.link_title", &adminLinkView{User: u, URL: link.URL,
		Expires: link.ExpiresAt})
}

// noStore keeps a page with a secret out of caches and referrers.
func noStore(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer")
}

// adminSites is GET /admin/sites.
func (h *handlers) adminSites(c *fiber.Ctx) error {
	sites, err := store(c).Sites()
	if err != nil {
		return err
	}
	return h.renderSites(c, sites, models.Site{}, nil)
}

// siteFields reads the GDPR details of the site forms.
func siteFields(c *fiber.Ctx) (controllerName, controllerAddress, privacyContact string) {
	return c.FormValue("controller_name"), c.FormValue("controller_address"), c.FormValue("privacy_contact")
}

// adminSiteCreate is POST /admin/sites.
func (h *handlers) adminSiteCreate(c *fiber.Ctx) error {
	site := models.Site{Code: strings.ToUpper(strings.TrimSpace(c.FormValue("code"))), Name: c.FormValue("name")}
	site.ControllerName, site.ControllerAddress, site.PrivacyContact = siteFields(c)
	sites, err := store(c).Sites()
	if err != nil {
		return err
	}
	created := site
	err = createSite(c, &created)
	if errors.Is(err, models.ErrConflict) {
		v := &models.ValidationError{}
		v.Add("code", "admin.site_taken", nil)
		err = v
	}
	if ve, ok := asValidation(err); ok {
		return h.renderSites(c.Status(fiber.StatusUnprocessableEntity), sites, site, formErrors(h.s.localizer(c), ve))
	} else if err != nil {
		return err
	}
	if err := setFlash(c, "admin.site_created"); err != nil {
		return err
	}
	return c.Redirect("/admin/sites/"+created.Code, fiber.StatusSeeOther)
}

func (h *handlers) renderSites(c *fiber.Ctx, sites []models.Site, site models.Site, errs map[string]string) error {
	p := h.s.newPage(c, "admin.sites_title", &adminSitesView{Sites: sites, New: site})
	p.Errors = errs
	return h.s.renderPage(c, "admin_sites.html", p)
}

// adminSite is GET /admin/sites/:code.
func (h *handlers) adminSite(c *fiber.Ctx) error {
	site, err := store(c).SiteByCode(strings.ToUpper(c.Params("code")))
	if err != nil {
		return err
	}
	return h.renderSite(c, site, *site, nil)
}

// adminSiteUpdate is POST /admin/sites/:code: name, GDPR details and
// active (a checkbox: absent is deactivated), with version.
func (h *handlers) adminSiteUpdate(c *fiber.Ctx) error {
	code := strings.ToUpper(c.Params("code"))
	site, err := store(c).SiteByCode(code)
	if err != nil {
		return err
	}
	ch := models.SiteChange{Active: ptr(c.FormValue("active") == "true"), Version: formVersion(c)}
	name := c.FormValue("name")
	cn, ca, pc := siteFields(c)
	ch.Name, ch.ControllerName, ch.ControllerAddress, ch.PrivacyContact = &name, &cn, &ca, &pc
	_, err = updateSite(c, code, ch)
	if ve, ok := asValidation(err); ok {
		form := models.Site{Code: site.Code, Name: name, Active: *ch.Active, ControllerName: cn, ControllerAddress: ca, PrivacyContact: pc}
		return h.renderSite(c.Status(fiber.StatusUnprocessableEntity), site, form, formErrors(h.s.localizer(c), ve))
	} else if err != nil {
		return err
	}
	if err := setFlash(c, "admin.site_saved"); err != nil {
		return err
	}
	return c.Redirect("/admin/sites/"+code, fiber.StatusSeeOther)
}

// adminSiteView is the page of a site: the stored site (its code and
// version) and the form as entered.
type adminSiteView struct {
	Site *models.Site
	Form models.Site
}

func (h *handlers) renderSite(c *fiber.Ctx, site *models.Site, form models.Site, errs map[string]string) error {
	p := h.s.newPage(c, "admin.site_title", &adminSiteView{Site: site, Form: form})
	p.Errors = errs
	return h.s.renderPage(c, "admin_site.html", p)
}

// passwordSetView is the set-password page.
type passwordSetView struct {
	Email string
	// Invalid: the link is unknown, used or expired; Hours is how long
	// a link works.
	Invalid bool
	Hours   int
}

// passwordLinkUser finds the user of the link in the path and prepares
// the page: no caching, no referrer (the token is in the URL), and the
// user's language unless one was chosen on the page. nil: the link does
// not work (the page that says so is rendered, 404).
func (h *handlers) passwordLinkUser(c *fiber.Ctx) (*models.User, error) {
	noStore(c)
	u, err := store(c).PasswordLinkUser(c.Params("token"), now(c))
	if errors.Is(err, models.ErrNotFound) {
		return nil, h.linkInvalid(c)
	}
	if err != nil {
		return nil, err
	}
	if sess := currentSession(c); (sess == nil || sess.Language == nil) && models.ValidLanguage(u.Language) {
		c.Locals(localLang, u.Language)
	}
	return u, nil
}

// linkInvalid is the page of a link that does not work (404): ask the
// administrator for a new one.
func (h *handlers) linkInvalid(c *fiber.Ctx) error {
	return h.s.render(c.Status(fiber.StatusNotFound), "password_set.html", "password_set.invalid_title", &passwordSetView{Invalid: true,
		Hours: int(models.PasswordLinkTTL.Hours())})
}

// passwordSetForm is GET /password/:token. It opens an anonymous session
// for the form's CSRF token, as the login page does.
func (h *handlers) passwordSetForm(c *fiber.Ctx) error {
	u, err := h.passwordLinkUser(c)
	if u == nil {
		return err
	}
	if currentSession(c) == nil {
		sess, cookie, err := store(c).NewSession("", "", false)
		if err != nil {
			return err
		}
		h.s.setSessionCookie(c, cookie)
		c.Locals(localSession, sess)
	}
	return h.s.render(c, "password_set.html", "password_set.title", &passwordSetView{Email: u.Email})
}

// passwordSet is POST /password/:token: the link is spent when the
// password passes the rules (else 422 with the reason at the field), the
// user's own action is audited, and the login page says so.
func (h *handlers) passwordSet(c *fiber.Ctx) error {
	u, err := h.passwordLinkUser(c)
	if u == nil {
		return err
	}
	_, err = store(c).SetPasswordByLink(c.Params("token"), c.FormValue("password"), c.FormValue("password_repeat"), now(c))
	if ve, ok := asValidation(err); ok {
		p := h.s.newPage(c.Status(fiber.StatusUnprocessableEntity), "password_set.title",
			&passwordSetView{Email: u.Email})
		p.Errors = formErrors(h.s.localizer(c), ve)
		return h.s.renderPage(c, "password_set.html", p)
	}
	if errors.Is(err, models.ErrNotFound) {
		// Spent meanwhile (a second tab, a double tap).
		return h.linkInvalid(c)
	}
	if err != nil {
		return err
	}
	if err := audit(c, u, models.AuditPasswordSet, "user", u.ID, nil); err != nil {
		return err
	}
	if err := setFlash(c, "password_set.done"); err != nil {
		return err
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}
