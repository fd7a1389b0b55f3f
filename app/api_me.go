package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// meResponse is GET /api/v1/me (SPEC §11).
type meResponse struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Site     string `json:"site"`
	Language string `json:"language"`
	// CalendarURL is the secret iCalendar feed of users who have visits.
	CalendarURL string `json:"calendar_url,omitempty"`
}

func meOf(u *models.User) meResponse {
	site := ""
	if u.Site != nil {
		site = u.Site.Code
	}
	return meResponse{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Site: site, Language: u.Language}
}

// apiMe returns the caller's account, with the calendar feed URL for
// users who have visits.
func (h *handlers) apiMe(c *fiber.Ctx) error {
	u := currentUser(c)
	out := meOf(u)
	if u.Role.In(calendarRoles) {
		token, err := store(c).CalendarFeedToken(u.ID)
		if err != nil {
			return err
		}
		out.CalendarURL = h.s.calendarURL(token)
	}
	return c.JSON(out)
}

type meUpdate struct {
	Language string `json:"language" validate:"required,oneof=de en tr ar"`
}

// apiMeUpdate changes the caller's interface language.
func (h *handlers) apiMeUpdate(c *fiber.Ctx) error {
	var in meUpdate
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u := currentUser(c)
	if err := changeLanguage(c, u, in.Language); err != nil {
		return err
	}
	c.Locals(localLang, in.Language)
	return c.JSON(meOf(u))
}

// changeLanguage sets the user's interface language and audits the change
// (the codes only).
func changeLanguage(c *fiber.Ctx, u *models.User, lang string) error {
	if err := store(c).SetUserLanguage(u.ID, lang); err != nil {
		return err
	}
	if u.Language == lang {
		return nil
	}
	from := u.Language
	u.Language = lang
	return audit(c, u, models.AuditLanguageChange, "user", u.ID, map[string]any{"from": from, "to": lang})
}
