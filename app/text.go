package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Every text a request brings is checked before any handler sees it:
// PostgreSQL refuses a NUL byte in text (SQLSTATE 22021, a 500 before), and
// Go's JSON decoder silently turns invalid UTF-8 into U+FFFD, so a name
// with bad bytes was stored changed. Both are refused with 422 naming the
// field, for JSON bodies and forms alike.

// checkText returns a ValidationError naming every field of the request
// body that holds a NUL byte or invalid UTF-8, or nil.
func checkText(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) == 0 {
		return nil
	}
	v := &models.ValidationError{}
	mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	switch mt {
	case fiber.MIMEApplicationJSON:
		for _, f := range badJSONFields(body) {
			v.Add(f, "validation.text_bytes", nil)
		}
	case fiber.MIMEApplicationForm:
		seen := map[string]bool{}
		c.Request().PostArgs().VisitAll(func(k, val []byte) {
			name := string(k)
			if !utf8.Valid(k) || bytes.IndexByte(k, 0) >= 0 {
				name = "form"
			}
			if !seen[name] && (!utf8.Valid(val) || bytes.IndexByte(val, 0) >= 0 || name == "form") {
				seen[name] = true
				v.Add(name, "validation.text_bytes", nil)
			}
		})
	case fiber.MIMEMultipartForm:
		form, err := c.MultipartForm()
		if err != nil {
			return fiber.ErrBadRequest
		}
		for name, vals := range form.Value {
			for _, val := range vals {
				if !utf8.ValidString(name) || !utf8.ValidString(val) || strings.IndexByte(val, 0) >= 0 {
					v.Add(name, "validation.text_bytes", nil)
					break
				}
			}
		}
	}
	return v.OrNil()
}

// badJSONFields names the object keys whose values (or the keys
// themselves) hold invalid UTF-8 or, once decoded, a NUL. A body that is
// not JSON gives no names here: decodeJSON answers it with 400.
func badJSONFields(body []byte) []string {
	var bad []int // offsets of invalid UTF-8
	for i := 0; i < len(body); {
		r, n := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && n == 1 {
			bad = append(bad, i)
		}
		i += n
	}
	type frame struct {
		object  bool
		wantKey bool
		key     string
	}
	var stack []frame
	var out []string
	seen := map[string]bool{}
	flag := func(name string) {
		if name == "" {
			name = "body"
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			if err != nil && !errors.Is(err, io.EOF) && len(bad) > 0 {
				flag("body")
			}
			return out
		}
		end := dec.InputOffset()
		field := ""
		if n := len(stack); n > 0 {
			field = stack[n-1].key
		}
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
		if s, ok := tok.(string); ok {
			if isKey {
				field = s
			}
			hasBad := false
			for _, b := range bad {
				if b >= int(start) && b < int(end) {
					hasBad = true
				}
			}
			if hasBad || strings.IndexByte(s, 0) >= 0 {
				flag(field)
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true, key: field})
			continue
		case json.Delim('['):
			stack = append(stack, frame{key: field})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			top := &stack[n-1]
			if top.wantKey {
				top.key, top.wantKey = tok.(string), false
			} else {
				top.wantKey = true
			}
		}
	}
}
