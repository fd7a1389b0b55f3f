package app

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

type totpData struct {
	Next   string
	Error  string
	Secret string
	QR     template.URL
}

// totpForm asks a partly signed-in user for the code of their app.
func (h *handlers) totpForm(c *fiber.Ctx) error {
	u := currentUser(c)
	if currentSession(c) == nil || currentSession(c).SecondFactor {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	if !u.TOTPEnabled() {
		return c.Redirect("/profile/totp", fiber.StatusSeeOther)
	}
	return h.s.render(c, "totp_login.html", "totp.login_title", totpData{Next: safeNext(c.Query("next"))})
}

// totpLogin checks the code; failures count towards the login throttle.
func (h *handlers) totpLogin(c *fiber.Ctx) error {
	u, sess, st := currentUser(c), currentSession(c), store(c)
	if sess == nil || sess.SecondFactor || !u.TOTPEnabled() {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	data := totpData{Next: safeNext(c.FormValue("next"))}
	commitOnError(c)
	wait, err := st.LoginWait(u.Email, c.IP())
	if err != nil {
		return err
	}
	ok := false
	if wait > 0 {
		setRetryAfter(c, wait)
	} else {
		if ok, err = st.VerifyTOTP(u, normalizeCode(c.FormValue("code")), time.Now(), false); err != nil {
			return err
		}
	}
	if !ok {
		if err := st.RecordLoginFailure(u.Email, c.IP()); err != nil {
			return err
		}
		if err := audit(c, u, models.AuditLoginFailed, "", "", map[string]any{"reason": "second_factor"}); err != nil {
			return err
		}
		data.Error = h.s.localizer(c).T("totp.wrong_code")
		status := fiber.StatusUnauthorized
		if wait > 0 {
			data.Error, status = h.s.localizer(c).T("error.throttled"), fiber.StatusTooManyRequests
		}
		return h.s.render(c.Status(status), "totp_login.html", "totp.login_title", data)
	}
	if err := st.ClearLoginFailures(u.Email); err != nil {
		return err
	}
	if err := h.completeLogin(c, u); err != nil {
		return err
	}
	return c.Redirect(data.Next, fiber.StatusSeeOther)
}

// totpSetup shows the secret (as QR code and text) to enrol an app. Once
// TOTP is enabled the page only points back to the profile: replacing the
// second factor needs it disabled first, by a fully signed-in user.
func (h *handlers) totpSetup(c *fiber.Ctx) error {
	return h.renderTOTPSetup(c, "")
}

func (h *handlers) renderTOTPSetup(c *fiber.Ctx, errMsg string) error {
	u := currentUser(c)
	if u.TOTPEnabled() {
		return c.Redirect("/profile", fiber.StatusSeeOther)
	}
	enr, err := store(c).StartTOTP(u, "Kurve")
	if err != nil {
		return err
	}
	img, err := enr.Key.Image(240, 240)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	data := totpData{Next: safeNext(c.Query("next", c.FormValue("next"))), Error: errMsg, Secret: groupSecret(enr.Secret),
		// A data: URL built here from PNG bytes, never from user input.
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))}
	return h.s.render(c, "totp_setup.html", "totp.setup_title", data)
}

// totpConfirm enables the pending secret when the code matches.
func (h *handlers) totpConfirm(c *fiber.Ctx) error {
	u, st := currentUser(c), store(c)
	if u.TOTPEnabled() {
		return c.Redirect("/profile", fiber.StatusSeeOther)
	}
	ok, err := st.VerifyTOTP(u, normalizeCode(c.FormValue("code")), time.Now(), true)
	if err != nil {
		return err
	}
	if !ok {
		c.Status(fiber.StatusUnprocessableEntity)
		return h.renderTOTPSetup(c, h.s.localizer(c).T("totp.wrong_code"))
	}
	if err := audit(c, u, models.AuditTOTPEnabled, "", "", nil); err != nil {
		return err
	}
	if !currentSession(c).SecondFactor {
		// Enrolment was the second factor of this login.
		if err := h.completeLogin(c, u); err != nil {
			return err
		}
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

// totpDisable removes the second factor after checking a current code.
// The route table keeps admin and dpo out: for them it is required.
func (h *handlers) totpDisable(c *fiber.Ctx) error {
	u, st := currentUser(c), store(c)
	if !u.TOTPEnabled() {
		return c.Redirect("/profile", fiber.StatusSeeOther)
	}
	ok, err := st.VerifyTOTP(u, normalizeCode(c.FormValue("code")), time.Now(), false)
	if err != nil {
		return err
	}
	if !ok {
		v := &models.ValidationError{}
		v.Add("code", "totp.wrong_code", nil)
		c.Status(fiber.StatusUnprocessableEntity)
		return h.renderProfile(c, profileData{Errors: formErrors(h.s.localizer(c), v)})
	}
	if err := st.DisableTOTP(u.ID); err != nil {
		return err
	}
	if err := audit(c, u, models.AuditTOTPDisabled, "", "", nil); err != nil {
		return err
	}
	return c.Redirect("/profile", fiber.StatusSeeOther)
}

// normalizeCode keeps the digits of a typed code, including Arabic-Indic
// and Eastern Arabic-Indic digits from Arabic keyboards, as ASCII.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r >= '\u0660' && r <= '\u0669':
			return '0' + (r - '\u0660')
		case r >= '\u06F0' && r <= '\u06F9':
			return '0' + (r - '\u06F0')
		}
		return -1
	}, s)
}

// groupSecret shows the base32 secret in groups of four for typing.
func groupSecret(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
