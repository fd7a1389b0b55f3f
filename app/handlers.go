package app

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"kurve/models"
	"kurve/views"
)

// handlers holds what the handlers share; each handler is a method on it.
type handlers struct {
	s *Server
}

// healthz answers while the process is alive.
func (h *handlers) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 200 when the database is reachable and migrated.
func (h *handlers) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	if err := models.Ping(ctx, h.s.db); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "database unreachable"})
	}
	if err := CheckSchema(ctx, h.s.db); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "schema behind"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

func staticHandler() fiber.Handler {
	return filesystem.New(filesystem.Config{
		Root:       views.StaticFS(),
		PathPrefix: "",
		MaxAge:     3600,
	})
}

// home is the start page.
func (h *handlers) home(c *fiber.Ctx) error {
	return h.s.render(c, "home.html", "home.title", nil)
}
