package app

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDoc is the OpenAPI 3 description of the JSON API. It is written by
// hand; TestOpenAPIMatchesRoutes fails when it and the route table differ.
//
//go:embed openapi.json
var openAPIDoc []byte

func (h *handlers) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDoc)
}
