package app

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Renderer holds every page in one parsed template set: the layouts and
// the partials (templates/_*.html) are parsed once and shared, and each
// page's "content" is kept under the page's own name, with a copy of its
// layout that calls it. One set per page held the partials about fifty
// times over (33 MB of heap, now 5 MB; issue 15). Translation goes through
// the page's Localizer, so no function map is ever swapped per request.
type Renderer struct {
	set *template.Template
	// pages maps a page's file name to the name of its layout in set.
	pages map[string]string
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
	// staffOptions are the <option>s of a choice of staff.
	"staffOptions": staffOptions,
	// workerLoadRows are the rows of the coordinator's caseload per
	// social worker.
	"workerLoadRows": workerLoadRows,
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

// NewRenderer parses every page under templates/ with layout.html; the
// printable family documents (doc_*.html) get doc_layout.html instead,
// which has no navigation. A page may define templates of its own besides
// "content"; a name defined twice is an error, not a silent override.
func NewRenderer(fsys fs.FS) (*Renderer, error) {
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(fsys, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{set: template.New("").Funcs(templateFuncs), pages: map[string]string{}}
	defined := map[string]string{}
	add := func(file, name string, tree *parse.Tree) error {
		if other, dup := defined[name]; dup {
			return fmt.Errorf("app: template %q defined in %s and %s", name, other, file)
		}
		defined[name] = file
		_, err := r.set.AddParseTree(name, tree)
		return err
	}
	for _, f := range partials {
		if err := addFile(fsys, f, nil, add); err != nil {
			return nil, err
		}
	}
	layouts := map[string]string{}
	for _, l := range []string{"templates/layout.html", "templates/doc_layout.html"} {
		b, err := fs.ReadFile(fsys, l)
		if err != nil {
			return nil, err
		}
		if strings.Count(string(b), contentCall) != 1 {
			return nil, fmt.Errorf("app: %s must call %s exactly once", l, contentCall)
		}
		layouts[l] = string(b)
	}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" || name == "doc_layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		layout := "templates/layout.html"
		if strings.HasPrefix(name, "doc_") {
			layout = "templates/doc_layout.html"
		}
		content, entry := "content "+name, "layout "+name
		rename := map[string]string{"content": content}
		if err := addFile(fsys, f, rename, add); err != nil {
			return nil, err
		}
		if _, ok := defined[content]; !ok {
			return nil, fmt.Errorf("app: %s defines no content", f)
		}
		src := strings.Replace(layouts[layout], contentCall, fmt.Sprintf("{{template %q .}}", content), 1)
		if err := addText(layout, src, map[string]string{"layout": entry}, add); err != nil {
			return nil, err
		}
		r.pages[name] = entry
	}
	return r, nil
}

// contentCall is how a layout calls its page's content.
const contentCall = `{{template "content" .}}`

// addFile parses one template file on its own and hands each template it
// defines to add, under the name rename gives it, if any.
func addFile(fsys fs.FS, file string, rename map[string]string, add func(file, name string, tree *parse.Tree) error) error {
	b, err := fs.ReadFile(fsys, file)
	if err != nil {
		return err
	}
	return addText(file, string(b), rename, add)
}

func addText(file, src string, rename map[string]string, add func(file, name string, tree *parse.Tree) error) error {
	t, err := template.New(path.Base(file)).Funcs(templateFuncs).Parse(src)
	if err != nil {
		return fmt.Errorf("app: template %s: %w", file, err)
	}
	for _, d := range t.Templates() {
		if d.Tree == nil || d.Name() == t.Name() && parse.IsEmptyTree(d.Tree.Root) {
			continue // the file's text outside its definitions
		}
		name := d.Name()
		if n, ok := rename[name]; ok {
			name = n
		}
		if err := add(file, name, d.Tree); err != nil {
			return fmt.Errorf("app: template %s: %w", file, err)
		}
	}
	return nil
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
	entry, ok := s.views.pages[page]
	if !ok {
		return fmt.Errorf("app: no template %s", page)
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := s.views.set.ExecuteTemplate(buf, entry, p); err != nil {
		return fmt.Errorf("app: render %s: %w", page, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	// Write copies into the response's own (pooled) body, so the buffer
	// can go back at once; Send would keep it.
	_, err := c.Write(buf.Bytes())
	return err
}

// renderBuffers keeps the buffers pages are written into between
// requests: a case page is about 60 KB, which a new buffer reaches only
// after eight growths.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putRenderBuffer returns a buffer to the pool, unless one page made it
// unusually large (a 500-row list), which would then be held for good.
func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 1<<20 {
		return
	}
	buf.Reset()
	renderBuffers.Put(buf)
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

// staffOptions writes one <option> per staff member, the one with the id
// selected marked, each name isolated: what a template range wrote with
// five reflective calls per option, for lists of a hundred social workers
// (the visit form on every case page, the caseload's filter). Values and
// names are escaped as html/template escapes them in this place.
func staffOptions(staff []models.Staff, selected string) template.HTML {
	var b strings.Builder
	for i := range staff {
		b.WriteString(`<option value="`)
		b.WriteString(template.HTMLEscapeString(staff[i].ID))
		b.WriteByte('"')
		if staff[i].ID == selected {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		b.WriteString(template.HTMLEscapeString(isolate(staff[i].Name)))
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// workerLoadRows writes the coordinator's table of open and active cases
// per social worker, one row each, with the column labels (already
// translated) for the narrow layout: what a template range wrote with
// six reflective actions per row, for a hundred social workers on every
// start page of a large site's coordinator. Escaped as html/template
// escapes in these places.
func workerLoadRows(loads []workerLoad, worker, open, active string) template.HTML {
	worker, open, active = template.HTMLEscapeString(worker), template.HTMLEscapeString(open), template.HTMLEscapeString(active)
	var b strings.Builder
	b.Grow(len(loads) * 320)
	for i := range loads {
		b.WriteString(`<tr class="worker-load" data-id="`)
		b.WriteString(template.HTMLEscapeString(loads[i].ID))
		b.WriteString(`"><th scope="row" data-label="`)
		b.WriteString(worker)
		b.WriteString(`"><bdi>`)
		b.WriteString(template.HTMLEscapeString(loads[i].Name))
		b.WriteString(`</bdi></th><td data-label="`)
		b.WriteString(open)
		b.WriteString(`" class="load-open">`)
		b.WriteString(strconv.Itoa(loads[i].Open))
		b.WriteString(`</td><td data-label="`)
		b.WriteString(active)
		b.WriteString(`" class="load-active">`)
		b.WriteString(strconv.Itoa(loads[i].Active))
		b.WriteString("</td></tr>\n")
	}
	return template.HTML(b.String())
}
