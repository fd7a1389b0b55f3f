package app

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Downloads as CSV (UTF-8) in one of two dialects (SPEC §6, issue 17):
// plain RFC 4180, or the one German spreadsheets open without an import
// dialog (semicolon, decimal comma, byte order mark). Both end lines with
// CRLF and quote a field that holds the separator, a quote or a line
// break. Every text cell is safe to open in a spreadsheet: a cell that
// begins with =, +, -, @, a tab or a carriage return would be read as a
// formula (OWASP "CSV injection"), so it gets a leading apostrophe, which
// spreadsheets show as text and never evaluate. Numbers are written by the
// server and are never changed that way, so that -0.5 stays a number.

// csvDialect is how a download writes its cells and lines.
type csvDialect struct {
	// Name is the value of ?dialect= that asks for it.
	Name string
	// Comma separates fields.
	Comma rune
	// DecimalComma writes 0,5 for 0.5 in numeric cells (never in dates,
	// codes or other text).
	DecimalComma bool
	// BOM starts the file with U+FEFF, by which Excel recognises UTF-8.
	BOM bool
}

var (
	dialectRFC4180 = csvDialect{Name: "rfc4180", Comma: ','}
	dialectExcelDE = csvDialect{Name: "excel-de", Comma: ';', DecimalComma: true, BOM: true}
)

// csvDialects are the dialects a download offers, by name.
var csvDialects = []csvDialect{dialectExcelDE, dialectRFC4180}

// csvDialectFor reads ?dialect=; without it, German users get the
// spreadsheet dialect of their language, everybody else RFC 4180. lang is
// the interface language (on the API: the token user's language). An
// unknown name is a validation error of the field "dialect".
func csvDialectFor(c *fiber.Ctx, lang string) (csvDialect, error) {
	name := strings.TrimSpace(c.Query("dialect"))
	if name == "" {
		if lang == "de" {
			return dialectExcelDE, nil
		}
		return dialectRFC4180, nil
	}
	for _, d := range csvDialects {
		if strings.EqualFold(name, d.Name) {
			return d, nil
		}
	}
	v := &models.ValidationError{}
	v.Add("dialect", "validation.csv_dialect", map[string]any{"Dialects": dialectRFC4180.Name + ", " + dialectExcelDE.Name})
	return dialectRFC4180, v
}

// spreadsheetSafe returns a cell that no spreadsheet evaluates.
func spreadsheetSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// number formats v for a numeric cell: as short as it is exact, without
// exponent or thousands separator, with the dialect's decimal mark. NaN
// and infinities (no measure yields them) are left empty.
func (d csvDialect) number(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if d.DecimalComma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// cell renders one cell of a record: a string is text (made spreadsheet
// safe), float64 and the integer types are numbers, nil is empty.
func (d csvDialect) cell(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return spreadsheetSafe(x), nil
	case float64:
		return d.number(x), nil
	case *float64:
		if x == nil {
			return "", nil
		}
		return d.number(*x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return "", fmt.Errorf("app: csv cell of type %T", v)
}

// write renders records (cells as cell takes them) in the dialect.
func (d csvDialect) write(records [][]any) ([]byte, error) {
	var buf bytes.Buffer
	if d.BOM {
		buf.WriteString("\uFEFF")
	}
	w := csv.NewWriter(&buf)
	w.Comma, w.UseCRLF = d.Comma, true
	for _, rec := range records {
		out := make([]string, len(rec))
		for i, v := range rec {
			s, err := d.cell(v)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		if err := w.Write(out); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// textRecord is a record of text cells, such as a header.
func textRecord(cells []string) []any {
	out := make([]any, len(cells))
	for i, s := range cells {
		out[i] = s
	}
	return out
}

// sendCSV answers body as a CSV attachment named filename, never cached.
// The first record is a header (RFC 4180 §3: header=present).
func sendCSV(c *fiber.Ctx, filename string, body []byte) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8; header=present")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
