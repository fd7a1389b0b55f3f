package app

import (
	"context"
	"path"
	"strings"
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
	if err := models.Ping(ctx, h.s.req); err != nil {
		setRetryAfter(c, outageRetry)
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "database unreachable"})
	}
	if err := CheckSchema(ctx, h.s.db); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "schema behind"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// staticHandler serves the embedded assets under /static/. Directories
// and missing files are 404.
// favicon answers /favicon.ico with the application's icon (SVG, which
// every current browser takes from there too).
func (h *handlers) favicon(c *fiber.Ctx) error {
	return c.Redirect(assetURL("favicon.svg"), fiber.StatusMovedPermanently)
}

func staticHandler() fiber.Handler {
	root := views.StaticFS()
	return func(c *fiber.Ctx) error {
		name := path.Clean("/" + c.Params("*"))
		f, err := root.Open(name)
		if err != nil {
			return fiber.ErrNotFound
		}
		st, err := f.Stat()
		f.Close()
		if err != nil || st.IsDir() {
			return fiber.ErrNotFound
		}
		// A fingerprinted URL never changes its content: a year, immutable;
		// a plain one an hour. The fingerprint is the ETag either way.
		hash := assetHashes()[strings.TrimPrefix(name, "/")]
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		if hash != "" {
			if c.Query("v") == hash {
				c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
			}
			etag := `"` + hash + `"`
			c.Set(fiber.HeaderETag, etag)
			if c.Get(fiber.HeaderIfNoneMatch) == etag {
				return c.SendStatus(fiber.StatusNotModified)
			}
		}
		return filesystem.SendFile(c, root, name)
	}
}

// home is the start page: the dashboard for case staff (social workers
// and coordinators), today's and tomorrow's visits for language
// mediators, the statistics for evaluators, the retention status
// for the data-protection officer, a short introduction for everybody else.
func (h *handlers) home(c *fiber.Ctx) error {
	switch currentUser(c).Role {
	case models.RoleSocialWorker, models.RoleCoordinator:
		return h.dashboard(c)
	case models.RoleMediator:
		return h.mediatorHome(c)
	case models.RoleEvaluator:
		return h.statsDashboard(c)
	case models.RoleDPO:
		return h.dpoHome(c)
	}
	return h.s.render(c, "home.html", "home.title", nil)
}
