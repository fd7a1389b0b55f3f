package app

import (
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"kurve/models"
)

// I18n is the message bundle of the interface languages.
type I18n struct {
	bundle     *i18n.Bundle
	matcher    language.Matcher
	localizers map[string]*Localizer
}

// NewI18n loads <lang>.toml for every interface language from fsys.
func NewI18n(fsys fs.FS) (*I18n, error) {
	b := i18n.NewBundle(language.German)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	tags := make([]language.Tag, 0, len(models.Languages))
	x := &I18n{bundle: b, localizers: map[string]*Localizer{}}
	for _, lang := range models.Languages {
		if _, err := b.LoadMessageFileFS(fsys, lang+".toml"); err != nil {
			return nil, fmt.Errorf("app: locale %s: %w", lang, err)
		}
		tags = append(tags, language.Make(lang))
		x.localizers[lang] = &Localizer{Lang: lang, l: i18n.NewLocalizer(b, lang)}
	}
	x.matcher = language.NewMatcher(tags)
	return x, nil
}

// Localizer returns the localizer for an interface language, or German.
func (x *I18n) Localizer(lang string) *Localizer {
	if l, ok := x.localizers[lang]; ok {
		return l
	}
	return x.localizers[models.Languages[0]]
}

// Match picks the interface language for an Accept-Language header.
func (x *I18n) Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return models.Languages[0]
	}
	_, idx, conf := x.matcher.Match(tags...)
	if conf == language.No {
		return models.Languages[0]
	}
	return models.Languages[idx]
}

// Localizer translates message IDs into one language. It is immutable and
// shared by all requests of that language.
type Localizer struct {
	Lang string
	l    *i18n.Localizer
	// plain keeps what T gave for an id without template data (id →
	// string): the bundle does not change after start, and a page asks
	// for the same label once per table row.
	plain sync.Map
}

// Dir is the writing direction of the language, for <html dir>.
func (l *Localizer) Dir() string {
	if l.Lang == "ar" {
		return "rtl"
	}
	return "ltr"
}

// T translates id. kv are key/value pairs of template data. A missing ID is
// logged and shown as the ID itself; the catalogue test keeps that from
// happening in a release.
func (l *Localizer) T(id string, kv ...any) string {
	if len(kv) > 0 {
		return l.translate(id, nil, kv)
	}
	if s, ok := l.plain.Load(id); ok {
		return s.(string)
	}
	s := l.translate(id, nil, nil)
	if s != id { // a missing id is logged again each time
		l.plain.Store(id, s)
	}
	return s
}

// N translates a plural message id for count; count is also available as
// {{.Count}}.
func (l *Localizer) N(id string, count int, kv ...any) string {
	return l.translate(id, count, append(kv, "Count", count))
}

// TData translates id with a data map (for message IDs coming from models).
func (l *Localizer) TData(id string, data map[string]any) string {
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		slog.Error("missing translation", "lang", l.Lang, "id", id)
		return id
	}
	return s
}

func (l *Localizer) translate(id string, count any, kv []any) string {
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		slog.Error("missing translation", "lang", l.Lang, "id", id)
		return id
	}
	return s
}

// fieldName is the localised name of a form or JSON field. A field the
// catalogue does not know (a key a client made up) is shown as sent,
// without a "missing translation" log line per request.
func (l *Localizer) fieldName(field string) string {
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: "field." + field})
	if err != nil {
		return field
	}
	return s
}

// languageName is the endonym of each interface language for the switch.
var languageName = map[string]string{"de": "Deutsch", "en": "English", "tr": "Türkçe", "ar": "العربية"}

// LanguageOption is one entry of the language switch.
type LanguageOption struct {
	Code, Name string
	Current    bool
}

func languageOptions(current string) []LanguageOption {
	out := make([]LanguageOption, 0, len(models.Languages))
	for _, code := range models.Languages {
		out = append(out, LanguageOption{Code: code, Name: languageName[code], Current: code == current})
	}
	return out
}

func trimLang(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
