package app

import (
	"errors"
	"strings"

	ics "github.com/arran4/golang-ical"
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// calendarRoles have visits and so a calendar feed (SPEC §8).
var calendarRoles = []models.Role{models.RoleSocialWorker, models.RoleCoordinator, models.RoleMediator}

// calendarFeed serves a user's visits as iCalendar (RFC 5545) to whoever
// knows the secret URL. An event carries the case number, purpose and
// status: never a name, address or phone. UIDs are stable (the visit id),
// SEQUENCE is the visit's version, so calendar apps update moved visits
// and show cancelled ones as cancelled.
func (h *handlers) calendarFeed(c *fiber.Ctx) error {
	token, ok := strings.CutSuffix(c.Params("file"), ".ics")
	if !ok {
		return fiber.ErrNotFound
	}
	var body string
	err := models.InTx(c.UserContext(), h.s.req, models.DBAuth, models.Actor{}, func(st *models.Store) error {
		st.UseCipher(h.s.cipher)
		u, err := st.UserByCalendarToken(token)
		if err != nil {
			return err
		}
		if !u.Role.In(calendarRoles) {
			return models.ErrNotFound
		}
		if err := st.SwitchRole(u.Role.DBRole(), models.Actor{UserID: u.ID, SiteID: u.SiteID, Role: u.Role}); err != nil {
			return err
		}
		from := today(c).AddDate(0, -3, 0)
		vs, err := st.Visits(from, from.AddDate(1, 3, 0))
		if err != nil {
			return err
		}
		body = visitCalendar(h.s.i18n.Localizer(u.Language), vs)
		return nil
	})
	if errors.Is(err, models.ErrNotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	return c.SendString(body)
}

// visitCalendar renders visits as an iCalendar document.
func visitCalendar(l *Localizer, vs []models.Visit) string {
	cal := ics.NewCalendarFor("Kurve")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(l.T("calendar.name"))
	for _, v := range vs {
		e := cal.AddEvent(v.ID + "@kurve")
		e.SetDtStampTime(v.UpdatedAt.UTC())
		e.SetModifiedAt(v.UpdatedAt.UTC())
		e.SetStartAt(v.StartsAt.UTC())
		e.SetEndAt(v.EndsAt.UTC())
		e.SetSequence(v.Version)
		e.SetSummary(l.T("calendar.summary", "CaseNumber", v.CaseNumber, "Purpose", l.T("visit_purpose."+v.Purpose)))
		e.SetDescription(l.T("calendar.description", "Status", l.T("visit_status."+v.Status)))
		switch v.Status {
		case models.VisitCancelled:
			e.SetStatus(ics.ObjectStatusCancelled)
		default:
			e.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	// RFC 5545 §3.1: lines end with CRLF on every platform (the library
	// names this option after Windows).
	return cal.Serialize(ics.WithNewLineWindows)
}

// calendarURL is the absolute feed URL for the user, built from the
// configured public base URL, never from the request's Host or
// X-Forwarded-Host (which a client can forge).
func (s *Server) calendarURL(token string) string {
	return s.cfg.BaseURL + "/calendar/" + token + ".ics"
}

// calendarReset gives the user a new feed URL; the old one stops working.
func (h *handlers) calendarReset(c *fiber.Ctx) error {
	u := currentUser(c)
	if _, err := store(c).ResetCalendarFeed(u.ID); err != nil {
		return err
	}
	if err := audit(c, u, models.AuditCalendarReset, "user", u.ID, nil); err != nil {
		return err
	}
	if err := store(c).SetFlash(currentSession(c).ID, "flash.calendar_reset"); err != nil {
		return err
	}
	return c.Redirect("/profile", fiber.StatusSeeOther)
}
