package app

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Downloads as CSV (RFC 4180, UTF-8) that are safe to open in a
// spreadsheet: a cell that begins with =, +, -, @, a tab or a carriage
// return would be read as a formula (OWASP "CSV injection"), so it gets a
// leading apostrophe, which spreadsheets show as text and never evaluate.

// spreadsheetSafe returns a cell that no spreadsheet evaluates.
func spreadsheetSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// safeCSV writes records as CSV with every cell made spreadsheet-safe.
func safeCSV(records [][]string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, rec := range records {
		safe := make([]string, len(rec))
		for i, cell := range rec {
			safe[i] = spreadsheetSafe(cell)
		}
		if err := w.Write(safe); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// sendCSV answers body as a CSV attachment named filename, never cached.
func sendCSV(c *fiber.Ctx, filename string, body []byte) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
