package app

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

type loginData struct {
	Email string
	Next  string
	Error string
	// Expired says the session ran out; Parked that what was being
	// posted is kept for after signing in.
	Expired, Parked bool
}

// loginForm shows the sign-in form. It opens an anonymous session that
// carries the CSRF token and the chosen language; ?lang= picks the language
// without a form (for pages that have no session yet).
func (h *handlers) loginForm(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
	}
	sess := currentSession(c)
	lang := trimLang(c.Query("lang"))
	if sess == nil {
		var cookie string
		var err error
		sess, cookie, err = store(c).NewSession("", lang, false)
		if err != nil {
			return err
		}
		h.s.setSessionCookie(c, cookie)
		c.Locals(localSession, sess)
	} else if models.ValidLanguage(lang) {
		if err := store(c).SetSessionLanguage(sess.ID, lang); err != nil {
			return err
		}
	}
	if models.ValidLanguage(lang) {
		c.Locals(localLang, lang)
	}
	return h.s.render(c, "login.html", "login.title", loginData{Next: safeNext(c.Query("next")),
		Expired: c.Query("expired") == "1", Parked: c.Cookies(parkedCookie) != ""})
}

// login checks the credentials. Unknown users cost the same time as wrong
// passwords, failures are throttled per address and per e-mail, and a
// successful login replaces the anonymous session (rotation).
func (h *handlers) login(c *fiber.Ctx) error {
	st := store(c)
	email := models.NormalizeEmail(c.FormValue("email"))
	password := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	data := loginData{Email: email, Next: next}
	l := h.s.localizer(c)
	commitOnError(c)

	wait, err := st.LoginWait(email, c.IP())
	if err != nil {
		return err
	}
	if wait > 0 {
		setRetryAfter(c, wait)
		if err := audit(c, nil, models.AuditLoginFailed, "", "", map[string]any{"reason": "throttled"}); err != nil {
			return err
		}
		data.Error = l.T("error.throttled")
		return h.s.render(c.Status(fiber.StatusTooManyRequests), "login.html", "login.title", data)
	}

	user, err := st.UserByEmail(email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	hash := ""
	if user != nil {
		hash = user.PasswordHash
	}
	if !models.CheckPassword(password, hash) || user == nil {
		if err := st.RecordLoginFailure(email, c.IP()); err != nil {
			return err
		}
		if err := audit(c, user, models.AuditLoginFailed, "", "", map[string]any{"reason": "credentials"}); err != nil {
			return err
		}
		data.Error = l.T("login.failed")
		return h.s.render(c.Status(fiber.StatusUnauthorized), "login.html", "login.title", data)
	}

	if err := st.ClearLoginFailures(email); err != nil {
		return err
	}
	if user.SecondFactorRequired() {
		// Partly signed in: the new session reaches only the TOTP pages.
		if err := h.startSession(c, user, false); err != nil {
			return err
		}
		return c.Redirect(secondFactorPage(user)+"?next="+url.QueryEscape(next), fiber.StatusSeeOther)
	}
	if err := h.completeLogin(c, user); err != nil {
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// startSession replaces the current session with a new one for user
// (rotation: a session id known before this step is worthless after it).
func (h *handlers) startSession(c *fiber.Ctx, user *models.User, secondFactor bool) error {
	st := store(c)
	if old := currentSession(c); old != nil {
		if err := st.DeleteSession(old.ID); err != nil {
			return err
		}
	}
	sess, cookie, err := st.NewSession(user.ID, user.Language, secondFactor)
	if err != nil {
		return err
	}
	c.Locals(localSession, sess)
	h.s.setSessionCookie(c, cookie)
	return nil
}

// completeLogin starts the fully signed-in session and audits the login.
func (h *handlers) completeLogin(c *fiber.Ctx, user *models.User) error {
	if err := h.startSession(c, user, true); err != nil {
		return err
	}
	return audit(c, user, models.AuditLogin, "", "", nil)
}

// logout ends the session.
func (h *handlers) logout(c *fiber.Ctx) error {
	st, u := store(c), currentUser(c)
	if sess := currentSession(c); sess != nil {
		if err := st.DeleteSession(sess.ID); err != nil {
			return err
		}
	}
	if err := audit(c, u, models.AuditLogout, "", "", nil); err != nil {
		return err
	}
	h.s.clearSessionCookie(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// setLanguage switches the interface language: the user's setting when
// signed in, else the anonymous session's.
func (h *handlers) setLanguage(c *fiber.Ctx) error {
	lang := trimLang(c.FormValue("lang"))
	if !models.ValidLanguage(lang) {
		v := &models.ValidationError{}
		v.Add("lang", "validation.oneof", nil)
		return v
	}
	if u := currentUser(c); u != nil {
		if err := changeLanguage(c, u, lang); err != nil {
			return err
		}
	} else if err := store(c).SetSessionLanguage(currentSession(c).ID, lang); err != nil {
		return err
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}
