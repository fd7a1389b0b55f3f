package app

import (
	"errors"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// The idle timeout never loses work. A form posted after the session
// expired is parked, encrypted, for the user whose session it was (if it
// carries that session's CSRF token: a forged post parks nothing); the
// user signs in again and lands on /resume, which shows what they typed,
// filled in, to check and save (without JavaScript too). The parked form
// is deleted when the resent form succeeds, or after an hour. Nothing is
// ever kept in the browser but the parked form's id.

const (
	parkedCookie = "kurve_parked"
	fieldParked  = "_parked"
)

// parkExpiredPost parks the request's form when it was posted with a
// session that just expired, and sends the user to sign in and resume.
// It reports false when there is nothing to park.
func (s *Server) parkExpiredPost(c *fiber.Ctx, st *models.Store) (bool, error) {
	exp, ok := c.Locals(localExpired).(*models.ExpiredSessionError)
	if !ok || exp.UserID == "" || safeMethod(c.Method()) || !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm) {
		return false, nil
	}
	if !csrfMatches(c.FormValue("_csrf"), exp.CSRFToken) {
		return false, nil
	}
	id, err := st.ParkForm(exp.UserID, c.Path(), c.Body())
	if err != nil {
		return false, err
	}
	c.Cookie(&fiber.Cookie{Name: parkedCookie, Value: id, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(models.ParkedFormTTL)})
	return true, c.Redirect("/login?expired=1&next="+url.QueryEscape("/resume"), fiber.StatusSeeOther)
}

// takeParked deletes the parked form a resent form names (in the request's
// transaction: when the resent form fails, the parked one stays).
func takeParked(c *fiber.Ctx, st *models.Store, user *models.User) error {
	if id := c.FormValue(fieldParked); id != "" && user != nil && !safeMethod(c.Method()) {
		return st.DeleteParkedForm(id, user.ID)
	}
	return nil
}

// resumeField is one field of a parked form as the resume page shows it.
type resumeField struct {
	Name, Label string
	Values      []string
	// Text fields (what was typed) are shown to edit, Long ones as a text
	// area. The others (choices, dates, ids, versions) travel as they
	// were; Shown ones are listed read-only with their label.
	Text, Long, Shown bool
}

type resumeData struct {
	Action, ParkedID, Submission string
	Fields                       []resumeField
}

// resume shows the parked form of the signed-in user, filled in.
func (h *handlers) resume(c *fiber.Ctx) error {
	u := currentUser(c)
	pf, err := store(c).ParkedFormOf(c.Cookies(parkedCookie), u.ID)
	if errors.Is(err, models.ErrNotFound) {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	vals, err := url.ParseQuery(pf.Body)
	if err != nil {
		return fiber.ErrBadRequest
	}
	l := h.s.localizer(c)
	d := resumeData{Action: pf.Path, ParkedID: pf.ID, Submission: vals.Get(fieldSubmission)}
	for _, name := range orderedKeys(pf.Body, vals) {
		if name == "_csrf" || name == fieldSubmission || name == fieldParked {
			continue
		}
		v := vals[name]
		f := resumeField{Name: name, Label: l.fieldName(name), Values: v}
		switch {
		case len(v) == 1 && textFields[name] && strings.TrimSpace(v[0]) != "":
			f.Text, f.Long = true, len(v[0]) > 80 || strings.ContainsAny(v[0], "\r\n") || name == "notes" || name == "assessment"
		case f.Label != name && len(v) == 1 && v[0] != "" && !strings.HasSuffix(name, "_id") && !strings.HasSuffix(name, "_ids") && name != "version":
			f.Shown = true
		}
		d.Fields = append(d.Fields, f)
	}
	return h.s.render(c, "resume.html", "resume.title", d)
}

// textFields are the fields that hold what a user typed (free text); the
// resume page offers them to edit.
var textFields = map[string]bool{"notes": true, "title": true, "assessment": true, "reason": true, "location": true,
	"outcome_note": true, "first_name": true, "last_name": true, "phone": true, "email": true, "address": true, "school": true,
	"guardian_name": true, "guardian_phone": true, "officer_name": true, "referring_unit": true, "police_reference": true,
	"name_de": true, "name_en": true, "name_tr": true, "name_ar": true, "name": true}

// orderedKeys lists the form's field names in the order they were posted.
func orderedKeys(body string, vals url.Values) []string {
	pos := map[string]int{}
	for i, pair := range strings.Split(body, "&") {
		k, _, _ := strings.Cut(pair, "=")
		if name, err := url.QueryUnescape(k); err == nil {
			if _, seen := pos[name]; !seen {
				pos[name] = i
			}
		}
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return pos[keys[i]] < pos[keys[j]] })
	return keys
}

// sessionPing keeps the session alive ("stay signed in"): the session
// lookup of every request touches it. 204, nothing to cache.
func (h *handlers) sessionPing(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStatus(fiber.StatusNoContent)
}
