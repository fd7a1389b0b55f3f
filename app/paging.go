package app

import (
	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Lists in pages (SPEC §11, issue 15): a list request names its page with
// limit (listLimit) and cursor; the store reads one row more than the
// page shows, so that the handler knows whether another page follows and
// links it (RFC 8288) while the body stays an array.

// listPage reads the page of a list request: the store's page (limit+1
// rows after the cursor) and the number of rows to show.
func listPage(c *fiber.Ctx) (models.Page, int, error) {
	limit, err := listLimit(c)
	if err != nil {
		return models.Page{}, 0, err
	}
	return models.Page{After: c.Query("cursor"), Limit: limit + 1}, limit, nil
}

// trimPage cuts rows read by listPage to the page and returns the cursor
// of the next page, "" when none follows.
func trimPage[T any](rows []T, limit int, cursor func(*T) string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, cursor(&rows[limit-1])
}

// readPage reads one page of a list through read and returns it with the
// cursor of the next page ("" when none follows).
func readPage[T any](c *fiber.Ctx, read func(models.Page) ([]T, error), cursor func(*T) string) ([]T, string, error) {
	pg, limit, err := listPage(c)
	if err != nil {
		return nil, "", err
	}
	rows, err := read(pg)
	if err != nil {
		return nil, "", err
	}
	rows, next := trimPage(rows, limit, cursor)
	return rows, next, nil
}

// linkNext sets the Link header to the request's own URL with the next
// cursor while another page follows.
func linkNext(c *fiber.Ctx, next string) {
	if next != "" {
		c.Set(fiber.HeaderLink, "<"+nextLink(c, c.Path(), next)+`>; rel="next"`)
	}
}

// firstLink is the URL of the first page of the request's list: its own
// query without the cursor.
func firstLink(c *fiber.Ctx, path string) string { return nextLink(c, path, "") }
