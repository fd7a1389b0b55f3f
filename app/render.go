package app

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Renderer holds one parsed template set per page, each with the layout.
// Templates are parsed once at start; translation goes through the page's
// Localizer, so no function map is ever swapped per request.
type Renderer struct {
	pages map[string]*template.Template
}

var templateFuncs = template.FuncMap{
	// dict builds a map for passing several values to a sub-template.
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	// programDay is the program's calendar day of an instant (a
	// timestamp, not a date column): 23:30 UTC is already the next day.
	"programDay": func(t time.Time) string { return t.In(programZone).Format(time.DateOnly) },
	// Dates and times for people, in the page's language (dates.go), each
	// taking the page's localizer: date and dateTime wrap the text in a
	// <time> element with the ISO value; dateText and dayAt are plain text
	// for inside a sentence or a <time> the template writes itself.
	"date":     dateTag,
	"dateText": dateText,
	"dateTime": dateTimeTag,
	"month":    monthTag,
	"dayAt":    dayAt,
	// isolate wraps user-entered text (a name) for use inside a translated
	// sentence, an attribute or an <option>, where <bdi> cannot go: German
	// punctuation stays where it belongs on an Arabic page.
	"isolate": isolate,
	// submissionKey is a new one-time key for each form rendered: the
	// second submit of the same form replays the first answer.
	"submissionKey": newSubmissionKey,
	// asset is the fingerprinted URL of a static asset.
	"asset": assetURL,
	// minPasswordLength is the password rule's minimum, for the rule shown
	// before typing.
	"minPasswordLength": func() int { return models.MinPasswordLength },
	// sessionIdleSeconds is the idle timeout, for the warning before it.
	"sessionIdleSeconds": func() int { return int(models.SessionIdleTimeout.Seconds()) },
}

// NewRenderer parses every page under templates/ together with layout.html;
// the printable family documents (doc_*.html) get doc_layout.html instead,
// which has no navigation.
func NewRenderer(fsys fs.FS) (*Renderer, error) {
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" || name == "doc_layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		layout := "templates/layout.html"
		if strings.HasPrefix(name, "doc_") {
			layout = "templates/doc_layout.html"
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(fsys, layout, "templates/_*.html", f)
		if err != nil {
			return nil, fmt.Errorf("app: template %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Page is the data every template gets, built in one place so that no
// handler can forget the CSRF token, the nonce or the localizer.
type Page struct {
	L         *Localizer
	Lang      string
	Dir       string
	Title     string
	User      *models.User
	SiteCode  string
	CSRF      string
	Nonce     string
	Path      string
	Languages []LanguageOption
	Flash     string
	Errors    map[string]string
	Data      any
}

// FieldError returns the localised error of a form field, if any.
func (p *Page) FieldError(field string) string { return p.Errors[field] }

func (s *Server) newPage(c *fiber.Ctx, titleID string, data any) *Page {
	l := s.localizer(c)
	p := &Page{L: l, Lang: l.Lang, Dir: l.Dir(), Title: l.T(titleID), User: currentUser(c),
		Path: c.Path(), Languages: languageOptions(l.Lang), Data: data}
	p.Nonce, _ = c.Locals(localNonce).(string)
	if sess := currentSession(c); sess != nil {
		p.CSRF = maskCSRF(sess.CSRFToken)
	}
	if flash, ok := c.Locals(localFlash).(string); ok {
		p.Flash = l.T(flash)
	}
	if p.User != nil && p.User.Site != nil {
		p.SiteCode = p.User.Site.Code
	}
	return p
}

// render writes page (a file under templates/) with the page data.
func (s *Server) render(c *fiber.Ctx, page, titleID string, data any) error {
	return s.renderPage(c, page, s.newPage(c, titleID, data))
}

func (s *Server) renderPage(c *fiber.Ctx, page string, p *Page) error {
	t, ok := s.views.pages[page]
	if !ok {
		return fmt.Errorf("app: no template %s", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("app: render %s: %w", page, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// validationAlert is a page's alert for a refused input: the message, the
// localised field errors in field order, and those errors by field.
func validationAlert(l *Localizer, err *models.ValidationError) (message string, items []string, errs map[string]string) {
	errs = formErrors(l, err)
	for _, f := range sortedKeys(errs) {
		items = append(items, errs[f])
	}
	return l.T("error.validation"), items, errs
}

// formErrors localises a validation error for a form.
func formErrors(l *Localizer, err *models.ValidationError) map[string]string {
	out := map[string]string{}
	for _, f := range err.Fields {
		if _, seen := out[f.Field]; !seen {
			out[f.Field] = l.TData(f.MessageID, fieldData(l, f))
		}
	}
	return out
}
