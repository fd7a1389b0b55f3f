package app

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"kurve/models"
)

// Helpers shared by the case pages (participants, families, guardians,
// consent, assignments): reading HTML forms and writing the flash.

// formValues returns every value of a repeated form field (checkboxes).
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		if s := strings.TrimSpace(string(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// formVersion reads the hidden version field. A missing or garbled value
// is -1, which the store answers like any stale version: a conflict.
func formVersion(c *fiber.Ctx) int {
	v, err := strconv.Atoi(c.FormValue("version"))
	if err != nil || v < 0 {
		return -1
	}
	return v
}

// participantRef returns a participant id taken from a form or query
// (the page to return to), or "" unless it is a well-formed id.
func participantRef(s string) string {
	if _, err := uuid.Parse(s); err != nil {
		return ""
	}
	return s
}

// setFlash stores a message ID that the next page shows once. The session
// table belongs to kurve_auth and the side roles have no privilege on it,
// so the request's transaction switches back to kurve_auth (as it started
// out, before the middleware switched sides) for this last write. Call it
// after all case work of the request is done.
func setFlash(c *fiber.Ctx, messageID string) error {
	sess := currentSession(c)
	if sess == nil {
		return nil
	}
	st := store(c)
	if err := st.SwitchRole(models.DBAuth, models.Actor{}); err != nil {
		return err
	}
	c.Locals(localFlashSet, messageID)
	return st.SetFlash(sess.ID, messageID)
}
