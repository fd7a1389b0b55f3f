package app

import (
	"regexp"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// Languages in the case pages: the participant's and guardians' language
// checkboxes, the family's languages with their modes, and their display.

// langChoice is one language offered in a form: Known languages have a
// localised name ("language.<code>"), others show their code.
type langChoice struct {
	Code    string
	Known   bool
	Checked bool
	Mode    string
}

func knownLanguage(code string) bool {
	for _, k := range models.FamilyLanguageCodes {
		if k == code {
			return true
		}
	}
	return false
}

// languageChoices offers every form language as a checkbox, plus any
// other code already chosen, so that editing never drops one silently.
func languageChoices(chosen []string) []langChoice {
	set := map[string]bool{}
	for _, c := range chosen {
		set[c] = true
	}
	out := make([]langChoice, 0, len(models.FamilyLanguageCodes))
	for _, code := range models.FamilyLanguageCodes {
		out = append(out, langChoice{Code: code, Known: true, Checked: set[code]})
		delete(set, code)
	}
	for _, code := range sortedKeys(set) {
		out = append(out, langChoice{Code: code, Checked: true})
	}
	return out
}

// offeredFamilyLanguages get a mode select in the family forms: German and
// the languages of the program's family documents (SPEC §7) most families
// speak. Languages already recorded are offered as well.
var offeredFamilyLanguages = []string{"de", "ar", "ku", "tr", "ru", "ro", "bg", "pl"}

func familyChoices(modes map[string]string) []langChoice {
	rest := map[string]bool{}
	for code := range modes {
		rest[code] = true
	}
	out := make([]langChoice, 0, len(offeredFamilyLanguages))
	for _, code := range offeredFamilyLanguages {
		out = append(out, langChoice{Code: code, Known: true, Mode: modes[code]})
		delete(rest, code)
	}
	for _, code := range sortedKeys(rest) {
		out = append(out, langChoice{Code: code, Known: knownLanguage(code), Mode: modes[code]})
	}
	return out
}

const familyLangPrefix = "family_lang_"

var languageCodeRE = regexp.MustCompile(`^[a-z]{2,3}$`)

// familyModes reads the family_lang_<code> selects. "none" and anything
// that is not a mode leave the language out.
func familyModes(c *fiber.Ctx) map[string]string {
	out := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		code, ok := strings.CutPrefix(string(k), familyLangPrefix)
		mode := string(v)
		if !ok || !languageCodeRE.MatchString(code) {
			return
		}
		for _, m := range models.LanguageModes {
			if m == mode {
				out[code] = mode
			}
		}
	})
	return out
}

// familyLanguages turns modes into the model's list, ordered by code.
func familyLanguages(modes map[string]string) []models.FamilyLanguage {
	out := make([]models.FamilyLanguage, 0, len(modes))
	for _, code := range sortedKeys(modes) {
		out = append(out, models.FamilyLanguage{Language: code, Mode: modes[code]})
	}
	return out
}

func modesOf(f *models.Family) map[string]string {
	out := map[string]string{}
	for _, l := range f.Languages {
		out[l.Language] = l.Mode
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// chosenLanguages lists codes for display.
func chosenLanguages(codes []string) []langChoice {
	out := make([]langChoice, 0, len(codes))
	for _, code := range codes {
		out = append(out, langChoice{Code: code, Known: knownLanguage(code), Checked: true})
	}
	return out
}

func familyDisplay(f *models.Family) []langChoice {
	out := make([]langChoice, 0, len(f.Languages))
	for _, fl := range f.Languages {
		out = append(out, langChoice{Code: fl.Language, Known: knownLanguage(fl.Language), Mode: fl.Mode})
	}
	return out
}
