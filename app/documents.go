package app

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/gofiber/fiber/v2"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"kurve/locales"
	"kurve/models"
)

// DocumentLanguages are the languages of the printed family documents
// (SPEC §7), German (the source) first. "ku" is Kurmanji in Latin script.
var DocumentLanguages = []string{"de", "en", "tr", "ar", "ku", "ru", "ro", "bg"}

// documentLanguageName is the endonym of each document language, for the
// language links and the form's footer.
var documentLanguageName = map[string]string{"de": "Deutsch", "en": "English", "tr": "Türkçe", "ar": "العربية",
	"ku": "Kurmancî", "ru": "Русский", "ro": "Română", "bg": "Български"}

// Documents is the message catalogue of the family documents. It is kept
// apart from the interface catalogue: families read eight languages, staff
// work in four, and neither list should grow keys for the other.
type Documents struct {
	localizers map[string]*Localizer
}

// NewDocuments loads documents/<lang>.toml for every document language
// from fsys. The documents use no plural messages, so no language depends
// on go-i18n's plural rules beyond "other".
func NewDocuments(fsys fs.FS) (*Documents, error) {
	b := i18n.NewBundle(language.German)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	d := &Documents{localizers: map[string]*Localizer{}}
	for _, lang := range DocumentLanguages {
		if _, err := b.LoadMessageFileFS(fsys, "documents/"+lang+".toml"); err != nil {
			return nil, fmt.Errorf("app: document locale %s: %w", lang, err)
		}
		d.localizers[lang] = &Localizer{Lang: lang, l: i18n.NewLocalizer(b, lang)}
	}
	return d, nil
}

// Localizer returns the localizer of a document language, or German.
func (d *Documents) Localizer(lang string) *Localizer {
	if l, ok := d.localizers[lang]; ok {
		return l
	}
	return d.localizers[DocumentLanguages[0]]
}

// familyDocuments is the embedded document catalogue, parsed on first use.
// It is immutable data like the templates, so one copy serves every server.
var familyDocuments = sync.OnceValues(func() (*Documents, error) { return NewDocuments(locales.FS) })

// Doc translates a message of the document catalogue into this
// localizer's (interface) language: the few staff-facing labels around
// the documents (the case page's links, the print toolbar).
func (l *Localizer) Doc(id string, kv ...any) string {
	d, err := familyDocuments()
	if err != nil {
		return id
	}
	return d.Localizer(l.Lang).T(id, kv...)
}

// isDocumentLanguage reports whether lang is one of the eight.
func isDocumentLanguage(lang string) bool {
	_, ok := documentLanguageName[lang]
	return ok
}

// defaultDocumentLanguage is the language a family document opens in: the
// family's first language needing an interpreter, if there is a document
// in it; else its first language with a document; else German.
func defaultDocumentLanguage(f *models.Family) string {
	if f != nil {
		for _, l := range f.InterpreterLanguages() {
			if isDocumentLanguage(l) {
				return l
			}
		}
		for _, l := range f.Languages {
			if isDocumentLanguage(l.Language) {
				return l.Language
			}
		}
	}
	return DocumentLanguages[0]
}

// documentLanguage is ?lang= when it names a document language, else the
// family's default.
func documentLanguage(c *fiber.Ctx, f *models.Family) string {
	if lang := trimLang(c.Query("lang")); isDocumentLanguage(lang) {
		return lang
	}
	return defaultDocumentLanguage(f)
}

// docView is Page.Data of every document template (doc_*.html): the
// document's text comes from Doc, the screen-only toolbar's from UI (the
// document catalogue in the user's interface language).
type docView struct {
	Doc       *Localizer
	UI        *Localizer
	Languages []docLanguage
	// Back is the page the toolbar leads back to; Warning and Note, if
	// set, are toolbar messages in the interface language.
	Back          string
	Warning, Note string
	// Content is the document's own data.
	Content any
}

// docLanguage is one link of the toolbar's language choice.
type docLanguage struct {
	Code, Name, Dir, Href string
	Current               bool
}

// newDocView prepares the data every document shares for lang.
func (h *handlers) newDocView(c *fiber.Ctx, lang string) (*docView, error) {
	docs, err := familyDocuments()
	if err != nil {
		return nil, err
	}
	v := &docView{Doc: docs.Localizer(lang), UI: docs.Localizer(h.s.localizer(c).Lang)}
	v.Languages = v.Doc.DocLanguages()
	for i := range v.Languages {
		v.Languages[i].Href = c.Path() + "?lang=" + v.Languages[i].Code
		v.Languages[i].Current = v.Languages[i].Code == v.Doc.Lang
	}
	return v, nil
}

// renderDocument writes a family document with doc_layout.html: <html lang
// dir> and the title are the document's, not the interface's.
func (h *handlers) renderDocument(c *fiber.Ctx, page, title string, v *docView) error {
	// The one page builder (nonce, user, CSRF); its interface title is
	// replaced by the document's.
	p := h.s.newPage(c, "participant.title", v)
	p.Lang, p.Dir, p.Title = v.Doc.Lang, v.Doc.Dir(), title
	return h.s.renderPage(c, page, p)
}

// Unicode isolates keep names and case numbers in one piece inside a
// sentence of the other writing direction (a Latin name in Arabic text).
const (
	fsi = "\u2068" // first strong isolate: direction of the value itself
	lri = "\u2066" // left-to-right isolate: codes, numbers
	pdi = "\u2069"
)

// isolate wraps a value for use inside a translated sentence.
func isolate(s string) string { return fsi + s + pdi }

// isolateLTR wraps a code (case number, time) for use inside a sentence.
func isolateLTR(s string) string { return lri + s + pdi }

// docWeekdayIDs and docMonthIDs name days and months in the document catalogue.
var (
	docWeekdayIDs = [...]string{"doc.weekday.sunday", "doc.weekday.monday", "doc.weekday.tuesday", "doc.weekday.wednesday",
		"doc.weekday.thursday", "doc.weekday.friday", "doc.weekday.saturday"}
	docMonthIDs = [...]string{"doc.month.january", "doc.month.february", "doc.month.march", "doc.month.april", "doc.month.may",
		"doc.month.june", "doc.month.july", "doc.month.august", "doc.month.september", "doc.month.october",
		"doc.month.november", "doc.month.december"}
)

// longDate writes a calendar day the way a letter would, with weekday and
// month name in the document language.
func longDate(l *Localizer, d time.Time) string {
	return l.T("doc.date.long", "Weekday", l.T(docWeekdayIDs[d.Weekday()]), "Day", d.Day(),
		"Month", l.T(docMonthIDs[d.Month()-1]), "Year", d.Year())
}

// shortDate writes a date as on German forms (day.month.year), which every
// family in Germany meets on letters and which reads the same in all eight
// languages.
func shortDate(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format("02.01.2006")
}

// relationshipText names a guardian's relationship in the document language.
func relationshipText(l *Localizer, relationship string) string {
	return l.T("doc.relationship." + strings.TrimSpace(relationship))
}

// DocLanguages lists the document languages for links (code, endonym,
// direction), whatever this localizer's language.
func (l *Localizer) DocLanguages() []docLanguage {
	out := make([]docLanguage, 0, len(DocumentLanguages))
	for _, code := range DocumentLanguages {
		out = append(out, docLanguage{Code: code, Name: documentLanguageName[code], Dir: (&Localizer{Lang: code}).Dir()})
	}
	return out
}
