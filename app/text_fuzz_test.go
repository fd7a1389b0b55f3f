package app

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// fuzzApp runs checkText and the JSON decoder the way every write route
// does, and answers 204, 400, 415 or 422, never anything else.
func fuzzApp() *fiber.App {
	a := fiber.New(fiber.Config{Immutable: true, ErrorHandler: func(c *fiber.Ctx, err error) error {
		status, _ := statusOf(err)
		return c.SendStatus(status)
	}})
	handler := func(c *fiber.Ctx) error {
		if err := checkText(c); err != nil {
			return err
		}
		if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
			var in struct {
				Name  string         `json:"name" validate:"max=200"`
				Dates []string       `json:"dates"`
				Any   map[string]any `json:"any"`
			}
			if err := decodeJSON(c, &in); err != nil {
				return err
			}
		} else {
			_ = c.FormValue("name")
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
	a.Post("/", handler)
	return a
}

func fuzzStatus(t *testing.T, a *fiber.App, ctype string, body []byte) int {
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	resp, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case 204, 400, 413, 415, 422:
	default:
		t.Fatalf("%s body %q: status %d", ctype, body, resp.StatusCode)
	}
	return resp.StatusCode
}

// hasNUL reports whether a decoded JSON value holds a NUL in a string.
func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) >= 0
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// FuzzJSONText: a JSON body is refused with 422 exactly when it is JSON
// with a NUL or invalid UTF-8 in a string, names a field then, and no
// input makes the decoder answer anything but 204, 400, 415 or 422.
func FuzzJSONText(f *testing.F) {
	for _, s := range []string{`{"name":"Ali"}`, `{"name":"A\u0000li"}`, "{\"name\":\"A\xffli\"}", `{"dates":["2026-01-01"]}`,
		`{"any":{"x":[1,"\u0000"]}}`, `[`, `{"name":1}`, "{\"\xff\":1}", `{"unknown":1}`, ""} {
		f.Add([]byte(s))
	}
	a := fuzzApp()
	f.Fuzz(func(t *testing.T, body []byte) {
		fields := badJSONFields(body)
		var v any
		isJSON := json.Unmarshal(body, &v) == nil
		bad := isJSON && (!utf8.Valid(body) || hasNUL(v))
		if bad && len(fields) == 0 {
			t.Fatalf("%q: bad text not named", body)
		}
		if isJSON && !bad && len(fields) > 0 {
			t.Fatalf("%q: clean text refused for %v", body, fields)
		}
		status := fuzzStatus(t, a, "application/json", body)
		if bad && status != 422 {
			t.Fatalf("%q: bad text answered %d", body, status)
		}
	})
}

// FuzzFormText: a form is refused with 422 when a value holds a NUL or
// invalid UTF-8, and never answers anything but 204, 400 or 422.
func FuzzFormText(f *testing.F) {
	for _, s := range []string{"name=Ali", "name=A%00li", "name=A%FFli", "%FF=1", "a&b=&=c", "name=" + strings.Repeat("x", 300)} {
		f.Add([]byte(s))
	}
	a := fuzzApp()
	f.Fuzz(func(t *testing.T, body []byte) {
		status := fuzzStatus(t, a, "application/x-www-form-urlencoded", body)
		if status == 204 {
			// Accepted: every value the form parser sees is clean text.
			req := fasthttpArgs(body)
			for _, v := range req {
				if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
					t.Fatalf("%q: accepted %q", body, v)
				}
			}
		}
	})
}

// fasthttpArgs parses a form body as the server does.
func fasthttpArgs(body []byte) []string {
	var out []string
	a := fiber.New()
	a.Post("/", func(c *fiber.Ctx) error {
		c.Request().PostArgs().VisitAll(func(k, v []byte) { out = append(out, string(k), string(v)) })
		return nil
	})
	req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := a.Test(req, -1); err == nil {
		resp.Body.Close()
	}
	return out
}
