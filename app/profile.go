package app

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

type profileData struct {
	// CalendarURL is the secret feed of users who have visits.
	CalendarURL string
	Tokens      []models.APIToken
	NewToken    string
	Errors      map[string]string
}

// profile shows the user's account: language and API tokens.
func (h *handlers) profile(c *fiber.Ctx) error {
	return h.renderProfile(c, profileData{})
}

func (h *handlers) renderProfile(c *fiber.Ctx, data profileData) error {
	tokens, err := store(c).APITokensOf(currentUser(c).ID)
	if err != nil {
		return err
	}
	data.Tokens = tokens
	if u := currentUser(c); u.Role.In(calendarRoles) {
		token, err := store(c).CalendarFeedToken(u.ID)
		if err != nil {
			return err
		}
		data.CalendarURL = h.s.calendarURL(token)
	}
	p := h.s.newPage(c, "profile.title", data)
	p.Errors = data.Errors
	return h.s.renderPage(c, "profile.html", p)
}

// tokenCreate creates an API token and shows it once.
func (h *handlers) tokenCreate(c *fiber.Ctx) error {
	u := currentUser(c)
	days, err := strconv.Atoi(c.FormValue("days", "30"))
	if err != nil {
		days = -1
	}
	t, plain, err := store(c).CreateAPIToken(u.ID, c.FormValue("name"), time.Duration(days)*24*time.Hour)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		c.Status(fiber.StatusUnprocessableEntity)
		return h.renderProfile(c, profileData{Errors: formErrors(h.s.localizer(c), ve)})
	}
	if err != nil {
		return err
	}
	if err := audit(c, u, models.AuditTokenCreated, "api_token", t.ID, nil); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return h.renderProfile(c, profileData{NewToken: plain})
}

// tokenDelete revokes one of the user's tokens.
func (h *handlers) tokenDelete(c *fiber.Ctx) error {
	u := currentUser(c)
	id := c.Params("id")
	if err := store(c).DeleteAPIToken(u.ID, id); err != nil {
		return err
	}
	if err := audit(c, u, models.AuditTokenDeleted, "api_token", id, nil); err != nil {
		return err
	}
	return c.Redirect("/profile", fiber.StatusSeeOther)
}

// passwordChange sets a new password. Every other session of the user
// ends; this one stays.
func (h *handlers) passwordChange(c *fiber.Ctx) error {
	u, st, sess := currentUser(c), store(c), currentSession(c)
	err := st.ChangePassword(u, c.FormValue("current_password"), c.FormValue("new_password"), c.FormValue("new_password_repeat"))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		c.Status(fiber.StatusUnprocessableEntity)
		return h.renderProfile(c, profileData{Errors: formErrors(h.s.localizer(c), ve)})
	}
	if err != nil {
		return err
	}
	if err := st.DeleteOtherSessions(u.ID, sess.ID); err != nil {
		return err
	}
	if err := audit(c, u, models.AuditPasswordChanged, "", "", nil); err != nil {
		return err
	}
	if err := st.SetFlash(sess.ID, "profile.password_changed"); err != nil {
		return err
	}
	return c.Redirect("/profile", fiber.StatusSeeOther)
}
